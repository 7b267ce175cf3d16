"""The supervision figures of a scope (an estate, a company's estates, a community, a street, a district)
over a period, counted in the database estate by estate (storage/repositories/figures.py keeps each
ticket's moments as its events are written) and added up. handlers/rules/figures.py defines them over
a ticket's facts (`facts_of`: what they read of a ticket and its history); tests/integration/
test_figures_in_db.py holds the database's count to that definition. Who may read which scope is the
caller's to check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from handlers.domain.organisations import OfficeKind
from handlers.domain.ticket import Ticket, TicketEvent
from handlers.ports import UnitOfWork
from handlers.rules.figures import Figures, Step, TicketFacts, total
from handlers.rules.lifecycle import Event
from handlers.rules.periods import Period
from handlers.services.context import Context
from handlers.services.errors import NotFound
from handlers.services.settings import min_sample


class ScopeKind(StrEnum):
    ESTATE = "estate"
    COMPANY = "company"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"  # the district housing bureau's area


_OFFICE_KIND = {
    ScopeKind.COMMUNITY: OfficeKind.COMMUNITY,
    ScopeKind.STREET: OfficeKind.STREET,
    ScopeKind.DISTRICT: OfficeKind.BUREAU,
}


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: int  # the estate's, the company's or the office's


def scope_estates(uow: UnitOfWork, scope: Scope) -> list[int]:
    """The estates a scope covers, as they stand now (an estate that changed company counts for the new
    one, with its past tickets)."""
    if scope.kind is ScopeKind.ESTATE:
        if uow.estates.get(scope.id) is None:
            raise NotFound("estate_unknown")
        return [scope.id]
    if scope.kind is ScopeKind.COMPANY:
        if uow.companies.get(scope.id) is None:
            raise NotFound("company_unknown")
        return [e.id for e in uow.estates.all() if e.company_id == scope.id and e.id is not None]
    office = uow.offices.get(scope.id)
    if office is None or office.kind is not _OFFICE_KIND[scope.kind]:
        raise NotFound("office_unknown")
    # The offices under it and their estates from two reads (a district: 111 offices, 500 estates),
    # each then remembered by the unit of work for whoever names them.
    children: dict[int, list[int]] = {}
    for o in uow.offices.all():
        if o.parent_id is not None and o.id is not None:
            children.setdefault(o.parent_id, []).append(o.id)
    under, frontier = {scope.id}, [scope.id]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in under:
                under.add(child)
                frontier.append(child)
    return [e.id for e in uow.estates.all() if e.community_id in under and e.id is not None]


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def facts_of(ticket: Ticket, events: list[TicketEvent]) -> TicketFacts:
    """What the figures read of a ticket. Tickets recorded before the report kept its acknowledgement
    limit, or a resolution the deadline it met, are judged against the limits the ticket holds now."""
    steps: list[Step] = []
    ack_limit: datetime | None = None
    for e in events:
        if e.event is Event.OPEN:
            ack_limit = _moment(e.data.get("ack_due_at"))
        due = (_moment(e.data.get("due_at")) or ticket.due_at) if e.event is Event.RESOLVE else None
        stars = e.data.get("stars") if e.event is Event.RATE else None
        rung = e.data.get("rung") if e.event is Event.ESCALATE else None
        steps.append(
            Step(
                e.event,
                e.at,
                due_at=due,
                stars=stars if isinstance(stars, int) else None,
                rung=str(rung) if rung is not None else None,
            )
        )
    return TicketFacts(
        created_at=ticket.created_at,
        ack_due_at=ack_limit or ticket.ack_due_at,
        history=tuple(steps),
        status=ticket.status,
        due_at=ticket.due_at,
        paused_at=ticket.paused_at,
    )


def figures_by_estate(
    uow: UnitOfWork, estate_ids: Sequence[int], start: datetime, end: datetime, now: datetime, minimum: int
) -> dict[int, Figures]:
    """Each estate's figures over [start, end), "overdue now" at `now`: one query whatever the number of
    tickets. A group of estates (a company, a community...) is their `total`."""
    return uow.figures.by_estate(estate_ids, start, end, now, minimum) if estate_ids else {}


def figures_for(ctx: Context, scope: Scope, period: Period) -> Figures:
    """The scope's figures over the period (local dates; see README "Supervision figures")."""
    now = ctx.clock.now()
    start, end = period.span(ctx.tz)
    with ctx.uow() as uow:
        estates = scope_estates(uow, scope)
        minimum = min_sample(uow)
        return total(figures_by_estate(uow, estates, start, end, now, minimum).values(), minimum)
