"""Tickets, their events and attachments, and the cards that show a ticket in a chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from handlers.domain import Attachment, CardMessage, Ticket, TicketEvent
from handlers.ports import StaleTicket
from handlers.rules.lifecycle import FINAL_STATUSES, Status
from storage.mapping import to_domain, to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import insert_ignoring_duplicates, prepared
from storage.tables import AttachmentRow, CardMessageRow, TicketEventRow, TicketRow, TicketSequenceRow

_CHUNK = 500  # ids to a statement: SQLite takes at most 999 parameters in older builds


def _ticket_update(session: Session) -> Any:
    """Every column, only if the row is still at the version the caller read (optimistic locking)."""
    t = TicketRow.__table__  # type: ignore[attr-defined]
    return prepared(
        session,
        "ticket versioned update",
        lambda _: (
            t.update()
            .where(t.c.id == bindparam("_id"), t.c.version == bindparam("_version"))
            .values({c.name: bindparam(c.name) for c in t.columns if c.name != "id"})
        ),
    )


class TicketRepository(Repository[Ticket, TicketRow]):
    row, domain = TicketRow, Ticket

    def by_number(self, number: str) -> Ticket | None:
        return self._one(col(TicketRow.number) == number)

    def by_draft(self, draft_key: str) -> Ticket | None:
        return self._one(col(TicketRow.draft_key) == draft_key)

    def save(self, item: Ticket) -> Ticket:
        values = to_row_values(item)
        values.pop("id")
        values["version"] = item.version + 1
        values["_id"], values["_version"] = item.id, item.version
        result = self.session.execute(_ticket_update(self.session), values)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleTicket(item.number)
        item.version += 1
        self._forget(item.id)
        return item

    def next_sequence(self, estate_id: int, year: int) -> int:
        # One statement: the first reporter of a year inserts the row, later ones bump it. On PostgreSQL
        # a concurrent reporter waits on the row (or on the other's insert), so nobody shares a number
        # and the first two of a year do not collide on the primary key.
        stmt = (
            insert_ignoring_duplicates(self.session, TicketSequenceRow)
            .values(estate_id=estate_id, year=year, last=1)
            .on_conflict_do_update(
                index_elements=[TicketSequenceRow.estate_id, TicketSequenceRow.year],
                set_={"last": TicketSequenceRow.last + 1},
            )
            .returning(TicketSequenceRow.last)
        )
        return int(self.session.execute(stmt).scalar_one())

    def of_reporter(self, person_id: int, limit: int = 20) -> list[Ticket]:
        return self._many(
            col(TicketRow.reporter_id) == person_id, order=col(TicketRow.id).desc(), limit=limit
        )

    # Earliest deadline first, tickets without one last: said outright, as SQLite sorts NULL first
    # and PostgreSQL last.
    def of_assignee(self, person_id: int, statuses: frozenset[Status]) -> list[Ticket]:
        return self._many(
            col(TicketRow.assignee_id) == person_id,
            col(TicketRow.status).in_([s.value for s in statuses]),
            order=(col(TicketRow.due_at).nulls_last(), col(TicketRow.id)),
        )

    def of_estates(self, estate_ids: Sequence[int], statuses: frozenset[Status]) -> list[Ticket]:
        return self._many(
            col(TicketRow.estate_id).in_(list(estate_ids)),
            col(TicketRow.status).in_([s.value for s in statuses]),
            order=(col(TicketRow.due_at).nulls_last(), col(TicketRow.id)),
        )

    def for_figures(self, estate_ids: Sequence[int], start: datetime, end: datetime) -> list[Ticket]:
        final = [s.value for s in FINAL_STATUSES]
        found: list[Ticket] = []
        ids = sorted(set(estate_ids))
        for chunk in (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            found += self._many(
                col(TicketRow.estate_id).in_(chunk),
                col(TicketRow.created_at) < end,
                or_(
                    col(TicketRow.status).not_in(final),
                    col(TicketRow.updated_at).is_(None),
                    col(TicketRow.updated_at) >= start,
                ),
            )
        return sorted(found, key=lambda t: t.id or 0)

    def for_ledger(
        self, estate_id: int, start: datetime, end: datetime, after_id: int, limit: int
    ) -> list[Ticket]:
        return self._many(
            col(TicketRow.estate_id) == estate_id,
            col(TicketRow.id) > after_id,
            col(TicketRow.created_at) < end,
            or_(col(TicketRow.closed_at).is_(None), col(TicketRow.closed_at) >= start),
            order=col(TicketRow.id),
            limit=limit,
        )

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        return self._many(
            col(TicketRow.next_action_at) <= now,
            order=(col(TicketRow.next_action_at), col(TicketRow.id)),
            limit=limit,
        )

    def due_ids(self, now: datetime, limit: int) -> list[int]:
        stmt = (
            select(TicketRow.id)
            .where(col(TicketRow.next_action_at) <= now)
            .order_by(col(TicketRow.next_action_at), col(TicketRow.id))
            .limit(limit)
        )
        return [i for i in self.session.exec(stmt).all() if i is not None]

    def claim(self, ticket_id: int, now: datetime) -> Ticket | None:
        """The ticket if it is still due and no other instance holds it (row lock on PostgreSQL)."""
        stmt = select(TicketRow).where(col(TicketRow.id) == ticket_id, col(TicketRow.next_action_at) <= now)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = self.session.exec(stmt).first()
        return to_domain(row, Ticket) if row is not None else None


class EventRepository(Repository[TicketEvent, TicketEventRow]):
    row, domain = TicketEventRow, TicketEvent

    def of_ticket(self, ticket_id: int) -> list[TicketEvent]:
        return self._many(col(TicketEventRow.ticket_id) == ticket_id, order=col(TicketEventRow.id))

    def of_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
        found: dict[int, list[TicketEvent]] = {}
        ids = sorted(set(ticket_ids))
        for chunk in (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            where = col(TicketEventRow.ticket_id).in_(chunk)
            for event in self._many(where, order=(col(TicketEventRow.ticket_id), col(TicketEventRow.id))):
                found.setdefault(event.ticket_id, []).append(event)
        return found


class AttachmentRepository(Repository[Attachment, AttachmentRow]):
    row, domain = AttachmentRow, Attachment

    def of_ticket(self, ticket_id: int) -> list[Attachment]:
        return self._many(col(AttachmentRow.ticket_id) == ticket_id, order=col(AttachmentRow.id))


class CardRepository(Repository[CardMessage, CardMessageRow]):
    row, domain = CardMessageRow, CardMessage

    def of_ticket(self, ticket_id: int) -> list[CardMessage]:
        return self._many(col(CardMessageRow.ticket_id) == ticket_id, order=col(CardMessageRow.id))

    def shown(self, chat_id: int, message_id: int, version: int) -> None:
        here = (col(CardMessageRow.chat_id) == chat_id) & (col(CardMessageRow.message_id) == message_id)
        self.session.execute(update(CardMessageRow).where(here).values(shown_version=version))
