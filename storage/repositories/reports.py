"""The report calendar's records: one row per office, report and period, claimed by conditional
updates so that each draft and each sending happens once across processes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col

from handlers.domain.ledgers import DueReport
from storage.mapping import to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import DueReportRow


class ReportRepository(Repository[DueReport, DueReportRow]):
    row, domain = DueReportRow, DueReport

    def of(self, office_id: int, report: str, period: str) -> DueReport | None:
        return self._one(
            col(DueReportRow.office_id) == office_id,
            col(DueReportRow.report) == report,
            col(DueReportRow.period) == period,
        )

    def open(self, item: DueReport) -> DueReport:
        """The office's report of the period: this one, kept now, or the one already kept."""
        values = to_row_values(item)
        values.pop("id")
        stmt = (
            insert_ignoring_duplicates(self.session, self._table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["office_id", "report", "period"])
        )
        connection_of(self.session).execute(stmt)
        found = self.of(item.office_id, item.report, item.period)
        assert found is not None
        return found

    def claim_draft(self, report_id: int, now: datetime) -> bool:
        """Mark the draft sent; False when it was (or the report was sent) already."""
        t = self._table
        stmt = (
            update(t)
            .where(t.c.id == report_id, t.c.drafted_at.is_(None), t.c.sent_at.is_(None))
            .values(drafted_at=now)
        )
        return bool(connection_of(self.session).execute(stmt).rowcount)

    def claim_sent(
        self, report_id: int, now: datetime, by: int | None, automatic: bool, ledger_id: int | None
    ) -> bool:
        """Mark the report sent; False when it was sent already (by another press, or the calendar)."""
        t = self._table
        stmt = (
            update(t)
            .where(t.c.id == report_id, t.c.sent_at.is_(None))
            .values(sent_at=now, sent_by=by, automatic=automatic, ledger_id=ledger_id)
        )
        return bool(connection_of(self.session).execute(stmt).rowcount)

    def of_offices(self, office_ids: Sequence[int], period: str) -> list[DueReport]:
        if not office_ids:
            return []
        return self._many(
            col(DueReportRow.office_id).in_(list(office_ids)),
            col(DueReportRow.period) == period,
            order=col(DueReportRow.id),
        )

    def of_periods(self, office_ids: Sequence[int], report: str, periods: Sequence[str]) -> list[DueReport]:
        """The records of these offices' `report` for any of `periods`, in one read."""
        if not office_ids or not periods:
            return []
        return self._many(
            col(DueReportRow.office_id).in_(list(office_ids)),
            col(DueReportRow.report) == report,
            col(DueReportRow.period).in_(list(periods)),
            order=col(DueReportRow.id),
        )
