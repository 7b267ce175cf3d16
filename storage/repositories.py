"""Repositories over one SQLAlchemy session. They flush, never commit: the unit of work commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from handlers.domain import (
    Attachment,
    CalendarOverride,
    CardMessage,
    Company,
    Disclosure,
    DisclosureDeadline,
    DisclosureLine,
    DisclosureQuestion,
    Estate,
    GroupBinding,
    Invite,
    Notification,
    Office,
    Person,
    Role,
    RoleKind,
    Ticket,
    TicketEvent,
)
from handlers.ports import StaleTicket
from handlers.rules.categories import Duty
from handlers.rules.lifecycle import Status
from storage.mapping import copy_into, to_domain, to_row_values
from storage.tables import (
    AttachmentRow,
    CalendarOverrideRow,
    CardMessageRow,
    CompanyRow,
    DisclosureDeadlineRow,
    DisclosureLineRow,
    DisclosureQuestionRow,
    DisclosureRow,
    EstateRow,
    GroupBindingRow,
    InviteRow,
    NotificationRow,
    OfficeRow,
    PersonRow,
    PolicyRow,
    ProcessedUpdateRow,
    RoleRow,
    TicketEventRow,
    TicketRow,
    TicketSequenceRow,
)

D = TypeVar("D")
R = TypeVar("R", bound=SQLModel)


def _insert(session: Session, table: Any) -> Any:
    """`table`: a table class or its Table (then the statement bypasses the ORM's bulk-insert path)."""
    # An INSERT that knows ON CONFLICT: both databases have it, SQLAlchemy spells it per dialect.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {dialect}")


def _connection(session: Session) -> Any:
    """The session's connection (its transaction) for a plain statement, once the ORM's pending changes
    are written, as `session.execute` would: the hottest reads and writes skip the ORM's own machinery."""
    session.flush()
    return session.connection()


# Statements built once and reused with fresh parameters: building an UPDATE or INSERT of a wide row
# from keyword values costs more than running it, and the ladder and the outbox run them by the thousand.
_STATEMENTS: dict[tuple[str, str], Any] = {}


def _ticket_update() -> Any:
    if ("ticket", "update") not in _STATEMENTS:
        t = TicketRow.__table__  # type: ignore[attr-defined]
        _STATEMENTS["ticket", "update"] = (
            t.update()
            .where(t.c.id == bindparam("_id"), t.c.version == bindparam("_version"))
            .values({c.name: bindparam(c.name) for c in t.columns if c.name != "id"})
        )
    return _STATEMENTS["ticket", "update"]


def _prepared(session: Session, name: str, build: Callable[[Session], Any]) -> Any:
    """The statement `name` for this session's dialect, built by `build` the first time only."""
    key = (name, session.get_bind().dialect.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build(session)
    return _STATEMENTS[key]


def _notification_insert(session: Session) -> Any:
    t = NotificationRow.__table__  # type: ignore[attr-defined]
    return _prepared(
        session,
        "notification insert",
        lambda s: _insert(s, NotificationRow)
        .values({c.name: bindparam(c.name) for c in t.columns if c.name != "id"})
        .on_conflict_do_nothing(index_elements=[NotificationRow.key])
        .returning(t.c.id),
    )


class _Repository(Generic[D, R]):
    row: type[R]
    domain: type[D]

    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, *where: Any) -> D | None:
        row = self.session.exec(select(self.row).where(*where)).first()
        return to_domain(row, self.domain) if row is not None else None

    def _many(self, *where: Any, order: Any = None, limit: int | None = None) -> list[D]:
        stmt = select(self.row).where(*where)
        if order is not None:
            stmt = stmt.order_by(*order) if isinstance(order, tuple) else stmt.order_by(order)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_domain(r, self.domain) for r in self.session.exec(stmt).all()]

    def get(self, id: int) -> D | None:
        row = self.session.get(self.row, id)
        return to_domain(row, self.domain) if row is not None else None

    def add(self, item: D) -> D:
        row = self.row(**to_row_values(item))
        self.session.add(row)
        self.session.flush()
        item.id = row.id  # type: ignore[attr-defined]
        return item

    def save(self, item: D) -> D:
        row = self.session.get(self.row, item.id)  # type: ignore[attr-defined]
        if row is None:
            raise LookupError(f"{self.row.__tablename__} {item.id} does not exist")  # type: ignore[attr-defined]
        copy_into(row, item)
        self.session.flush()
        return item

    def all(self) -> list[D]:
        return self._many(order=col(self.row.id))  # type: ignore[attr-defined]


class _Keyed(_Repository[D, R]):
    def by_key(self, key: str) -> D | None:
        return self._one(col(self.row.key) == key)  # type: ignore[attr-defined]


class OfficeRepository(_Keyed[Office, OfficeRow]):
    row, domain = OfficeRow, Office

    def children(self, office_id: int) -> list[Office]:
        return self._many(col(OfficeRow.parent_id) == office_id, order=col(OfficeRow.id))


class CompanyRepository(_Keyed[Company, CompanyRow]):
    row, domain = CompanyRow, Company


class EstateRepository(_Keyed[Estate, EstateRow]):
    row, domain = EstateRow, Estate

    def by_invite_code(self, code: str) -> Estate | None:
        return self._one(col(EstateRow.invite_code) == code)

    def in_communities(self, community_ids: Sequence[int]) -> list[Estate]:
        return self._many(col(EstateRow.community_id).in_(list(community_ids)), order=col(EstateRow.id))


class PersonRepository(_Repository[Person, PersonRow]):
    row, domain = PersonRow, Person

    def by_telegram_id(self, telegram_id: int) -> Person | None:
        """Every update starts here, so a plain statement on the session's connection, not the ORM."""
        t = PersonRow.__table__  # type: ignore[attr-defined]
        stmt = _prepared(
            self.session,
            "person by telegram id",
            lambda _: sa_select(*t.columns).where(t.c.telegram_id == bindparam("telegram_id")),
        )
        row = _connection(self.session).execute(stmt, {"telegram_id": telegram_id}).first()
        return to_domain(row, Person) if row is not None else None


class RoleRepository(_Repository[Role, RoleRow]):
    row, domain = RoleRow, Role

    def of_person(self, person_id: int, active_only: bool = True) -> list[Role]:
        where = [col(RoleRow.person_id) == person_id]
        if active_only:
            where.append(col(RoleRow.active).is_(True))
        return self._many(*where, order=col(RoleRow.id))

    def at_estate(self, estate_id: int, kind: RoleKind, duty: Duty | None = None) -> list[Role]:
        where = [col(RoleRow.estate_id) == estate_id, col(RoleRow.kind) == kind.value, col(RoleRow.active)]
        if duty is not None:
            where.append(col(RoleRow.duty) == duty.value)
        return self._many(*where, order=col(RoleRow.id))

    def at_company(self, company_id: int, kind: RoleKind) -> list[Role]:
        return self._many(
            col(RoleRow.company_id) == company_id,
            col(RoleRow.kind) == kind.value,
            col(RoleRow.active),
            order=col(RoleRow.id),
        )

    def at_office(self, office_id: int) -> list[Role]:
        return self._many(col(RoleRow.office_id) == office_id, col(RoleRow.active), order=col(RoleRow.id))


class InviteRepository(_Repository[Invite, InviteRow]):
    row, domain = InviteRow, Invite

    def by_code(self, code: str) -> Invite | None:
        return self._one(col(InviteRow.code) == code)

    def pending_for(self, person_key: str) -> list[Invite]:
        return self._many(
            col(InviteRow.person_key) == person_key, col(InviteRow.used_at).is_(None), order=col(InviteRow.id)
        )


class TicketRepository(_Repository[Ticket, TicketRow]):
    row, domain = TicketRow, Ticket

    def by_number(self, number: str) -> Ticket | None:
        return self._one(col(TicketRow.number) == number)

    def save(self, item: Ticket) -> Ticket:
        values = to_row_values(item)
        values.pop("id")
        values["version"] = item.version + 1
        values["_id"], values["_version"] = item.id, item.version
        result = self.session.execute(_ticket_update(), values)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleTicket(item.number)
        item.version += 1
        # The row changed behind the ORM's back: forget it if this session holds it, and nothing else.
        held = self.session.identity_map.get(self.session.identity_key(TicketRow, item.id))
        if held is not None:
            self.session.expire(held)
        return item

    def next_sequence(self, estate_id: int, year: int) -> int:
        # One statement: the first reporter of a year inserts the row, later ones bump it. On PostgreSQL
        # a concurrent reporter waits on the row (or on the other's insert), so nobody shares a number
        # and the first two of a year do not collide on the primary key.
        stmt = (
            _insert(self.session, TicketSequenceRow)
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


class EventRepository(_Repository[TicketEvent, TicketEventRow]):
    row, domain = TicketEventRow, TicketEvent

    def of_ticket(self, ticket_id: int) -> list[TicketEvent]:
        return self._many(col(TicketEventRow.ticket_id) == ticket_id, order=col(TicketEventRow.id))


class AttachmentRepository(_Repository[Attachment, AttachmentRow]):
    row, domain = AttachmentRow, Attachment

    def of_ticket(self, ticket_id: int) -> list[Attachment]:
        return self._many(col(AttachmentRow.ticket_id) == ticket_id, order=col(AttachmentRow.id))


class NotificationRepository(_Repository[Notification, NotificationRow]):
    row, domain = NotificationRow, Notification

    def add(self, item: Notification) -> bool:  # type: ignore[override]
        # ON CONFLICT rather than look-then-insert: two sweeps queueing the same key at once must not
        # abort each other's transaction with a unique violation.
        values = to_row_values(item)
        values.pop("id")
        new_id = self.session.execute(_notification_insert(self.session), values).scalar_one_or_none()
        if new_id is None:
            return False
        item.id = new_id
        return True

    def pending(self, now: datetime, limit: int) -> list[Notification]:
        return self._many(
            col(NotificationRow.sent_at).is_(None),
            col(NotificationRow.failed_at).is_(None),
            (col(NotificationRow.not_before).is_(None)) | (col(NotificationRow.not_before) <= now),
            order=col(NotificationRow.id),
            limit=limit,
        )

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Notification]:
        """Take a lease on pending notifications that nobody else holds (SKIP LOCKED on PostgreSQL), so
        two dispatchers never send the same one; a dispatcher that dies loses its lease when it expires."""
        pending = (
            select(NotificationRow.id)
            .where(
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
                (col(NotificationRow.not_before).is_(None)) | (col(NotificationRow.not_before) <= now),
                (col(NotificationRow.claimed_until).is_(None)) | (col(NotificationRow.claimed_until) <= now),
            )
            .order_by(col(NotificationRow.id))
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            pending = pending.with_for_update(skip_locked=True)
        ids = [i for i in self.session.exec(pending).all() if i is not None]
        if not ids:
            return []
        self.session.execute(
            update(NotificationRow).where(col(NotificationRow.id).in_(ids)).values(claimed_until=lease_until)
        )
        self.session.flush()
        return self._many(col(NotificationRow.id).in_(ids), order=col(NotificationRow.id))

    def counts(self, now: datetime) -> dict[str, int]:
        """How many are waiting, sent, uncertain, blocked, rerouted or failed (for `wuye status`)."""
        rows = self.session.execute(
            select(NotificationRow.outcome, func.count()).group_by(NotificationRow.outcome)
        ).all()
        out = {str(outcome or "waiting"): int(n) for outcome, n in rows}
        return out

    def renew(self, notification_id: int, held_until: datetime, lease_until: datetime) -> bool:
        """Extend a lease if it is still the one we took (nobody re-claimed it after it expired)."""
        result = self.session.execute(
            update(NotificationRow)
            .where(
                col(NotificationRow.id) == notification_id,
                col(NotificationRow.claimed_until) == held_until,
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
            )
            .values(claimed_until=lease_until)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def release_leases(self) -> int:
        """Drop every lease on unfinished notifications (only safe when no other dispatcher runs)."""
        result = self.session.execute(
            update(NotificationRow)
            .where(
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
                col(NotificationRow.claimed_until).is_not(None),
            )
            .values(claimed_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def oldest_waiting(self) -> Notification | None:
        found = self._many(
            col(NotificationRow.sent_at).is_(None),
            col(NotificationRow.failed_at).is_(None),
            order=col(NotificationRow.id),
            limit=1,
        )
        return found[0] if found else None

    def add_many(self, items: Sequence[Notification]) -> int:
        """INSERT … ON CONFLICT DO NOTHING for many rows at once: one statement compiled once, sent by the
        driver in batches ("insertmanyvalues"); thousands of owners in a few round trips."""
        if not items:
            return 0
        rows = []
        for item in items:
            values = to_row_values(item)
            values.pop("id")
            rows.append(values)
        table = NotificationRow.__table__  # type: ignore[attr-defined]
        stmt = (
            _insert(self.session, NotificationRow)
            .on_conflict_do_nothing(index_elements=[NotificationRow.key])
            .returning(table.c.id)
        )
        return len(_connection(self.session).execute(stmt, rows).all())


class CardRepository(_Repository[CardMessage, CardMessageRow]):
    row, domain = CardMessageRow, CardMessage

    def of_ticket(self, ticket_id: int) -> list[CardMessage]:
        return self._many(col(CardMessageRow.ticket_id) == ticket_id, order=col(CardMessageRow.id))


class GroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, chat_id: int) -> GroupBinding | None:
        row = self.session.get(GroupBindingRow, chat_id)
        return to_domain(row, GroupBinding) if row is not None else None

    def put(self, item: GroupBinding) -> None:
        row = self.session.get(GroupBindingRow, item.chat_id)
        if row is None:
            self.session.add(GroupBindingRow(**to_row_values(item)))
        else:
            copy_into(row, item)
        self.session.flush()

    def delete(self, chat_id: int) -> bool:
        row = self.session.get(GroupBindingRow, chat_id)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def for_estate(self, estate_id: int) -> list[GroupBinding]:
        rows = self.session.exec(
            select(GroupBindingRow).where(col(GroupBindingRow.estate_id) == estate_id)
        ).all()
        return [to_domain(r, GroupBinding) for r in rows]

    def for_office(self, office_id: int) -> list[GroupBinding]:
        rows = self.session.exec(
            select(GroupBindingRow).where(col(GroupBindingRow.office_id) == office_id)
        ).all()
        return [to_domain(r, GroupBinding) for r in rows]


class UpdateLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def seen(self, bot_id: int, update_id: int) -> bool:
        t = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
        stmt = _prepared(
            self.session,
            "update seen",
            lambda _: sa_select(t.c.id)
            .where(t.c.bot_id == bindparam("bot_id"), t.c.update_id == bindparam("update_id"))
            .limit(1),
        )
        params = {"bot_id": bot_id, "update_id": update_id}
        return _connection(self.session).execute(stmt, params).first() is not None

    def mark(self, bot_id: int, update_id: int, now: datetime) -> None:
        t = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
        stmt = _prepared(
            self.session,
            "update mark",
            lambda s: _insert(s, t)
            .values({k: bindparam(k) for k in ("bot_id", "update_id", "processed_at")})
            .on_conflict_do_nothing(index_elements=[t.c.bot_id, t.c.update_id]),
        )
        params = {"bot_id": bot_id, "update_id": update_id, "processed_at": now}
        _connection(self.session).execute(stmt, params)

    def prune(self, before: datetime) -> int:
        result = self.session.execute(
            delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.processed_at) < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[dict[str, Any]]:
        rows = self.session.exec(select(PolicyRow).order_by(col(PolicyRow.key))).all()
        return [dict(r.data) for r in rows]

    def put(self, key: str, data: dict[str, Any]) -> None:
        row = self.session.get(PolicyRow, key)
        if row is None:
            self.session.add(PolicyRow(key=key, data=data))
        else:
            row.data = data
        self.session.flush()


class CalendarRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def overrides(self) -> dict[date, bool]:
        return {r.day: r.working for r in self.session.exec(select(CalendarOverrideRow)).all()}

    def put(self, item: CalendarOverride) -> None:
        row = self.session.get(CalendarOverrideRow, item.day)
        if row is None:
            self.session.add(CalendarOverrideRow(day=item.day, working=item.working, note=item.note))
        else:
            row.working, row.note = item.working, item.note
        self.session.flush()


# -- disclosures (公共收益, 专项维修资金, 公摊水电) ---------------------------------------------------


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
        self, id: int, status: str, now: datetime, person_id: int | None, reason: str | None = None
    ) -> None:
        row = self.session.get(DisclosureRow, id, with_for_update=True)
        if row is None:
            raise KeyError(id)
        if row.status != "draft":
            raise ValueError(f"disclosure {id} is {row.status}: only a draft can change")
        row.status = status
        if status == "published":
            row.published_at, row.published_by, row.reason = now, person_id, reason
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
                DisclosureRow.status == "published",
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
                DisclosureRow.status == "published",
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
