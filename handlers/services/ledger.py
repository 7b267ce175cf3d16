"""The ledger (台账) a street office or the bureau sends upward, and a project manager keeps for an
estate, of a month or a quarter: every ticket open or closed in it, its figures and its typical cases.

Once built, a version is kept and sent again byte for byte; `new` builds the next version (a
correction). What the files show of a reporter follows the privacy tier of whoever the scope is read
by: an office's area is read by the government side, an estate by the company. The words are the
conversations' (handlers/conversations/ledger_sheets.py), handed in as `draw`; the rows are read by
handlers/services/ledger_rows.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from handlers.domain.ledgers import LedgerVersion
from handlers.domain.organisations import Estate, Office, OfficeKind
from handlers.domain.people import RoleKind
from handlers.ports import UnitOfWork, WorkbookFiles
from handlers.rules.figures import Figures, total
from handlers.rules.periods import Period, PeriodKind
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.figures import Scope, ScopeKind, figures_by_estate, scope_estates
from handlers.services.ledger_rows import LedgerEntry, ledger_entries
from handlers.services.settings import min_sample

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
    if period.kind not in (PeriodKind.MONTH, PeriodKind.QUARTER):
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
    data.entries = ledger_entries(uow, estates, start, end, governed.government, data.named)
    return data


def _ordered(uow: UnitOfWork, estate_ids: Sequence[int]) -> list[Estate]:
    """By community, then name: a street's ledger reads community by community."""
    found = [e for e in (uow.estates.get(i) for i in estate_ids) if e is not None]
    return sorted(found, key=lambda e: (e.community_id, e.name, e.id or 0))


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
