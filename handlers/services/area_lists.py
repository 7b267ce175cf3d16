"""The officials' lists of open tickets (/area, /overdue, /supervision): counted and paged by the
database, a page at a time, however many tickets the area holds."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain.organisations import OfficeKind
from handlers.domain.ticket import Ticket
from handlers.ports import ListCount, ListScope, TicketList, UnitOfWork
from handlers.services.access import Actor
from handlers.services.context import Context

PAGE_SIZE = 20  # ticket lines on one page of a list (Telegram shows up to 100 buttons)


@dataclass(frozen=True)
class ListPage:
    which: TicketList
    count: ListCount
    page: int  # from 1
    pages: int
    tickets: list[Ticket]


def area_estate_ids(uow: UnitOfWork, office_ids: set[int]) -> tuple[int, ...]:
    return _area(uow, office_ids)[0]


def _area(uow: UnitOfWork, office_ids: set[int]) -> tuple[tuple[int, ...], bool]:
    """The estates under the offices (a community's own, a street's communities', the bureau's whole
    district), from one read of the office tree and one of the estates' communities rather than a query
    per office (a district has a hundred communities); and whether they are every estate there is."""
    children: dict[int, list[int]] = {}
    for office, parent in uow.offices.parents().items():
        if parent is not None:
            children.setdefault(parent, []).append(office)
    seen: set[int] = set()
    frontier = list(office_ids)
    while frontier:
        oid = frontier.pop()
        if oid not in seen:
            seen.add(oid)
            frontier.extend(children.get(oid, []))
    communities = uow.estates.communities()
    mine = tuple(sorted(e for e, community in communities.items() if community in seen))
    return mine, len(mine) == len(communities) > 0


def list_scope(uow: UnitOfWork, actor: Actor, which: TicketList) -> ListScope:
    """The estates under the actor's offices (a street sees its communities' estates, the bureau the
    district's) and, on /area, the cases transferred to a department they belong to."""
    offices = actor.office_ids()
    estates, everywhere = _area(uow, offices)
    # a department's officials see the cases transferred to it; other offices' ids would only widen the query
    kinds = {i: o.kind for i in offices if (o := uow.offices.get(i)) is not None}
    departments = tuple(sorted(i for i, kind in kinds.items() if kind is OfficeKind.DEPARTMENT))
    return ListScope(which, estates, departments if which is TicketList.AREA else (), everywhere)


def list_page(ctx: Context, actor: Actor, which: TicketList, page: int = 1) -> ListPage:
    """Page `page` of the list (the last one if it asks beyond the end)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        scope = list_scope(uow, actor, which)
        count = uow.tickets.count_listed(scope, now)
        pages = max(1, -(-count.total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        tickets = (
            uow.tickets.page_listed(scope, now, (page - 1) * PAGE_SIZE, PAGE_SIZE) if count.total else []
        )
    return ListPage(which, count, page, pages, tickets)
