"""People come and go: a deactivated role stops acting at once, an estate can change company, a case a
department sends back is the company's again. Whatever they held is handed on, on the record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.domain.notifications import NoticeKind
from handlers.domain.organisations import Estate
from handlers.domain.people import ERASED_PERSON_KEY, Person, Role, RoleKind
from handlers.domain.ticket import Move, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.deadlines import deadlines_for
from handlers.rules.lifecycle import OPEN_STATUSES, Event, Status
from handlers.rules.routing import pick_round_robin
from handlers.services import access
from handlers.services.after_hours import held_until
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound
from handlers.services.groups import binding_stands
from handlers.services.notify import queue, refresh_cards
from handlers.services.tickets.opening import assign_to
from handlers.services.tickets.records import check_text, get_ticket, policy_of, record_event

HELD = frozenset({*OPEN_STATUSES, Status.RESOLVED})  # a handler is still owed something on these
# The company takes a ticket back by one of these acts (a None assignee: nobody there yet).
_TAKE_BACK: dict[Event, Callable[[Ticket, int | None, datetime], Move]] = {
    Event.HANDOVER: Ticket.hand_over,
    Event.RETURN_TO_COMPANY: Ticket.return_to_company,
}


def company_managers(uow: UnitOfWork, estate: Estate) -> list[int]:
    """The estate's project managers who work for its company now."""
    roles = uow.roles.at_estate(estate.id or 0, RoleKind.MANAGER)
    return [r.person_id for r in roles if r.company_id in (None, estate.company_id)]


def hand_to_company(
    ctx: Context,
    uow: UnitOfWork,
    ticket: Ticket,
    now: datetime,
    event: Event,
    actor_id: int | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    fresh_deadline: bool = False,
) -> None:
    """The company takes the ticket (again): its handler stays if they still work there for the
    estate's company, else one of its project managers gets it; a ticket the company must start afresh
    gets a new acknowledgement limit (and, `fresh_deadline`, a new deadline)."""
    estate = access.estate_of(uow, ticket)
    keep = ticket.assignee_id
    if keep is not None:
        try:
            still = access.works_for(access.load_actor(uow, keep), estate)
        except NotFound:
            still = False
        keep = keep if still else None
    target = keep or pick_round_robin(company_managers(uow, estate), ticket.id or 0)
    previous = ticket.assignee_id
    details = {**(data or {}), "assignee_id": target}
    if previous is not None and previous != target:
        details["previous_id"] = previous
    take = _TAKE_BACK[event]  # a department's return ends its rights on the case
    record_event(
        uow, ticket, lambda t: take(t, target, now), actor_id, note=note, data=details, reschedule=True
    )
    if ticket.status is Status.NEW:
        limits = deadlines_for(policy_of(ticket), ctx.calendar(uow), now)
        ticket.await_acknowledgement(limits.ack_due_at)
        if fresh_deadline:
            ticket.restart_clock(now, limits.due_at, limits.provisional)
        hold = held_until(ctx.calendar(uow), ticket, now)
        assign_to(uow, ticket, target, now, actor_id=None, previous_id=previous, hold=hold)
    else:  # the status stayed: the cards in the old handler's chat are redrawn for who may read them
        refresh_cards(uow, ticket, now)
        if target is not None:
            hold = held_until(ctx.calendar(uow), ticket, now)
            queue(
                uow,
                now,
                NoticeKind.TICKET_ASSIGNED,
                target,
                ticket=ticket,
                tag=f"h{ticket.version}",
                not_before=hold,
            )


def release_tickets(ctx: Context, uow: UnitOfWork, person_id: int, now: datetime) -> int:
    """Hand on every open ticket of someone who no longer works for that estate's company."""
    moved = 0
    for ticket in uow.tickets.of_assignee(person_id, HELD):
        estate = access.estate_of(uow, ticket)
        try:
            if access.works_for(access.load_actor(uow, person_id), estate):
                continue
        except NotFound:
            pass
        hand_to_company(ctx, uow, ticket, now, Event.HANDOVER, data={"reason": "left"})
        moved += 1
    return moved


def drop_void_bindings(uow: UnitOfWork, person_id: int) -> int:
    """Groups someone bound stop receiving cards once that person may no longer bind them."""
    dropped = 0
    for binding in uow.groups.bound_by(person_id):
        if not binding_stands(uow, binding):
            uow.groups.delete(binding.chat_id)
            dropped += 1
    return dropped


def after_roles_changed(ctx: Context, uow: UnitOfWork, person_ids: set[int], now: datetime) -> None:
    """What a deactivation takes with it, at once: tickets handed on, bound groups dropped."""
    for person_id in sorted(person_ids):
        release_tickets(ctx, uow, person_id, now)
        drop_void_bindings(uow, person_id)


def hand_over_estate(ctx: Context, uow: UnitOfWork, estate: Estate, now: datetime) -> int:
    """The estate changed company: the old company's staff and managers lose it (roles deactivated, its
    bound groups dropped) and every open ticket goes to the new company's managers, on the record."""
    left: set[int] = set()
    for kind in (RoleKind.STAFF, RoleKind.MANAGER):
        for role in uow.roles.at_estate(estate.id or 0, kind):
            if role.company_id != estate.company_id:
                role.active = False
                uow.roles.save(role)
                left.add(role.person_id)
    for binding in uow.groups.for_estate(estate.id or 0):
        uow.groups.delete(binding.chat_id)
    moved = 0
    for ticket in uow.tickets.of_estates([estate.id or 0], HELD):
        hand_to_company(
            ctx, uow, ticket, now, Event.HANDOVER, data={"reason": "company", "company_id": estate.company_id}
        )
        moved += 1
    for person_id in sorted(left):
        drop_void_bindings(uow, person_id)
    return moved


def return_to_company(ctx: Context, actor_id: int, ticket_id: int, reason: str) -> Ticket:
    """A department (吹哨报到) finds the case is not theirs either: it goes back to the company, with a
    fresh limit, and the department's rights on it end."""
    now = ctx.clock.now()
    reason = check_text(reason, field_name="reason", minimum=5)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
        if not access.department_of(actor, ticket):
            raise NotAllowed("not_your_ticket", number=ticket.number)
        hand_to_company(
            ctx, uow, ticket, now, Event.RETURN_TO_COMPANY, actor_id, note=reason, fresh_deadline=True
        )
        queue(
            uow, now, NoticeKind.TICKET_RETURNED, ticket.reporter_id, ticket=ticket, tag=f"v{ticket.version}"
        )
        uow.commit()
        return ticket


# ---- the people list and deactivation, for `wuye people` ------------------------------------------
@dataclass
class PersonSummary:
    key: str | None
    name: str
    telegram_id: int | None
    roles: list[tuple[str, str, bool]] = field(default_factory=list)  # (role, where, active)

    @property
    def active(self) -> bool:
        return any(active for _, _, active in self.roles)


def _where(uow: UnitOfWork, role: Role) -> str:
    if role.office_id is not None:
        office = uow.offices.get(role.office_id)
        return office.key if office else "?"
    estate = uow.estates.get(role.estate_id or 0)
    where = estate.key if estate else "?"
    return f"{where} {role.unit}" if role.unit else where


def list_people(ctx: Context) -> list[PersonSummary]:
    """Everyone the setup file names, and everyone else who holds a role, with their roles."""
    with ctx.uow() as uow:
        out: list[PersonSummary] = []
        for person in uow.people.with_roles():
            if person.key == ERASED_PERSON_KEY:
                continue
            roles = uow.roles.of_person(person.id or 0, active_only=False)
            out.append(
                PersonSummary(
                    person.key,
                    person.display_name,
                    person.telegram_id,
                    [(r.kind.value, _where(uow, r), r.active) for r in roles],
                )
            )
        named = {p.key for p in out if p.key}
        waiting: dict[str, PersonSummary] = {}
        for invite in uow.invites.declared(ctx.clock.now()):  # named by the file, not on Telegram yet
            key = invite.person_key or ""
            if key in named:
                continue
            if key not in waiting:
                waiting[key] = PersonSummary(key, invite.display_name or key, None)
                out.append(waiting[key])
            place = Role(
                person_id=0, kind=invite.role, estate_id=invite.estate_id, office_id=invite.office_id
            )
            waiting[key].roles.append((f"{invite.role.value} (invited)", _where(uow, place), True))
        return out


def deactivate_roles(uow: UnitOfWork, person: Person, keep_own_homes: bool = True) -> int:
    """Every role of a person (their own homes, joined by code, stay: they still live there)."""
    changed = 0
    for role in uow.roles.of_person(person.id or 0):
        if keep_own_homes and role.kind is RoleKind.OWNER and not role.from_setup:
            continue
        role.active = False
        uow.roles.save(role)
        changed += 1
    return changed


@dataclass
class Deactivated:
    name: str
    roles: int  # roles that stopped acting
    invites: int  # unused invite codes that stopped working
    tickets: int  # open tickets handed on


def deactivate(ctx: Context, key: str) -> Deactivated:
    """`wuye people deactivate KEY`: the person's roles stop acting at once, everywhere; codes printed
    for them stop working; their open tickets go to the project managers; groups they bound stop."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        person = uow.people.by_key(key)
        pending = uow.invites.pending_for(key)
        if person is None and not pending:
            raise NotFound("person_unknown", key=key)
        for invite in pending:
            invite.expires_at = min(invite.expires_at or now, now)
            uow.invites.save(invite)
        roles = tickets = 0
        if person is not None:
            roles = deactivate_roles(uow, person)
            tickets = release_tickets(ctx, uow, person.id or 0, now)
            drop_void_bindings(uow, person.id or 0)
        uow.commit()
        name = person.display_name if person else (pending[0].display_name or key)
        return Deactivated(name, roles, len(pending), tickets)
