"""The supervision figures counted in the database. Each moment of a ticket that a figure counts it by
(handlers/rules/figures.py, the definition) is kept as a row of `ticket_figure` when the ticket's event
is written or the ticket saved, in the same transaction; a scope's figures over a period are then one
query over its estates' rows in the period, from one index, and a count of its overdue tickets from the
open tickets' partial index. Nothing loads a ticket or its history to count it.

The rows of one ticket (storage/tables.TicketFigureRow says what each column holds):
  received     when it was reported
  response     the first acknowledgement's case: undecided at the limit set at the report until the
               wait ends (acknowledged: met then, or missed at the limit; rejected, transferred or
               withdrawn: missed at the limit if it had passed, else no case, the row gone)
  resolution   the first resolution's case: undecided at the deadline in force, followed as the ticket
               is saved (`stopped`: when the owner was asked, or it was withdrawn) until it is
               resolved (met then, or missed at the deadline in force)
  rated        the first rating; `met`: 4 or 5 stars
  confirmed, unconfirmed, withdrawn, reopened, transferred, supervised (reached the bureau's rung):
               each time it happened, with the `previous` time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.exc import NoResultFound
from sqlmodel import Session

from handlers.domain.ticket import Ticket, TicketEvent
from handlers.rules.figures import ACKNOWLEDGEMENT_ENDS, SATISFIED_FROM, Figures
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import Rung
from handlers.rules.ranking import Rate
from storage.repositories.statements import Plain, connection_of
from storage.tables import RUNNING_TICKET, TicketFigureRow, TicketRow
from storage.types import UTCDateTime

_CHUNK = 500  # estates to a statement: SQLite takes at most 999 parameters in older builds


class Moment(StrEnum):
    RECEIVED = "received"
    RESPONSE = "response"
    RESOLUTION = "resolution"
    RATED = "rated"
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    SUPERVISED = "supervised"


# Events counted by when they happened: a ticket once in a period, however often it happened in it.
HAPPENED = {
    Event.CONFIRM: Moment.CONFIRMED,
    Event.CLOSE_UNCONFIRMED: Moment.UNCONFIRMED,
    Event.WITHDRAW: Moment.WITHDRAWN,
    Event.REOPEN: Moment.REOPENED,
    Event.TRANSFER_DEPARTMENT: Moment.TRANSFERRED,
}


def _f() -> Any:
    return TicketFigureRow.__table__  # type: ignore[attr-defined]


def _t() -> Any:
    return TicketRow.__table__  # type: ignore[attr-defined]


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _when() -> Any:
    return bindparam("_at", type_=UTCDateTime)


def _this(kind: Moment) -> Any:
    """The undecided case of this kind of the ticket `_ticket`, if it has one."""
    f = _f()
    return and_(f.c.ticket_id == bindparam("_ticket"), f.c.kind == kind.value, f.c.met.is_(None))


# ---- kept as the ticket changes ------------------------------------------------------------------------
def follow_event(session: Session, event: TicketEvent) -> None:
    """The moments `event`, just appended to its ticket's history, adds or decides."""
    kind, ticket = event.event, event.ticket_id
    if kind is Event.OPEN:
        _opened(session, event)
    elif kind is Event.ACKNOWLEDGE:
        _PLAIN["acknowledged"].run(session, {"_ticket": ticket, "_at": event.at})
    elif kind in ACKNOWLEDGEMENT_ENDS:  # no longer owed: a case only if the limit had passed
        _PLAIN["unowed"].run(session, {"_ticket": ticket, "_at": event.at})
        _PLAIN["missed"].run(session, {"_ticket": ticket})
    if kind is Event.RESOLVE:
        _resolved(connection_of(session), session, event)
    happened = HAPPENED.get(kind)
    if kind is Event.ESCALATE and event.data.get("rung") == Rung.BUREAU.value:
        happened = Moment.SUPERVISED
    if happened is not None:
        values = {"_ticket": ticket, "_at": event.at, "_kind": happened.value}
        _PLAIN["happened"].run(session, values)
    stars = event.data.get("stars")
    if kind is Event.RATE and isinstance(stars, int):
        values = {"_ticket": ticket, "_at": event.at, "_met": stars >= SATISFIED_FROM}
        _PLAIN["rated"].run(session, values)


def follow_ticket(session: Session, ticket: Ticket) -> None:
    """A ticket never resolved yet: its resolution's case follows the deadline in force and whether its
    clock stopped (asked the owner, or withdrawn)."""
    if ticket.cycle != 1 or ticket.resolved_at is not None:
        return
    stops = [ticket.paused_at, ticket.closed_at if ticket.status is Status.WITHDRAWN else None]
    stopped = min((s for s in stops if s is not None), default=None)
    values = {"_ticket": ticket.id, "_at": ticket.due_at, "_stopped": stopped}
    _PLAIN["clock"].run(session, values)


def _opened(session: Session, event: TicketEvent) -> None:
    row = _OPENED.first(session, {"_ticket": event.ticket_id})
    if row is None:
        raise NoResultFound("No row was found when one was required")  # as Result.one() says it
    limit = _moment(event.data.get("ack_due_at")) or row.ack_due_at
    rows = [
        {"kind": Moment.RECEIVED.value, "at": row.created_at, "met": True, "stopped": None},
        {"kind": Moment.RESOLUTION.value, "at": row.due_at, "met": None, "stopped": row.paused_at},
    ]
    if limit is not None:
        rows.append({"kind": Moment.RESPONSE.value, "at": limit, "met": None, "stopped": None})
    common = {"ticket_id": event.ticket_id, "estate_id": row.estate_id, "previous": None}
    _PLAIN["insert"].run_many(session, [common | r for r in rows])


def _resolved(db: Any, session: Session, event: TicketEvent) -> None:
    """The first resolution decides its case against the deadline in force then (kept with the event;
    else the ticket's)."""
    due = _moment(event.data.get("due_at"))
    if due is None:
        t = _t()
        due = db.execute(select(t.c.due_at).where(t.c.id == event.ticket_id)).scalar_one_or_none()
    if due is None:
        db.execute(_f().delete().where(_this(Moment.RESOLUTION)), {"_ticket": event.ticket_id})
        return
    met = event.at <= due
    values = {"_ticket": event.ticket_id, "_at": event.at if met else due, "_met": met}
    _PLAIN["resolved"].run(session, values)


def _acknowledged() -> Any:
    f, at = _f(), _when()
    in_time = at <= f.c.at
    return f.update().where(_this(Moment.RESPONSE)).values(met=in_time, at=case((in_time, at), else_=f.c.at))


def _unowed() -> Any:
    f = _f()
    return f.delete().where(_this(Moment.RESPONSE), f.c.at >= _when())


def _missed() -> Any:
    return _f().update().where(_this(Moment.RESPONSE)).values(met=false())


def _resolved_statement() -> Any:
    f = _f()
    return (
        f.update()
        .where(_this(Moment.RESOLUTION))
        .values(at=_when(), met=bindparam("_met", type_=Boolean), stopped=None)
    )


def _clock() -> Any:
    return (
        _f()
        .update()
        .where(_this(Moment.RESOLUTION))
        .values(at=_when(), stopped=bindparam("_stopped", type_=UTCDateTime))
    )


def _happened() -> Any:
    f, t, ticket, kind = _f(), _t(), bindparam("_ticket", type_=Integer), bindparam("_kind", type_=String)
    previous = select(func.max(f.c.at)).where(f.c.ticket_id == ticket, f.c.kind == kind).scalar_subquery()
    rows = select(t.c.id, t.c.estate_id, kind, _when(), true(), previous).where(t.c.id == ticket)
    return f.insert().from_select(["ticket_id", "estate_id", "kind", "at", "met", "previous"], rows)


def _rated() -> Any:
    f, t, ticket = _f(), _t(), bindparam("_ticket", type_=Integer)
    rated = literal(Moment.RATED.value)
    earlier = select(f.c.id).where(f.c.ticket_id == ticket, f.c.kind == Moment.RATED.value).exists()
    rows = select(t.c.id, t.c.estate_id, rated, _when(), bindparam("_met", type_=Boolean)).where(
        t.c.id == ticket, ~earlier
    )
    return f.insert().from_select(["ticket_id", "estate_id", "kind", "at", "met"], rows)


def _insert() -> Any:
    f = _f()
    return f.insert().values(
        {c: bindparam(c) for c in ("ticket_id", "estate_id", "kind", "at", "met", "stopped", "previous")}
    )


def _built(build: Callable[[], Any]) -> Callable[[Session], Any]:
    return lambda _: build()


_BUILD = {
    "acknowledged": _acknowledged,
    "unowed": _unowed,
    "missed": _missed,
    "resolved": _resolved_statement,
    "clock": _clock,
    "happened": _happened,
    "rated": _rated,
    "insert": _insert,
}
_PLAIN = {name: Plain(f"figures {name}", _built(build)) for name, build in _BUILD.items()}


def _opened_statement() -> Any:
    t = _t()
    columns = (t.c.estate_id, t.c.created_at, t.c.ack_due_at, t.c.due_at, t.c.paused_at)
    return select(*columns).where(t.c.id == bindparam("_ticket"))


_OPENED = Plain("figures opened", lambda _: _opened_statement())


# ---- counted -------------------------------------------------------------------------------------------
class FigureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_estate(
        self, estate_ids: Sequence[int], start: datetime, end: datetime, now: datetime, min_sample: int
    ) -> dict[int, Figures]:
        ids = sorted(set(estate_ids))
        counts: dict[int, dict[str, tuple[int, int]]] = {e: {} for e in ids}
        overdue: dict[int, int] = {}
        db = connection_of(self.session)
        # PostgreSQL takes the estates as one array (a district's 500 ids are one parameter, not 500 to
        # bind and parse); SQLite a list at a time.
        whole = self.session.get_bind().dialect.name == "postgresql"
        for chunk in [ids] if whole else (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            for estate_id, kind, n, met in db.execute(counted_statement(chunk, start, end, now, whole)):
                counts[estate_id][kind] = (int(n), int(met or 0))
            for estate_id, n in db.execute(_overdue(chunk, end, now, whole)):
                overdue[estate_id] = int(n)
        return {e: _figures(counts[e], overdue.get(e, 0), min_sample) for e in ids}


def _among(column: Any, estate_ids: list[int], array: bool) -> Any:
    if array:
        return column == any_(bindparam("estates", estate_ids, type_=ARRAY(Integer)))
    return column.in_(estate_ids)


def counted_statement(
    estate_ids: list[int], start: datetime, end: datetime, now: datetime, array: bool = False
) -> Any:
    """Per estate and kind: the tickets counted in [start, end), and of those the cases met (`array`:
    the estates as one PostgreSQL array)."""
    f = _f()
    decided = or_(
        f.c.met.is_not(None),  # a decided case or a count; an undecided one is missed once its moment
        and_(f.c.at < now, or_(f.c.stopped.is_(None), f.c.stopped > f.c.at)),  # passed, the clock running
    )
    first = or_(f.c.previous.is_(None), f.c.previous < start)  # the ticket's first of its kind in it
    met = func.sum(case((f.c.met == true(), 1), else_=0))
    return (
        select(f.c.estate_id, f.c.kind, func.count(), met)
        .where(_among(f.c.estate_id, estate_ids, array), f.c.at >= start, f.c.at < end, decided, first)
        .group_by(f.c.estate_id, f.c.kind)
    )


def _overdue(estate_ids: list[int], end: datetime, now: datetime, array: bool) -> Any:
    """Per estate, the open tickets past their deadline at `now` with the clock running (as /overdue
    lists them) of those reported before the period's `end`, from their partial index alone."""
    t = _t()
    return (
        select(t.c.estate_id, func.count())
        .where(
            text(RUNNING_TICKET),
            _among(t.c.estate_id, estate_ids, array),
            t.c.due_at < now,
            t.c.created_at < end,
        )
        .group_by(t.c.estate_id)
    )


def _figures(counts: dict[str, tuple[int, int]], overdue: int, min_sample: int) -> Figures:
    def n(kind: Moment) -> int:
        return counts.get(kind.value, (0, 0))[0]

    def rate(kind: Moment) -> Rate:
        cases, met = counts.get(kind.value, (0, 0))
        return Rate(met, cases, min_sample)

    return Figures(
        received=n(Moment.RECEIVED),
        responded_in_time=rate(Moment.RESPONSE),
        resolved_on_time=rate(Moment.RESOLUTION),
        closed_confirmed=n(Moment.CONFIRMED),
        closed_unconfirmed=n(Moment.UNCONFIRMED),
        withdrawn=n(Moment.WITHDRAWN),
        satisfaction=rate(Moment.RATED),
        overdue_now=overdue,
        reopened=n(Moment.REOPENED),
        supervised=n(Moment.SUPERVISED),
        transferred=n(Moment.TRANSFERRED),
    )
