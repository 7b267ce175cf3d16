"""Who a person is in the bot and what they may do with a ticket."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.domain.organisations import Estate, Office, OfficeKind
from handlers.domain.people import Person, Role, RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import Status
from handlers.services.errors import NotAllowed, NotFound


@dataclass
class Actor:
    person: Person
    roles: list[Role] = field(default_factory=list)
    # The offices among theirs that are government departments (吹哨报到): they act on the cases handed
    # to them and govern no area (no figures, no ledger).
    departments: frozenset[int] = frozenset()

    @property
    def id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    def has(self, kind: RoleKind, estate_id: int | None = None) -> bool:
        return any(r.kind is kind and (estate_id is None or r.estate_id == estate_id) for r in self.roles)

    def owner_roles(self) -> list[Role]:
        return [r for r in self.roles if r.kind is RoleKind.OWNER]

    def is_staff_at(self, estate_id: int) -> bool:
        return self.has(RoleKind.STAFF, estate_id) or self.has(RoleKind.MANAGER, estate_id)

    def office_ids(self) -> set[int]:
        return {r.office_id for r in self.roles if r.kind is RoleKind.OFFICIAL and r.office_id}

    def area_office_ids(self) -> set[int]:
        """Their offices that govern an area (a community, a street, the district): not departments."""
        return self.office_ids() - self.departments


def load_actor(uow: UnitOfWork, person_id: int) -> Actor:
    person = uow.people.get(person_id)
    if person is None or person.deleted_at is not None:
        raise NotFound("person_unknown")
    roles = uow.roles.of_person(person_id)
    offices = (uow.offices.get(r.office_id) for r in roles if r.kind is RoleKind.OFFICIAL and r.office_id)
    departments = frozenset(o.id for o in offices if o and o.kind is OfficeKind.DEPARTMENT and o.id)
    return Actor(person, roles, departments)


def office_chain(uow: UnitOfWork, office_id: int) -> list[Office]:
    """The office and its ancestors, nearest first (community → street → bureau)."""
    chain: list[Office] = []
    seen: set[int] = set()
    current = uow.offices.get(office_id)
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id or 0)
        current = uow.offices.get(current.parent_id) if current.parent_id else None
    return chain


def supervising_offices(uow: UnitOfWork, estate: Estate) -> list[Office]:
    """The community, street and bureau above an estate, in ladder order."""
    return office_chain(uow, estate.community_id)


def official_over(uow: UnitOfWork, actor: Actor, estate: Estate) -> Office | None:
    """The nearest office of the actor's that supervises the estate, if any."""
    mine = actor.office_ids()
    if not mine:  # an owner or a member of staff: no office chain to walk (three reads a card)
        return None
    for office in supervising_offices(uow, estate):
        if office.id in mine:
            return office
    return None


def estate_of(uow: UnitOfWork, ticket: Ticket) -> Estate:
    estate = uow.estates.get(ticket.estate_id)
    if estate is None:
        raise NotFound("estate_unknown")
    return estate


# While a department (吹哨报到) has a case it acts on it; once it resolved it, it still sees it until the
# owner closes it or it goes back to the company (which clears the department: see return_to_company).
DEPARTMENT_ACTS = frozenset({Status.TRANSFERRED})
DEPARTMENT_SEES = frozenset({Status.TRANSFERRED, Status.RESOLVED})


def department_of(actor: Actor, ticket: Ticket, statuses: frozenset[Status] = DEPARTMENT_ACTS) -> bool:
    """The actor belongs to the department the case is transferred to, and it is still theirs."""
    return (
        ticket.department_office_id is not None
        and ticket.status in statuses
        and ticket.department_office_id in actor.office_ids()
    )


def require_handler(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> None:
    """Staff must belong to the ticket's estate; line staff must be its assignee or a manager. A case
    transferred to a department (吹哨报到) is the department's until it comes back."""
    if ticket.status is Status.TRANSFERRED:
        if department_of(actor, ticket):
            return
        raise NotAllowed("not_your_ticket", number=ticket.number)
    if actor.has(RoleKind.MANAGER, ticket.estate_id):
        return
    if actor.has(RoleKind.STAFF, ticket.estate_id) and ticket.assignee_id in (None, actor.id):
        return
    raise NotAllowed("not_your_ticket", number=ticket.number)


def works_for(
    actor: Actor, estate: Estate, kinds: tuple[RoleKind, ...] = (RoleKind.STAFF, RoleKind.MANAGER)
) -> bool:
    """Staff (or managers) of the estate's current company (a role without a company predates companies)."""
    return any(
        r.kind in kinds and r.estate_id == estate.id and r.company_id in (None, estate.company_id)
        for r in actor.roles
    )


def manages_for_company(actor: Actor, estate: Estate) -> bool:
    return works_for(actor, estate, (RoleKind.MANAGER,))


def require_reporter(actor: Actor, ticket: Ticket) -> None:
    if ticket.reporter_id != actor.id:
        raise NotAllowed("not_your_report", number=ticket.number)


def require_official(
    uow: UnitOfWork, actor: Actor, ticket: Ticket, kinds: set[OfficeKind] | None = None
) -> Office:
    office = official_over(uow, actor, estate_of(uow, ticket))
    if office is None or (kinds is not None and office.kind not in kinds):
        raise NotAllowed("officials_only")
    return office


def can_see(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    if ticket.reporter_id == actor.id or actor.is_staff_at(ticket.estate_id):
        return True
    if actor.has(RoleKind.COMMITTEE, ticket.estate_id):
        return True
    if department_of(actor, ticket, DEPARTMENT_SEES):
        return True
    return official_over(uow, actor, estate_of(uow, ticket)) is not None


def is_government(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """An official over the ticket's estate, or of the department that has the case now."""
    if department_of(actor, ticket, DEPARTMENT_SEES):
        return True
    estate = uow.estates.get(ticket.estate_id)
    return estate is not None and official_over(uow, actor, estate) is not None
