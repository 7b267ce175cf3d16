"""Disclosures (公共收益, 专项维修资金, 公摊水电): revisions and their lines, deadlines, questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.domain.disclosures import Disclosure, DisclosureDeadline, DisclosureLine, DisclosureQuestion
from handlers.rules.revenue import DisclosureStatus
from storage.mapping import copy_into, to_domain, to_row_values
from storage.tables import DisclosureDeadlineRow, DisclosureLineRow, DisclosureQuestionRow, DisclosureRow


class DisclosureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _lines(self, disclosure_id: int) -> list[DisclosureLine]:
        rows = self.session.exec(
            select(DisclosureLineRow)
            .where(DisclosureLineRow.disclosure_id == disclosure_id)
            .order_by(col(DisclosureLineRow.position), col(DisclosureLineRow.id))
        ).all()
        return [to_domain(r, DisclosureLine) for r in rows]

    def _full(self, row: DisclosureRow) -> Disclosure:
        values = {name: getattr(row, name) for name in Disclosure.__dataclass_fields__ if name != "lines"}
        return Disclosure(**values, lines=self._lines(row.id or 0))

    def get(self, id: int) -> Disclosure | None:
        row = self.session.get(DisclosureRow, id)
        return self._full(row) if row is not None else None

    def add(self, item: Disclosure) -> Disclosure:
        values = to_row_values(item)
        values.pop("id")
        values.pop("lines")
        row = DisclosureRow(**values)
        self.session.add(row)
        self.session.flush()
        item.id = row.id
        for position, line in enumerate(item.lines):
            line.disclosure_id = row.id
            line.position = position
            line_values = to_row_values(line)
            line_values.pop("id")
            line_row = DisclosureLineRow(**line_values)
            self.session.add(line_row)
            self.session.flush()
            line.id = line_row.id
        return item

    def set_status(
        self,
        id: int,
        status: DisclosureStatus,
        now: datetime,
        person_id: int | None,
        reason: str | None = None,
        revision: int | None = None,
    ) -> None:
        row = self.session.get(DisclosureRow, id, with_for_update=True)
        if row is None:
            raise KeyError(id)
        if row.status != DisclosureStatus.DRAFT:
            raise ValueError(f"disclosure {id} is {row.status}: only a draft can change")
        row.status = status
        if status == DisclosureStatus.PUBLISHED:
            row.published_at, row.published_by, row.reason = now, person_id, reason
            row.revision = revision if revision is not None else row.revision
        self.session.add(row)
        self.session.flush()

    def revisions(self, estate_id: int, kind: str, quarter: str) -> list[Disclosure]:
        rows = self.session.exec(
            select(DisclosureRow)
            .where(
                DisclosureRow.estate_id == estate_id,
                DisclosureRow.kind == kind,
                DisclosureRow.quarter == quarter,
            )
            .order_by(col(DisclosureRow.revision))
        ).all()
        return [self._full(r) for r in rows]

    def published(self, estate_id: int, kind: str, limit: int = 8) -> list[Disclosure]:
        rows = self.session.exec(
            select(DisclosureRow)
            .where(
                DisclosureRow.estate_id == estate_id,
                DisclosureRow.kind == kind,
                DisclosureRow.status == DisclosureStatus.PUBLISHED,
            )
            .order_by(col(DisclosureRow.quarter).desc(), col(DisclosureRow.revision).desc())
        ).all()
        newest: dict[str, DisclosureRow] = {}
        for r in rows:
            newest.setdefault(r.quarter, r)
        return [self._full(r) for r in list(newest.values())[:limit]]

    def first_published(self, estate_ids: Sequence[int], kind: str, quarter: str) -> dict[int, datetime]:
        if not estate_ids:
            return {}
        rows = self.session.execute(
            select(DisclosureRow.estate_id, func.min(DisclosureRow.published_at))
            .where(
                col(DisclosureRow.estate_id).in_(list(estate_ids)),
                DisclosureRow.kind == kind,
                DisclosureRow.quarter == quarter,
                DisclosureRow.status == DisclosureStatus.PUBLISHED,
            )
            .group_by(col(DisclosureRow.estate_id))
        ).all()
        return {int(estate_id): at for estate_id, at in rows if at is not None}

    def deadline(self, estate_id: int, kind: str, quarter: str) -> DisclosureDeadline | None:
        row = self.session.get(DisclosureDeadlineRow, (estate_id, kind, quarter))
        return to_domain(row, DisclosureDeadline) if row is not None else None

    def put_deadline(self, item: DisclosureDeadline) -> None:
        row = self.session.get(DisclosureDeadlineRow, (item.estate_id, item.kind, item.quarter))
        if row is None:
            row = DisclosureDeadlineRow(**to_row_values(item))
        else:
            copy_into(row, item)
        self.session.add(row)
        self.session.flush()

    def deadlines(self, estate_ids: Sequence[int], kind: str) -> list[DisclosureDeadline]:
        if not estate_ids:
            return []
        rows = self.session.exec(
            select(DisclosureDeadlineRow)
            .where(
                col(DisclosureDeadlineRow.estate_id).in_(list(estate_ids)),
                DisclosureDeadlineRow.kind == kind,
            )
            .order_by(col(DisclosureDeadlineRow.quarter), col(DisclosureDeadlineRow.estate_id))
        ).all()
        return [to_domain(r, DisclosureDeadline) for r in rows]

    def of_line(self, line_id: int) -> list[int]:
        row = self.session.get(DisclosureLineRow, line_id)
        return [row.disclosure_id] if row is not None else []

    def add_question(self, item: DisclosureQuestion) -> None:
        self.session.add(DisclosureQuestionRow(**to_row_values(item)))
        self.session.flush()

    def question_of(self, ticket_id: int) -> DisclosureQuestion | None:
        row = self.session.get(DisclosureQuestionRow, ticket_id)
        return to_domain(row, DisclosureQuestion) if row is not None else None
