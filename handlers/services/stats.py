"""/stats: the supervision figures of what a reader governs over a period: an official's area, a
manager's company (its estates), a committee member's estate. The scope's figures, the same by the
level below it (a district's streets, a street's communities, a community's or a company's estates),
and every estate and company of the scope with its figures, for ranking by one rate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from handlers.domain.organisations import Estate, OfficeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.figures import Figures, total
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.rules.periods import Period
from handlers.rules.ranking import Ranking, Rate, rank
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.figures import Scope, ScopeKind, figures_by_estate, scope_estates
from handlers.services.settings import min_sample

# The offices whose officials read figures of an area (a department acts on cases; it has no area).
_AREA_KIND = {
    OfficeKind.BUREAU: ScopeKind.DISTRICT,
    OfficeKind.STREET: ScopeKind.STREET,
    OfficeKind.COMMUNITY: ScopeKind.COMMUNITY,
}
_WIDEST_FIRST = [
    ScopeKind.DISTRICT,
    ScopeKind.STREET,
    ScopeKind.COMMUNITY,
    ScopeKind.COMPANY,
    ScopeKind.ESTATE,
]


class RateKind(StrEnum):
    """The three rates (三率) a ranking can be by."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    SATISFACTION = "satisfaction"


def rate_of(f: Figures, kind: RateKind) -> Rate:
    return {
        RateKind.RESPONSE: f.responded_in_time,
        RateKind.RESOLUTION: f.resolved_on_time,
        RateKind.SATISFACTION: f.satisfaction,
    }[kind]


@dataclass(frozen=True)
class Subject:
    kind: ScopeKind
    id: int
    name: str


@dataclass(frozen=True)
class Line:
    subject: Subject
    figures: Figures


@dataclass
class StatsView:
    scope: Subject
    period: Period
    complete: bool  # the period is over (else: the figures so far)
    min_sample: int
    total: Figures
    below: list[Line]  # the level below the scope, by name (empty for an estate)
    estates: list[Line]  # every estate of the scope, by name
    companies: list[Line]  # every company with estates in the scope, over those estates only
    # a committee member's estate's open tickets, soonest deadline first (None: not a committee reader)
    open_tickets: list[Ticket] | None = None


def last_complete_month(today: date) -> Period:
    before = today.replace(day=1) - timedelta(days=1)
    return Period.month(before.year, before.month)


def check_period(ctx: Context, period: Period) -> bool:
    """True if the period is over; UserError if it has not begun (nothing to count yet)."""
    now = ctx.clock.now()
    start, end = period.span(ctx.tz)
    if start > now:
        raise UserError("period_not_begun", period=str(period))
    return end <= now


# ---- who reads what --------------------------------------------------------------------------------
def _official_offices(uow: UnitOfWork, actor: Actor) -> list[Scope]:
    found = []
    for office_id in sorted(actor.office_ids()):
        office = uow.offices.get(office_id)
        if office is not None and office.kind in _AREA_KIND:
            found.append(Scope(_AREA_KIND[office.kind], office_id))
    return found


def _managed_companies(uow: UnitOfWork, actor: Actor) -> list[int]:
    companies: set[int] = set()
    for role in actor.roles:
        estate = uow.estates.get(role.estate_id) if role.kind is RoleKind.MANAGER and role.estate_id else None
        if estate is not None and access.manages_for_company(actor, estate):
            companies.add(estate.company_id)
    return sorted(companies)


def governed(uow: UnitOfWork, actor: Actor) -> list[Scope]:
    """What the reader may read, widest first: their offices' areas, their companies, their estates
    (an owners' committee's)."""
    scopes = _official_offices(uow, actor)
    scopes += [Scope(ScopeKind.COMPANY, c) for c in _managed_companies(uow, actor)]
    committee = sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.COMMITTEE and r.estate_id})
    scopes += [Scope(ScopeKind.ESTATE, e) for e in committee]
    return sorted(scopes, key=lambda s: _WIDEST_FIRST.index(s.kind))


def may_read(uow: UnitOfWork, actor: Actor, scope: Scope) -> bool:
    """Inside an area the reader supervises, a company they manage for, or an estate they serve on the
    committee of."""
    mine = governed(uow, actor)
    if scope in mine:
        return True
    areas = {s.id for s in mine if s.kind in _AREA_KIND.values()}
    if scope.kind is ScopeKind.ESTATE:
        estate = uow.estates.get(scope.id)
        if estate is None:
            return False
        if Scope(ScopeKind.COMPANY, estate.company_id) in mine:
            return True
        return any(o.id in areas for o in access.supervising_offices(uow, estate))
    if scope.kind in (ScopeKind.COMMUNITY, ScopeKind.STREET, ScopeKind.DISTRICT):
        return any(o.id in areas for o in access.office_chain(uow, scope.id))
    return False


def find_scope(uow: UnitOfWork, words: str) -> Scope | None:
    """An estate, a company or an office (not a department) by its name or its key in the setup file."""
    wanted = words.strip().casefold()
    for estate in uow.estates.all():
        if wanted in (estate.name.casefold(), estate.key.casefold()) and estate.id is not None:
            return Scope(ScopeKind.ESTATE, estate.id)
    for company in uow.companies.all():
        if wanted in (company.name.casefold(), company.key.casefold()) and company.id is not None:
            return Scope(ScopeKind.COMPANY, company.id)
    for office in uow.offices.all():
        named = wanted in (office.name.casefold(), office.key.casefold())
        if named and office.id is not None and office.kind in _AREA_KIND:
            return Scope(_AREA_KIND[office.kind], office.id)
    return None


def _name(uow: UnitOfWork, scope: Scope) -> str:
    if scope.kind is ScopeKind.ESTATE:
        estate = uow.estates.get(scope.id)
        return estate.name if estate else "?"
    if scope.kind is ScopeKind.COMPANY:
        company = uow.companies.get(scope.id)
        return company.name if company else "?"
    office = uow.offices.get(scope.id)
    return office.name if office else "?"


# ---- the figures -----------------------------------------------------------------------------------
def _below(uow: UnitOfWork, scope: Scope, estate: Estate) -> Scope | None:
    """The unit one level below the scope that holds the estate (None: the scope is the estate)."""
    if scope.kind is ScopeKind.ESTATE:
        return None
    if scope.kind in (ScopeKind.COMPANY, ScopeKind.COMMUNITY):
        return Scope(ScopeKind.ESTATE, estate.id or 0)
    chain = access.supervising_offices(uow, estate)  # community, street, bureau
    ids = [o.id for o in chain]
    at = ids.index(scope.id) if scope.id in ids else 0
    below = chain[at - 1] if at > 0 else chain[0]
    return Scope(_AREA_KIND.get(below.kind, ScopeKind.COMMUNITY), below.id or 0)


@dataclass(frozen=True)
class _Counting:
    """The figures of any group of estates over one period, from each estate's, counted once."""

    by_estate: dict[int, Figures]
    min_sample: int

    def of(self, estate_ids: Iterable[int]) -> Figures:
        found = [self.by_estate[e] for e in estate_ids if e in self.by_estate]
        return found[0] if len(found) == 1 else total(found, self.min_sample)

    def lines(self, groups: dict[Scope, list[int]], name: Callable[[Scope], str]) -> list[Line]:
        found = [Line(Subject(s.kind, s.id, name(s)), self.of(ids)) for s, ids in groups.items()]
        return sorted(found, key=lambda line: (line.subject.name, line.subject.id))


def default_scope(ctx: Context, person_id: int) -> Scope:
    """The widest scope the reader governs; NotAllowed if they govern none."""
    with ctx.uow() as uow:
        mine = governed(uow, access.load_actor(uow, person_id))
    if not mine:
        raise NotAllowed("stats_readers_only")
    return mine[0]


def stats_view(ctx: Context, person_id: int, period: Period, scope: Scope | None = None) -> StatsView:
    """The figures of `scope` (by default the widest the reader governs) over the period; NotAllowed
    for a scope the reader does not govern, UserError for a period that has not begun."""
    complete = check_period(ctx, period)
    now = ctx.clock.now()
    start, end = period.span(ctx.tz)
    scope = scope or default_scope(ctx, person_id)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        if not governed(uow, actor):
            raise NotAllowed("stats_readers_only")
        if not may_read(uow, actor, scope):
            raise NotAllowed("stats_not_yours")
        estate_ids = scope_estates(uow, scope)
        estates = [e for e in (uow.estates.get(i) for i in estate_ids) if e is not None]
        minimum = min_sample(uow)
        count = _Counting(figures_by_estate(uow, estate_ids, start, end, now, minimum), minimum)
        below: dict[Scope, list[int]] = {}
        companies: dict[Scope, list[int]] = {}
        units: dict[int, Scope | None] = {}  # an area's by community: a district's 500 estates sit in 100
        for estate in estates:
            if estate.community_id not in units or scope.kind not in (ScopeKind.STREET, ScopeKind.DISTRICT):
                units[estate.community_id] = _below(uow, scope, estate)
            unit = units[estate.community_id]
            if unit is not None:
                below.setdefault(unit, []).append(estate.id or 0)
            companies.setdefault(Scope(ScopeKind.COMPANY, estate.company_id), []).append(estate.id or 0)
        named = {e.id: e.name for e in estates}

        def name(s: Scope) -> str:
            return (named.get(s.id) or "?") if s.kind is ScopeKind.ESTATE else _name(uow, s)

        committee = scope.kind is ScopeKind.ESTATE and actor.has(RoleKind.COMMITTEE, scope.id)
        return StatsView(
            scope=Subject(scope.kind, scope.id, _name(uow, scope)),
            period=period,
            complete=complete,
            min_sample=count.min_sample,
            total=count.of(estate_ids),
            below=count.lines(below, name),
            estates=count.lines({Scope(ScopeKind.ESTATE, e.id or 0): [e.id or 0] for e in estates}, name),
            companies=count.lines(companies, name),
            open_tickets=uow.tickets.of_estates([scope.id], OPEN_STATUSES) if committee else None,
        )


def committee_tickets(ctx: Context, person_id: int, estate_id: int) -> tuple[str, list[Ticket]]:
    """The estate's name and its open tickets, soonest deadline first, for a member of its owners'
    committee; NotAllowed for anyone else."""
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        estate = uow.estates.get(estate_id)
        if estate is None or not actor.has(RoleKind.COMMITTEE, estate_id):
            raise NotAllowed("stats_not_yours")
        return estate.name, uow.tickets.of_estates([estate_id], OPEN_STATUSES)


def ranking(lines: list[Line], kind: RateKind) -> Ranking[Line]:
    """Best `kind` rate first, then more cases; lines under the minimum sample shown apart, unranked."""
    return rank((line, rate_of(line.figures, kind)) for line in lines)
