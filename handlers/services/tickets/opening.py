"""A ticket is opened, numbered, timed and routed; a manager assigns and reassigns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.domain.notifications import NoticeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Attachment, AttachmentKind, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.deadlines import deadlines_for
from handlers.rules.lifecycle import (
    HANDLING_STATUSES,
    Event,
)
from handlers.rules.numbering import format_number
from handlers.rules.policy import choose_policy
from handlers.rules.routing import duty_for, pick_round_robin
from handlers.services import access
from handlers.services.after_hours import held_until, on_call_people, on_night_duty
from handlers.services.context import Context
from handlers.services.errors import NotFound, UserError
from handlers.services.notify import queue, queue_groups, refresh_cards
from handlers.services.tickets.records import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_PHOTOS,
    check_text,
    get_ticket,
    log_opening,
    opening_status,
    record_event,
)


@dataclass
class TicketDraft:
    category: Category
    urgency: Urgency
    description: str
    location: str | None = None
    privacy: Privacy = Privacy.GOVERNMENT
    photos: list[tuple[str, str | None]] = field(default_factory=list)  # (file_id, file_unique_id)
    estate_id: int | None = None  # which of the owner's estates, if they own in several
    key: str | None = None  # the draft's own id: sending the same draft again finds its ticket


def open_ticket(ctx: Context, reporter_id: int, draft: TicketDraft) -> Ticket:
    """An owner reports a problem: number it, time it, route it, tell the assignee."""
    now = ctx.clock.now()
    description = check_text(
        draft.description, field_name="description", minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX
    )
    location = check_text(draft.location, field_name="location", maximum=200) if draft.location else None
    if len(draft.photos) > MAX_PHOTOS:
        raise UserError("too_many_photos", maximum=MAX_PHOTOS)
    with ctx.uow() as uow:
        if draft.key is not None and (sent := uow.tickets.by_draft(draft.key)) is not None:
            if sent.reporter_id == reporter_id:  # the same report again (a retry after a crash): its ticket
                return sent
            raise UserError("draft_used")  # somebody else's draft: nothing to open (never by chance)
        actor = access.load_actor(uow, reporter_id)
        homes = actor.owner_roles()
        if draft.estate_id is not None:
            homes = [r for r in homes if r.estate_id == draft.estate_id]
        if not homes:
            raise UserError("join_first")
        home = homes[0]
        estate = uow.estates.get(home.estate_id or 0)
        if estate is None:
            raise NotFound("estate_unknown")
        policy = choose_policy(ctx.policies(uow), draft.category, draft.urgency)
        calendar = ctx.calendar(uow)
        limits = deadlines_for(policy, calendar, now)
        local_year = now.astimezone(ctx.tz).year
        seq = uow.tickets.next_sequence(estate.id or 0, local_year)
        assignee = _route(uow, estate.id or 0, draft.category, seq)
        ticket = Ticket(
            number=format_number(estate.prefix, local_year, seq),
            estate_id=estate.id or 0,
            category=draft.category,
            urgency=draft.urgency,
            description=description,
            status=opening_status(assignee is not None),
            policy=policy.to_dict(),
            created_at=now,
            updated_at=now,
            cycle_started_at=now,
            reporter_id=reporter_id,
            reporter_unit=home.unit,
            location=location,
            privacy=draft.privacy,
            ack_due_at=limits.ack_due_at,
            due_at=limits.due_at,
            deadline_provisional=limits.provisional,
            # Routed before it is stored, so the ticket is written once: opened (NEW) and, when someone
            # at the estate takes that category, assigned (ASSIGNED) at the same moment, both logged.
            assignee_id=assignee,
            draft_key=draft.key,
        )
        ticket.schedule_now()
        ticket = uow.tickets.add(ticket)
        opened, assigned = log_opening(uow, ticket, now, reporter_id)
        for file_id, unique_id in draft.photos:
            uow.attachments.add(
                Attachment(
                    ticket.id or 0, AttachmentKind.PHOTO, file_id, unique_id, opened.id, reporter_id, now
                )
            )
        # Outside office hours an ordinary report pings nobody: staff find its card in the morning.
        hold = held_until(calendar, ticket, now)
        if assigned is not None:
            queue(
                uow,
                now,
                NoticeKind.TICKET_ASSIGNED,
                assignee,
                ticket=ticket,
                tag=assigned.id,
                not_before=hold,
            )
            queue_groups(
                uow,
                now,
                NoticeKind.TICKET_ASSIGNED,
                ticket,
                estate_id=ticket.estate_id,
                tag=assigned.id,
                not_before=hold,
            )
        if on_night_duty(calendar, ticket, now):  # an emergency at night: whoever is on call hears too
            for person_id in on_call_people(uow, ticket.estate_id):
                if person_id != assignee:
                    queue(uow, now, NoticeKind.TICKET_ON_CALL, person_id, ticket=ticket, tag=opened.id)
        uow.commit()
        return ticket


def _route(uow: UnitOfWork, estate_id: int, category: Category, turn: int) -> int | None:
    duty = duty_for(category)
    if duty is not None:
        staff = [r.person_id for r in uow.roles.at_estate(estate_id, RoleKind.STAFF, duty)]
        if not staff:  # nobody with that duty: any line staff before the manager
            staff = [r.person_id for r in uow.roles.at_estate(estate_id, RoleKind.STAFF)]
        chosen = pick_round_robin(_reachable(uow, staff), turn)
        if chosen is not None:
            return chosen
    managers = [r.person_id for r in uow.roles.at_estate(estate_id, RoleKind.MANAGER)]
    return pick_round_robin(_reachable(uow, managers), turn) or pick_round_robin(managers, turn)


def _reachable(uow: UnitOfWork, person_ids: list[int]) -> list[int]:
    out = []
    for pid in person_ids:
        person = uow.people.get(pid)
        if person is not None and not person.unreachable and person.deleted_at is None:
            out.append(pid)
    return out


def assign_to(
    uow: UnitOfWork,
    ticket: Ticket,
    assignee_id: int | None,
    now: datetime,
    actor_id: int | None,
    previous_id: int | None = None,
    hold: datetime | None = None,
) -> None:
    """Assign the ticket and tell the assignee (and the estate's groups), at `hold` when given."""
    if assignee_id is None:  # nobody at the estate yet: stays NEW, the ladder will find the manager
        ticket.schedule_now()
        uow.tickets.save(ticket)
        return
    data: dict[str, Any] = {"assignee_id": assignee_id}
    if previous_id is not None and previous_id != assignee_id:
        data["previous_id"] = previous_id
    event = record_event(
        uow, ticket, lambda t: t.assign(assignee_id, now), actor_id, data=data, reschedule=True
    )
    queue(uow, now, NoticeKind.TICKET_ASSIGNED, assignee_id, ticket=ticket, tag=event.id, not_before=hold)
    queue_groups(
        uow,
        now,
        NoticeKind.TICKET_ASSIGNED,
        ticket,
        estate_id=ticket.estate_id,
        tag=event.id,
        not_before=hold,
    )


def assign(ctx: Context, actor_id: int, ticket_id: int, assignee_id: int) -> Ticket:
    """A manager (re)assigns a ticket to a member of staff at the same estate, or the line staff
    member it is assigned to hands it to a colleague of the same company there."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
        estate = access.estate_of(uow, ticket)
        handoff = not actor.has(RoleKind.MANAGER, ticket.estate_id) and _is_assigned_staff(actor, ticket)
        if handoff:
            if ticket.status not in HANDLING_STATUSES:
                raise UserError("illegal_transition", status=ticket.status.value, event=Event.ASSIGN.value)
        elif not actor.has(RoleKind.MANAGER, ticket.estate_id):
            access.require_official(uow, actor, ticket)  # the community may overrule a rejection
        target = access.load_actor(uow, assignee_id)
        if not access.works_for(target, estate):
            raise UserError("assignee_not_staff")
        previous = ticket.assignee_id
        if handoff and previous == assignee_id:
            raise UserError("same_assignee", number=ticket.number)
        before = ticket.status
        hold = held_until(ctx.calendar(uow), ticket, now)
        assign_to(uow, ticket, assignee_id, now, actor_id, previous_id=previous, hold=hold)
        if ticket.status is before:  # the status did not move, so record_event left the cards as they were
            refresh_cards(uow, ticket, now)
        if previous and previous not in (assignee_id, actor_id):  # who handed it on knows already
            queue(uow, now, NoticeKind.TICKET_UNASSIGNED, previous, ticket=ticket, tag=f"u{ticket.version}")
        uow.commit()
        return ticket


def _is_assigned_staff(actor: access.Actor, ticket: Ticket) -> bool:
    return actor.has(RoleKind.STAFF, ticket.estate_id) and ticket.assignee_id == actor.id
