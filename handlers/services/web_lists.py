"""The lists the web pages show, with their filters: a member of staff's tasks and their estate's open
tickets (state, category, overdue), an official's area lists narrowed to one estate, and a ticket
looked up by its number for a reader who may see it (anything else is "not found")."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import TicketList, UnitOfWork
from handlers.rules.categories import Category
from handlers.rules.lifecycle import OPEN_STATUSES, Status
from handlers.services import access, area_lists
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound

STAFF_LIMIT = 200  # an estate's open tickets on one page; filters narrow it


@dataclass(frozen=True)
class StaffFilter:
    mine: bool = True  # my tasks, or every open ticket of my estates
    status: Status | None = None
    category: Category | None = None
    overdue: bool = False


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Past its deadline with the clock running (waiting for the owner pauses it), as /overdue counts."""
    return (
        ticket.status in OPEN_STATUSES
        and ticket.status is not Status.WAITING_OWNER
        and ticket.due_at is not None
        and ticket.due_at < now
    )


def staff_tickets(ctx: Context, person_id: int, chosen: StaffFilter) -> list[Ticket]:
    """Open tickets for staff: assigned to them, or (managers and staff alike) of their estates."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        estates = sorted(
            {r.estate_id for r in actor.roles if r.kind in (RoleKind.STAFF, RoleKind.MANAGER) and r.estate_id}
        )
        if not estates:
            raise NotAllowed("staff_only")
        if chosen.mine:
            found = uow.tickets.of_assignee(person_id, OPEN_STATUSES)
        else:
            found = uow.tickets.of_estates(estates, OPEN_STATUSES)
    return [
        t
        for t in found
        if (chosen.status is None or t.status is chosen.status)
        and (chosen.category is None or t.category is chosen.category)
        and (not chosen.overdue or is_overdue(t, now))
    ][:STAFF_LIMIT]


@dataclass(frozen=True)
class OfficialPage:
    """A page of an official's list and the estates of their area by name (the estate filter's)."""

    listed: area_lists.ListPage
    estates: list[tuple[int, str]]


def official_page(
    ctx: Context, person_id: int, which: TicketList, page: int = 1, estate_id: int | None = None
) -> OfficialPage:
    """A page of an official's list (counted and paged by the database), optionally of one estate of
    their area (an estate outside it is refused), with their area's estates, in one unit of work."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        if not actor.office_ids():
            raise NotAllowed("officials_only")
        scope = area_lists.list_scope(uow, actor, which)
        estates = _by_name(uow.estates.names(None if scope.everywhere else scope.estate_ids))
        if estate_id is not None:
            if estate_id not in scope.estate_ids:
                raise NotFound("estate_unknown")
            scope = replace(scope, estate_ids=(estate_id,), department_ids=(), everywhere=False)
        count = uow.tickets.count_listed(scope, now)
        pages = max(1, -(-count.total // area_lists.PAGE_SIZE))
        page = min(max(page, 1), pages)
        size = area_lists.PAGE_SIZE
        listed = uow.tickets.page_listed(scope, now, (page - 1) * size, size) if count.total else []
    return OfficialPage(area_lists.ListPage(which, count, page, pages, listed), estates)


def area_estates(ctx: Context, person_id: int) -> list[tuple[int, str]]:
    """The estates of an official's area, by name, for the estate filter."""
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        return _by_name(uow.estates.names(area_lists.area_estate_ids(uow, actor.office_ids())))


def _by_name(names: dict[int, str]) -> list[tuple[int, str]]:
    return sorted(names.items(), key=lambda pair: pair[1])


def readable_ticket(ctx: Context, person_id: int, number: str) -> Ticket:
    """The ticket with this number, if the person may see it; otherwise NotFound, the same answer as
    for a number that does not exist (a number of another estate tells nobody it exists)."""
    with ctx.uow() as uow:
        return readable_in(uow, person_id, number)


def readable_in(uow: UnitOfWork, person_id: int, number: str) -> Ticket:
    """`readable_ticket` in a unit of work the caller holds (a page drawn from the same reads)."""
    actor = access.load_actor(uow, person_id)
    ticket = uow.tickets.by_number(number.strip().upper()[:40]) if number else None
    if ticket is None or not access.can_see(uow, actor, ticket):
        raise NotFound("ticket_unknown")
    return ticket
