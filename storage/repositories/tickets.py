"""Tickets, their events and attachments, and the cards that show a ticket in a chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import String, and_, bindparam, case, distinct, func, literal_column, null, or_, text, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from handlers.domain.notifications import CardMessage
from handlers.domain.ticket import Attachment, Ticket, TicketEvent
from handlers.ports import (
    Activity,
    EventMark,
    LedgerTicket,
    ListCount,
    ListScope,
    StaleTicket,
    TicketList,
)
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import Rung
from storage.mapping import to_domain, to_row_values
from storage.repositories.base import Repository
from storage.repositories.figures import follow_event, follow_ticket
from storage.repositories.statements import Plain, connection_of, insert_ignoring_duplicates
from storage.tables import (
    OPEN_TICKET,
    RUNNING_TICKET,
    AttachmentRow,
    CardMessageRow,
    TicketEventRow,
    TicketRow,
    TicketSequenceRow,
)

_CHUNK = 500  # ids to a statement: SQLite takes at most 999 parameters in older builds
# A ledger's ticket, column by column; the four enumerations are the 3rd, 4th, 7th and 8th.
_LEDGER_COLUMNS = [f.name for f in fields(LedgerTicket)]
assert [_LEDGER_COLUMNS[i] for i in (2, 3, 6, 7)] == ["category", "urgency", "status", "privacy"]


def _values(kind: type[Enum]) -> dict[Any, Any]:
    """Stored value -> member: looked up, not constructed (Enum(value) costs a microsecond a call)."""
    return {m.value: m for m in kind}


_T = TicketRow.__table__  # type: ignore[attr-defined]
# Every column, only if the row is still at the version the caller read (optimistic locking).
_UPDATE = Plain(
    "ticket versioned update",
    lambda _: (
        _T.update()
        .where(_T.c.id == bindparam("_id"), _T.c.version == bindparam("_version"))
        .values({c.name: bindparam(c.name) for c in _T.columns if c.name != "id"})
    ),
)
_BY_DRAFT = Plain(
    "ticket by draft",
    lambda _: sa_select(*_T.columns).where(_T.c.draft_key == bindparam("draft_key")).limit(1),
)
_S = TicketSequenceRow.__table__  # type: ignore[attr-defined]
_NEXT = Plain(
    "ticket sequence",
    lambda s: (
        insert_ignoring_duplicates(s, _S)
        .values(estate_id=bindparam("estate_id"), year=bindparam("year"), last=1)
        .on_conflict_do_update(index_elements=[_S.c.estate_id, _S.c.year], set_={"last": _S.c.last + 1})
        .returning(_S.c.last)
    ),
)


class TicketRepository(Repository[Ticket, TicketRow]):
    row, domain = TicketRow, Ticket

    def by_number(self, number: str) -> Ticket | None:
        return self._one(col(TicketRow.number) == number)

    def by_draft(self, draft_key: str) -> Ticket | None:
        found = _BY_DRAFT.first(self.session, {"draft_key": draft_key})
        return to_domain(found, Ticket) if found is not None else None

    def save(self, item: Ticket) -> Ticket:
        values = to_row_values(item)
        values.pop("id")
        values["version"] = item.version + 1
        values["_id"], values["_version"] = item.id, item.version
        if _UPDATE.run(self.session, values) != 1:
            raise StaleTicket(item.number)
        item.version += 1
        self._forget(item.id)
        follow_ticket(self.session, item)
        return item

    def next_sequence(self, estate_id: int, year: int) -> int:
        # One statement: the first reporter of a year inserts the row, later ones bump it. On PostgreSQL
        # a concurrent reporter waits on the row (or on the other's insert), so nobody shares a number
        # and the first two of a year do not collide on the primary key.
        return int(_NEXT.first(self.session, {"estate_id": estate_id, "year": year}).last)

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

    # ---- the officials' lists: counted and paged in the database ------------------------------------
    def _listed(self, scope: ListScope, now: datetime) -> list[Any] | None:
        """The WHERE of a list (None: it holds nothing). `OPEN_TICKET` as written, so that both databases
        answer from the partial indexes of open tickets."""
        t = self._table
        where: list[Any] = [text(OPEN_TICKET)]
        if not scope.everywhere:  # every estate there is: no list of them to test each ticket against
            parts = []
            if scope.estate_ids:
                parts.append(t.c.estate_id.in_(sorted(set(scope.estate_ids))))
            if scope.department_ids and scope.which is TicketList.AREA:
                parts.append(
                    and_(
                        t.c.department_office_id.in_(sorted(set(scope.department_ids))),
                        t.c.status == Status.TRANSFERRED.value,
                    )
                )
            if not parts:
                return None
            where.append(parts[0] if len(parts) == 1 else or_(*parts))
        if scope.which is TicketList.OVERDUE:
            where += [text(RUNNING_TICKET), t.c.due_at < now]
        elif scope.which is TicketList.SUPERVISED:
            where.append(t.c.supervised.is_(True))
        return where

    def count_listed(self, scope: ListScope, now: datetime) -> ListCount:
        where = self._listed(scope, now)
        if where is None:
            return ListCount(0, 0)
        t = self._table
        # Among open tickets, the clock runs unless the owner is being asked (RUNNING_TICKET, cheaper).
        running_late = and_(t.c.status != Status.WAITING_OWNER.value, t.c.due_at < now)
        stmt = sa_select(func.count(), func.count(case((running_late, 1)))).where(*where)
        total, late = connection_of(self.session).execute(stmt).one()
        return ListCount(int(total), int(late))

    def _ids(self, where: list[Any], offset: int, limit: int) -> list[int]:
        """A page of ids by deadline (none last), then id: from ix_ticket_open_due, walked in order where
        the area is large, or ix_ticket_open, estate by estate, where it is small."""
        t = self._table
        stmt = (
            sa_select(t.c.id)
            .where(*where)
            .order_by(t.c.due_at.asc().nulls_last(), t.c.id)
            .offset(max(offset, 0))
            .limit(limit)
        )
        return [i for (i,) in connection_of(self.session).execute(stmt)]

    def page_listed(self, scope: ListScope, now: datetime, offset: int, limit: int) -> list[Ticket]:
        where = self._listed(scope, now)
        if where is None or limit <= 0:
            return []
        t = self._table
        if scope.which is not TicketList.AREA:
            ids = self._ids(where, offset, limit)
        else:
            # Listed for supervision first, then the rest: each part walked in its own order, so that
            # no page sorts the whole area (a district's 100,000 open tickets).
            ids = self._ids([*where, t.c.supervised.is_(True)], offset, limit)
            if len(ids) < limit:
                if ids:
                    after = 0
                else:
                    counted = sa_select(func.count()).where(*where, t.c.supervised.is_(True))
                    after = offset - int(connection_of(self.session).execute(counted).scalar_one())
                ids += self._ids([*where, t.c.supervised.is_(False)], after, limit - len(ids))
        if not ids:
            return []
        found = {x.id: x for x in self._many(t.c.id.in_(ids))}
        return [found[i] for i in ids if i in found]

    def activity(self, start: datetime, end: datetime) -> list[Activity]:
        t, e = self._table, TicketEventRow.__table__  # type: ignore[attr-defined]
        db = connection_of(self.session)
        counts: dict[int, dict[str, int]] = {}

        def add(estate_id: int, what: str, n: int) -> None:
            counts.setdefault(estate_id, {})[what] = n

        received = (
            sa_select(t.c.estate_id, func.count())
            .where(t.c.created_at >= start, t.c.created_at < end)
            .group_by(t.c.estate_id)
        )
        for estate_id, n in db.execute(received):
            add(estate_id, "received", int(n))
        closings = {
            Event.CONFIRM.value: "closed_confirmed",
            Event.CLOSE_UNCONFIRMED.value: "closed_unconfirmed",
        }
        closed = (
            sa_select(t.c.estate_id, e.c.event, func.count(distinct(e.c.ticket_id)))
            .select_from(e.join(t, t.c.id == e.c.ticket_id))
            .where(e.c.event.in_(sorted(closings)), e.c.at >= start, e.c.at < end)
            .group_by(t.c.estate_id, e.c.event)
        )
        for estate_id, event, n in db.execute(closed):
            add(estate_id, closings[event], int(n))
        # The rung is in the event's data: the period's escalations are few, read and told apart here.
        rungs = (
            sa_select(t.c.estate_id, e.c.ticket_id, e.c.data)
            .select_from(e.join(t, t.c.id == e.c.ticket_id))
            .where(e.c.event == Event.ESCALATE.value, e.c.at >= start, e.c.at < end)
        )
        supervised: dict[int, set[int]] = {}
        for estate_id, ticket_id, data in db.execute(rungs):
            if isinstance(data, dict) and data.get("rung") == Rung.BUREAU.value:
                supervised.setdefault(estate_id, set()).add(ticket_id)
        for estate_id, tickets in supervised.items():
            add(estate_id, "supervised", len(tickets))
        return [Activity(estate_id, **found) for estate_id, found in sorted(counts.items())]

    def for_ledger(
        self, estate_id: int, start: datetime, end: datetime, after_id: int, limit: int
    ) -> list[LedgerTicket]:
        # Only the columns a row shows, straight into LedgerTicket: no policy snapshot to decode, no
        # domain mapping by name (a month of a district is 100,000 of these).
        t = self._table
        stmt = (
            sa_select(*(t.c[name] for name in _LEDGER_COLUMNS))
            .where(
                t.c.estate_id == estate_id,
                t.c.id > after_id,
                t.c.created_at < end,
                or_(t.c.closed_at.is_(None), t.c.closed_at >= start),
            )
            .order_by(t.c.id)
            .limit(limit)
        )
        category, urgency, status, privacy = (_values(k) for k in (Category, Urgency, Status, Privacy))
        return [
            LedgerTicket(
                r[0], r[1], category[r[2]], urgency[r[3]], r[4], r[5], status[r[6]], privacy[r[7]], *r[8:]
            )
            for r in connection_of(self.session).execute(stmt).all()
        ]

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

    def add(self, item: TicketEvent) -> TicketEvent:
        """Appended to the ticket's history, and the figures' moments it adds or decides kept with it."""
        added = super().add(item)
        follow_event(self.session, added)
        return added

    def marks(self, ticket_ids: Sequence[int], wanted: Mapping[Event, str | None]) -> list[EventMark]:
        e = self._table
        kinds = {k.value: k for k in wanted}
        keyed = [(e.c.event == k.value, e.c.data[key].as_string()) for k, key in wanted.items() if key]
        value = case(*keyed, else_=None) if keyed else null()
        # SQLite, without statistics, would rather look the few kinds up in the index by kind and time
        # (and read every such event ever) than the many tickets in the index by ticket: `+event` keeps
        # the kind a filter. PostgreSQL weighs them by its statistics.
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        event = literal_column("+ticket_event.event", String) if sqlite else e.c.event
        found: list[EventMark] = []
        ids = sorted(set(ticket_ids))
        for chunk in (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            stmt = (
                sa_select(e.c.ticket_id, e.c.event, e.c.at, value)
                .where(e.c.ticket_id.in_(chunk), event.in_(sorted(kinds)))
                .order_by(e.c.ticket_id, e.c.id)
            )
            found += [
                EventMark(ticket_id, kinds[kind], at, None if v is None else str(v))
                for ticket_id, kind, at, v in connection_of(self.session).execute(stmt)
            ]
        return found

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
