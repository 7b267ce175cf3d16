"""The ledger (台账) a street office or the bureau sends upward, and a project manager keeps for an
estate, of a month or a quarter: every ticket open or closed in it, its figures and its typical cases.

Once built, a version is kept and sent again byte for byte; `new` builds the next version (a
correction). What the files show of a reporter follows the privacy tier of whoever the scope is read
by: an office's area is read by the government side, an estate by the company. The words are the
conversations' (handlers/conversations/ledger_sheets.py), handed in as `draw`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from handlers.domain import Estate, LedgerVersion, Office, OfficeKind, RoleKind, Ticket
from handlers.ports import EventMark, LedgerTicket, UnitOfWork, WorkbookFiles
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.figures import Figures, total
from handlers.rules.lifecycle import Event, Status
from handlers.rules.periods import Period
from handlers.rules.policy import RUNG_ORDER, Rung
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.figures import Scope, ScopeKind, figures_by_estate, scope_estates
from handlers.services.settings import min_sample

PAGE = 1000  # tickets read at a time: a month of a district is written as it is read, never held whole
NAMES_HELD = 10_000  # people's names remembered while a ledger is written (then forgotten, read again)

_AREA = {OfficeKind.COMMUNITY: ScopeKind.COMMUNITY, OfficeKind.STREET: ScopeKind.STREET}
_AREA[OfficeKind.BUREAU] = ScopeKind.DISTRICT


@dataclass(frozen=True)
class LedgerScope:
    """What one ledger covers, and for whom: an office's area (the government side reads it) or one
    estate (its project managers, the company side)."""

    scope: Scope
    name: str
    key: str
    government: bool

    @property
    def token(self) -> str:
        """As a button names it: o<office id> or e<estate id>."""
        return ("e" if self.scope.kind is ScopeKind.ESTATE else "o") + str(self.scope.id)


@dataclass(frozen=True)
class LedgerEntry:
    """One ticket's row of the ledger, already as the scope's readers may see it."""

    number: str
    estate: str
    company: str
    community: str
    street: str
    category: Category
    urgency: Urgency
    description: str
    location: str | None
    reporter: str | None  # name, when the tier allows it
    reporter_unit: str | None
    reporter_hidden: str | None  # why not: "withheld" (the owner's choice) or "deleted" (PIPL)
    reported_at: datetime
    handler: str | None  # the member of staff, or the department (吹哨报到)
    department: bool
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    extended_until: datetime | None  # the last extension granted
    extension_requested_until: datetime | None  # one waiting for the community
    status: Status
    closed_at: datetime | None
    highest_rung: Rung | None
    supervised: bool
    reopen_count: int
    rating: int | None


@dataclass(frozen=True)
class TypicalRow:
    number: str
    estate: str
    basic: str
    process: str
    result: str


@dataclass
class LedgerData:
    """Everything a ledger's files show; `entries` is read once, as the file is written."""

    scope: LedgerScope
    period: Period
    version: int
    built_at: datetime
    tz: tzinfo
    entries: Iterator[LedgerEntry]
    figures: list[tuple[str, Figures]]  # the scope's first, then each estate's
    min_sample: int
    typical: list[TypicalRow]
    named: set[int] = field(default_factory=set)  # people the files name, filled as entries are read


@dataclass(frozen=True)
class LedgerFile:
    version: LedgerVersion
    scope: LedgerScope
    fresh: bool  # built now (False: the kept version, sent again)

    def filename(self, csv: bool = False) -> str:
        v = self.version
        return f"ledger-{v.month}-{self.scope.key}-v{v.version}.{'csv' if csv else 'xlsx'}"


Draw = Callable[[LedgerData], WorkbookFiles]


# ---- who reads which scope -------------------------------------------------------------------------
def _scopes(uow: UnitOfWork, actor: Actor) -> list[LedgerScope]:
    found: list[LedgerScope] = []
    for office_id in sorted(actor.office_ids()):
        office = uow.offices.get(office_id)
        if office is not None and office.kind in _AREA:
            found.append(LedgerScope(Scope(_AREA[office.kind], office_id), office.name, office.key, True))
    managed = sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.MANAGER and r.estate_id})
    for estate_id in managed:
        estate = uow.estates.get(estate_id)
        if estate is not None and access.manages_for_company(actor, estate):
            found.append(LedgerScope(Scope(ScopeKind.ESTATE, estate_id), estate.name, estate.key, False))
    return found


def ledger_scopes(ctx: Context, person_id: int) -> list[LedgerScope]:
    """The ledgers a person may ask for: their offices' areas (community, street, district), then the
    estates they are project manager of. Departments keep no ledger."""
    with ctx.uow() as uow:
        return _scopes(uow, access.load_actor(uow, person_id))


def governed_scope(ctx: Context, person_id: int, token: str | None) -> LedgerScope:
    """The scope a person asks for (by its token), or their only one; NotAllowed when they govern none
    or not that one, UserError("ledger_choose") when they must choose."""
    scopes = ledger_scopes(ctx, person_id)
    if not scopes:
        raise NotAllowed("ledger_nobody")
    if token is None:
        if len(scopes) > 1:
            raise UserError("ledger_choose")
        return scopes[0]
    chosen = next((s for s in scopes if s.token == token), None)
    if chosen is None:
        raise NotAllowed("ledger_not_yours")
    return chosen


def office_scope(ctx: Context, key: str) -> LedgerScope:
    """An office's area by the setup file's key (the command line)."""
    with ctx.uow() as uow:
        office = uow.offices.by_key(key)
    if office is None or office.id is None:
        raise NotFound("office_unknown")
    found = area_scope(office)
    if found is None:
        raise UserError("ledger_department")
    return found


def area_scope(office: Office) -> LedgerScope | None:
    """An office's area as its ledger covers it, read by the government side; None for a department."""
    if office.kind not in _AREA or office.id is None:
        return None
    return LedgerScope(Scope(_AREA[office.kind], office.id), office.name, office.key, True)


def ledger_period(text: str, today: date) -> Period:
    """A month ('2026-11', '2026年11月') or a quarter ('2026Q3', '2026-Q3', '2026年第三季度') that is over;
    UserError otherwise ("ledger_month": not one; "ledger_month_open": not over yet)."""
    try:
        period = Period.parse(text)
    except ValueError:
        raise UserError("ledger_month", text=text.strip()[:20]) from None
    if period.kind not in ("month", "quarter"):
        raise UserError("ledger_month", text=text.strip()[:20])
    if period.last >= today:
        raise UserError("ledger_month_open", month=str(period), ready=(period.last + timedelta(days=1)))
    return period


# ---- the kept versions -----------------------------------------------------------------------------
def ledger(
    ctx: Context, governed: LedgerScope, period: Period, draw: Draw, by: int | None, new: bool = False
) -> LedgerFile:
    """The scope's ledger of the month: the version kept, sent again as it was; or, when there is none
    (or its files were erased, or `new`), the next version, built now and kept."""
    month, kind, scope_id = str(period), governed.scope.kind.value, governed.scope.id
    with ctx.uow() as uow:
        latest = uow.ledgers.latest(kind, scope_id, month, files=not new)  # a new one: its number only
        if latest is not None and not latest.erased and not new:
            return LedgerFile(latest, governed, fresh=False)
        now = ctx.clock.now()
        data = ledger_data(ctx, uow, governed, period, now, (latest.version if latest else 0) + 1)
        files = draw(data)
        version = LedgerVersion(
            kind, scope_id, month, data.version, now, files.rows, files.xlsx, files.csv, built_by=by
        )
        kept = uow.ledgers.add(version, data.named)
        if kept is not None:
            uow.commit()
            return LedgerFile(kept, governed, fresh=True)
    with ctx.uow() as uow:  # someone else kept this version a moment ago: theirs is the one
        theirs = uow.ledgers.latest(kind, scope_id, month)
        assert theirs is not None
        return LedgerFile(theirs, governed, fresh=False)


# ---- what the files show ---------------------------------------------------------------------------
def ledger_data(
    ctx: Context,
    uow: UnitOfWork,
    governed: LedgerScope,
    period: Period,
    now: datetime,
    version: int,
    with_figures: bool = True,
) -> LedgerData:
    """What the files show; `with_figures=False` leaves 成果指标 empty (to measure the rows alone:
    bench/ledger.py)."""
    start, end = period.span(ctx.tz)
    estates = _ordered(uow, scope_estates(uow, governed.scope))
    minimum = min_sample(uow)
    counted = (
        figures_by_estate(uow, [e.id or 0 for e in estates], start, end, now, minimum) if with_figures else {}
    )
    by_estate = [(e.name, counted[e.id or 0]) for e in estates if with_figures]
    whole = total([f for _, f in by_estate], minimum)
    data = LedgerData(
        governed,
        period,
        version,
        now,
        ctx.tz,
        iter(()),
        [(governed.name, whole), *by_estate],
        minimum,
        _typical(uow, [e.id or 0 for e in estates], start, end),
    )
    data.entries = _entries(uow, estates, start, end, governed.government, data.named)
    return data


def _ordered(uow: UnitOfWork, estate_ids: Sequence[int]) -> list[Estate]:
    """By community, then name: a street's ledger reads community by community."""
    found = [e for e in (uow.estates.get(i) for i in estate_ids) if e is not None]
    return sorted(found, key=lambda e: (e.community_id, e.name, e.id or 0))


class _Names:
    """Names read once per ledger: estates' companies and offices; and people (handlers and reporters)
    read a page at a time, at most NAMES_HELD held."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.offices: dict[int, str] = {}
        self.streets: dict[int, str] = {}
        self.companies: dict[int, str] = {}
        self.people: dict[int, str | None] = {}

    def office(self, office_id: int | None) -> str:
        if office_id is None:
            return ""
        if office_id not in self.offices:
            office = self.uow.offices.get(office_id)
            self.offices[office_id] = office.name if office else ""
        return self.offices[office_id]

    def street(self, community_id: int) -> str:
        if community_id not in self.streets:
            community = self.uow.offices.get(community_id)
            parent = self.uow.offices.get(community.parent_id) if community and community.parent_id else None
            self.streets[community_id] = parent.name if parent and parent.kind is OfficeKind.STREET else ""
        return self.streets[community_id]

    def company(self, company_id: int) -> str:
        if company_id not in self.companies:
            company = self.uow.companies.get(company_id)
            self.companies[company_id] = company.name if company else ""
        return self.companies[company_id]

    def read(self, person_ids: Iterable[int | None]) -> None:
        """The people of a page, those not held yet in one read (None: gone, or their data deleted)."""
        missing = {i for i in person_ids if i is not None and i not in self.people}
        if not missing:
            return
        if len(self.people) + len(missing) > NAMES_HELD:
            self.people = {}
        found = self.uow.people.names(missing)
        self.people.update((i, found.get(i)) for i in missing)

    def person(self, person_id: int) -> str | None:
        if person_id not in self.people:
            self.read([person_id])
        return self.people[person_id]


# The events a row shows, each with the key of its data it reads.
_MARKS: dict[Event, str | None] = {
    Event.OPEN: "ack_due_at",
    Event.ACKNOWLEDGE: None,
    Event.EXTENSION_GRANT: "until",
    Event.ESCALATE: "rung",
}


def _entries(
    uow: UnitOfWork, estates: list[Estate], start: datetime, end: datetime, government: bool, named: set[int]
) -> Iterator[LedgerEntry]:
    """The rows, a page of tickets at a time: the page, the events its rows show (not the histories),
    the names of its people in one read each; nothing of a page is kept once it is written."""
    names = _Names(uow)
    for estate in estates:
        after = 0
        while page := uow.tickets.for_ledger(estate.id or 0, start, end, after, PAGE):
            marks: dict[int, list[EventMark]] = {}
            for mark in uow.events.marks([t.id for t in page], _MARKS):
                marks.setdefault(mark.ticket_id, []).append(mark)
            shown = [t.reporter_id for t in page if reporter_shown(t, government)]
            names.read(shown + [t.assignee_id for t in page if t.department_office_id is None])
            for ticket in page:
                yield _entry(names, estate, ticket, marks.get(ticket.id, []), government, named)
            after = page[-1].id


def reporter_shown(ticket: Ticket | LedgerTicket, government: bool) -> bool:
    """The reporter's name and unit, as the privacy tier lets the ledger's readers see them: the
    government side unless the owner chose nobody; the company side only when they chose everyone."""
    if ticket.reporter_id is None or ticket.privacy is Privacy.NOBODY:
        return False
    return ticket.privacy is Privacy.EVERYONE or government


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _entry(
    names: _Names, estate: Estate, t: LedgerTicket, marks: list[EventMark], government: bool, named: set[int]
) -> LedgerEntry:
    reporter = unit = hidden = None
    if reporter_shown(t, government) and t.reporter_id is not None:
        reporter = names.person(t.reporter_id)
        if reporter is None:
            hidden = "deleted"
        else:
            unit = t.reporter_unit
            named.add(t.reporter_id)
    else:
        hidden = "deleted" if t.reporter_id is None else "withheld"
    handler = None
    if t.department_office_id is not None:
        handler = names.office(t.department_office_id)
    elif t.assignee_id is not None:
        handler = names.person(t.assignee_id)
        if handler is not None:
            named.add(t.assignee_id)
    opened = acknowledged = granted = None
    rungs: list[Rung] = []
    for mark in marks:  # oldest first: the opening, the first acknowledgement, the last extension granted
        if mark.event is Event.OPEN:
            opened = opened or mark
        elif mark.event is Event.ACKNOWLEDGE:
            acknowledged = acknowledged or mark
        elif mark.event is Event.EXTENSION_GRANT:
            granted = mark
        elif mark.event is Event.ESCALATE and mark.value:
            rungs.append(Rung(mark.value))
    highest = max(rungs, key=RUNG_ORDER.index, default=None)
    if t.rung and (highest is None or RUNG_ORDER.index(highest) < t.rung):
        highest = RUNG_ORDER[t.rung]
    community = estate.community_id
    return LedgerEntry(
        number=t.number,
        estate=estate.name,
        company=names.company(estate.company_id),
        community=names.office(community),
        street=names.street(community),
        category=t.category,
        urgency=t.urgency,
        description=t.description,
        location=t.location,
        reporter=reporter,
        reporter_unit=unit,
        reporter_hidden=hidden,
        reported_at=t.created_at,
        handler=handler,
        department=t.department_office_id is not None,
        ack_due_at=(_moment(opened.value) if opened else None) or t.ack_due_at,
        acknowledged_at=acknowledged.at if acknowledged else t.acknowledged_at,
        due_at=t.due_at,
        resolved_at=t.resolved_at,
        extended_until=_moment(granted.value) if granted else None,
        extension_requested_until=t.extension_requested_until,
        status=t.status,
        closed_at=t.closed_at,
        highest_rung=highest,
        supervised=t.supervised or Rung.BUREAU in rungs,
        reopen_count=t.reopen_count,
        rating=t.rating,
    )


def _typical(uow: UnitOfWork, estate_ids: list[int], start: datetime, end: datetime) -> list[TypicalRow]:
    """The month's typical cases: the tickets of the ledger that an official marked (典型案例)."""
    if not estate_ids:
        return []
    rows: list[TypicalRow] = []
    for case in uow.typical_cases.typical_cases(estate_ids, start, end):
        ticket = uow.tickets.get(case.ticket_id)
        if ticket is None or ticket.estate_id not in estate_ids:
            continue
        estate = uow.estates.get(ticket.estate_id)
        rows.append(
            TypicalRow(
                ticket.number, estate.name if estate else "", case.background, case.handling, case.outcome
            )
        )
    return rows
