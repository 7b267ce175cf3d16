"""Officials' typical-case marks (典型案例): one row per marked ticket, read by the card and the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlmodel import Session

from handlers.domain.ticket import TypicalCase
from storage.mapping import to_domain, to_row_values
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import TicketRow, TypicalCaseRow

_CHUNK = 500  # ids to a statement: SQLite takes at most 999 parameters in older builds


class TypicalCaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, ticket_id: int) -> TypicalCase | None:
        t = TypicalCaseRow.__table__  # type: ignore[attr-defined]
        found = (
            connection_of(self.session).execute(select(*t.columns).where(t.c.ticket_id == ticket_id)).first()
        )
        return to_domain(found, TypicalCase) if found is not None else None

    def put(self, item: TypicalCase) -> None:
        # One statement: of two officials saving at once, the later one's texts stand.
        values = to_row_values(item)
        texts = {k: values[k] for k in ("background", "handling", "outcome", "updated_by", "updated_at")}
        stmt = (
            insert_ignoring_duplicates(self.session, TypicalCaseRow.__table__)  # type: ignore[attr-defined]
            .values(values)
            .on_conflict_do_update(index_elements=["ticket_id"], set_=texts)
        )
        connection_of(self.session).execute(stmt)

    def remove(self, ticket_id: int) -> bool:
        t = TypicalCaseRow.__table__  # type: ignore[attr-defined]
        gone = connection_of(self.session).execute(delete(t).where(t.c.ticket_id == ticket_id))
        return bool(gone.rowcount)

    def typical_cases(self, estate_ids: Sequence[int], start: datetime, end: datetime) -> list[TypicalCase]:
        t = TypicalCaseRow.__table__  # type: ignore[attr-defined]
        ticket = TicketRow.__table__  # type: ignore[attr-defined]
        found: list[TypicalCase] = []
        ids = sorted(set(estate_ids))
        for chunk in (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            stmt = (
                select(*t.columns)
                .join(ticket, ticket.c.id == t.c.ticket_id)
                .where(
                    ticket.c.estate_id.in_(chunk),
                    ticket.c.created_at < end,
                    or_(ticket.c.closed_at.is_(None), ticket.c.closed_at >= start),
                )
            )
            found += [to_domain(r, TypicalCase) for r in connection_of(self.session).execute(stmt)]
        return sorted(found, key=lambda c: c.ticket_id)
