"""The ticket lifecycle as use cases: open, assign, acknowledge, work, resolve, confirm, reopen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.domain import Attachment, Estate, RoleKind, Ticket, TicketEvent
from handlers.ports import StaleTicket, UnitOfWork
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.deadlines import deadlines_for, shift_for_pause
from handlers.rules.lifecycle import (
    FINAL_STATUSES,
    HANDLING_STATUSES,
    Event,
    IllegalTransition,
    Status,
    next_status,
)
from handlers.rules.numbering import format_number
from handlers.rules.policy import Policy, choose_policy
from handlers.rules.routing import duty_for, pick_round_robin
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import Conflict, NotFound, UserError
from handlers.services.notify import queue, queue_groups, refresh_cards

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
NOTE_MAX = 1000
MAX_PHOTOS = 5


@dataclass
class TicketDraft:
    category: Category
    urgency: Urgency
    description: str
    location: str | None = None
    privacy: Privacy = Privacy.GOVERNMENT
    photos: list[tuple[str, str | None]] = field(default_factory=list)  # (file_id, file_unique_id)
    estate_id: int | None = None  # which of the owner's estates, if they own in several


def check_text(text: str | None, *, field_name: str, minimum: int = 1, maximum: int = NOTE_MAX) -> str:
    """Trimmed text within limits, or a UserError naming the field."""
    cleaned = (text or "").strip()
    if len(cleaned) < minimum:
        raise UserError("text_too_short", field=field_name, minimum=minimum)
    if len(cleaned) > maximum:
        raise UserError("text_too_long", field=field_name, maximum=maximum, length=len(cleaned))
    return cleaned


def _get(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket_unknown")
    return ticket


def _record(
    uow: UnitOfWork,
    ticket: Ticket,
    event: Event,
    now: datetime,
    actor_id: int | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Apply `event` (IllegalTransition if the status forbids it), save the ticket, log the event."""
    before = ticket.status
    try:
        after = next_status(before, event)
    except IllegalTransition as exc:
        raise UserError("illegal_transition", status=exc.status.value, event=exc.event.value) from None
    ticket.status = after
    ticket.updated_at = now
    try:
        uow.tickets.save(ticket)
    except StaleTicket:
        raise Conflict("ticket_changed", number=ticket.number) from None
    recorded = uow.events.add(
        TicketEvent(
            ticket_id=ticket.id or 0,
            at=now,
            event=event,
            from_status=before,
            to_status=after,
            actor_id=actor_id,
            note=note,
            data=data or {},
        )
    )
    if after is not before:
        refresh_cards(uow, ticket, now)
    return recorded


def _policy(ticket: Ticket) -> Policy:
    return Policy.from_dict(ticket.policy)


def schedule_next_action(ticket: Ticket) -> None:
    """Ask the sweep to re-plan the ticket at once: the ladder knows its next moment."""
    ticket.next_action_at = None if ticket.status in FINAL_STATUSES else ticket.updated_at


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
        ticket = uow.tickets.add(
            Ticket(
                number=format_number(estate.prefix, local_year, seq),
                estate_id=estate.id or 0,
                category=draft.category,
                urgency=draft.urgency,
                description=description,
                status=Status.NEW,
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
            )
        )
        opened = uow.events.add(
            TicketEvent(ticket.id or 0, now, Event.OPEN, None, Status.NEW, actor_id=reporter_id)
        )
        for file_id, unique_id in draft.photos:
            uow.attachments.add(
                Attachment(ticket.id or 0, "photo", file_id, unique_id, opened.id, reporter_id, now)
            )
        assignee = _route(uow, estate.id or 0, draft.category, seq)
        _assign(uow, ticket, assignee, now, actor_id=None)
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


def _assign(
    uow: UnitOfWork,
    ticket: Ticket,
    assignee_id: int | None,
    now: datetime,
    actor_id: int | None,
    previous_id: int | None = None,
) -> None:
    if assignee_id is None:  # nobody at the estate yet: stays NEW, the ladder will find the manager
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        return
    ticket.assignee_id = assignee_id
    data: dict[str, Any] = {"assignee_id": assignee_id}
    if previous_id is not None and previous_id != assignee_id:
        data["previous_id"] = previous_id
    event = _record(uow, ticket, Event.ASSIGN, now, actor_id, data=data)
    schedule_next_action(ticket)
    uow.tickets.save(ticket)
    queue(uow, now, "ticket.assigned", assignee_id, ticket=ticket, tag=event.id)
    queue_groups(uow, now, "ticket.assigned", ticket, estate_id=ticket.estate_id, tag=event.id)


def assign(ctx: Context, actor_id: int, ticket_id: int, assignee_id: int) -> Ticket:
    """A manager (re)assigns a ticket to a member of staff at the same estate, or the line staff
    member it is assigned to hands it to a colleague of the same company there."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        estate = access.estate_of(uow, ticket)
        handoff = not actor.has(RoleKind.MANAGER, ticket.estate_id) and _is_assigned_staff(actor, ticket)
        if handoff:
            if ticket.status not in HANDLING_STATUSES:
                raise UserError("illegal_transition", status=ticket.status.value, event=Event.ASSIGN.value)
        elif not actor.has(RoleKind.MANAGER, ticket.estate_id):
            access.require_official(uow, actor, ticket)  # the community may overrule a rejection
        target = access.load_actor(uow, assignee_id)
        if not target.is_staff_at(ticket.estate_id) or not _works_for(target, estate):
            raise UserError("assignee_not_staff")
        previous = ticket.assignee_id
        if handoff and previous == assignee_id:
            raise UserError("same_assignee", number=ticket.number)
        if ticket.status is Status.REOPENED or ticket.status is Status.REJECTED:
            ticket.acknowledged_at = None
        before = ticket.status
        _assign(uow, ticket, assignee_id, now, actor_id, previous_id=previous)
        if ticket.status is before:  # the status did not move, so _record left the cards as they were
            refresh_cards(uow, ticket, now)
        if previous and previous not in (assignee_id, actor_id):  # who handed it on knows already
            queue(uow, now, "ticket.unassigned", previous, ticket=ticket, tag=f"u{ticket.version}")
        uow.commit()
        return ticket


def _is_assigned_staff(actor: access.Actor, ticket: Ticket) -> bool:
    return actor.has(RoleKind.STAFF, ticket.estate_id) and ticket.assignee_id == actor.id


def _works_for(target: access.Actor, estate: Estate) -> bool:
    """Staff of the estate's current company (a role without a company predates companies)."""
    return any(
        r.kind in (RoleKind.STAFF, RoleKind.MANAGER)
        and r.estate_id == estate.id
        and r.company_id in (None, estate.company_id)
        for r in target.roles
    )


def acknowledge(ctx: Context, actor_id: int, ticket_id: int) -> Ticket:
    """签收: stops the acknowledgement clock, never the deadline clock."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        if (
            ticket.status is Status.ACKNOWLEDGED
            or ticket.acknowledged_at is not None
            and ticket.status
            in (
                Status.IN_PROGRESS,
                Status.WAITING_OWNER,
            )
        ):
            taker = uow.people.get(ticket.assignee_id or 0)
            raise Conflict(
                "already_acknowledged", number=ticket.number, by=taker.display_name if taker else ""
            )
        ticket.assignee_id = ticket.assignee_id or actor_id
        ticket.acknowledged_at = now
        _record(uow, ticket, Event.ACKNOWLEDGE, now, actor_id)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(uow, now, "ticket.acknowledged", ticket.reporter_id, ticket=ticket, params={"by": actor_id})
        uow.commit()
        return ticket


def start_work(ctx: Context, actor_id: int, ticket_id: int) -> Ticket:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        _record(uow, ticket, Event.START, now, actor_id)
        queue(uow, now, "ticket.started", ticket.reporter_id, ticket=ticket)
        uow.commit()
        return ticket


def ask_owner(ctx: Context, actor_id: int, ticket_id: int, question: str) -> Ticket:
    """Staff ask the owner for details; the deadline clock pauses until the owner answers."""
    now = ctx.clock.now()
    question = check_text(question, field_name="question")
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        if ticket.reporter_id is None:
            raise UserError("reporter_gone")
        ticket.paused_at = now
        event = _record(uow, ticket, Event.ASK_OWNER, now, actor_id, note=question)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(
            uow,
            now,
            "ticket.question",
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"question": question, "from": actor_id},
        )
        uow.commit()
        return ticket


def owner_reply(ctx: Context, reporter_id: int, ticket_id: int, answer: str) -> Ticket:
    """The owner answers; the deadline moves on by the time spent waiting."""
    now = ctx.clock.now()
    answer = check_text(answer, field_name="answer")
    with ctx.uow() as uow:
        actor = access.load_actor(uow, reporter_id)
        ticket = _get(uow, ticket_id)
        access.require_reporter(actor, ticket)
        if ticket.paused_at and ticket.due_at:
            calendar = ctx.calendar(uow)
            ticket.due_at = shift_for_pause(_policy(ticket), ticket.due_at, ticket.paused_at, now, calendar)
            # Moved into a year without holiday data: the card must say the deadline is provisional.
            ticket.deadline_provisional = ticket.deadline_provisional or not calendar.is_known(
                ticket.due_at.astimezone(ctx.tz).date()
            )
        ticket.paused_at = None
        event = _record(uow, ticket, Event.OWNER_REPLY, now, reporter_id, note=answer)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(
            uow,
            now,
            "ticket.answer",
            ticket.assignee_id,
            ticket=ticket,
            tag=event.id,
            params={"answer": answer},
        )
        uow.commit()
        return ticket


def resolve(
    ctx: Context, actor_id: int, ticket_id: int, note: str, photo: tuple[str, str | None] | None = None
) -> Ticket:
    """Staff resolve with a note (and a photo); the owner is asked to confirm."""
    now = ctx.clock.now()
    note = check_text(note, field_name="note", minimum=2)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        ticket.resolved_at = now
        event = _record(uow, ticket, Event.RESOLVE, now, actor_id, note=note)
        if photo is not None:
            uow.attachments.add(
                Attachment(ticket.id or 0, "photo", photo[0], photo[1], event.id, actor_id, now)
            )
        quiet = ctx.calendar(uow).add_working_time(now, _policy(ticket).quiet_period)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(
            uow,
            now,
            "ticket.resolved",
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"note": note, "close_at": quiet.at.isoformat()},
        )
        uow.commit()
        return ticket


def confirm(ctx: Context, reporter_id: int, ticket_id: int) -> Ticket:
    """The owner confirms the fix: 销号."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, reporter_id)
        ticket = _get(uow, ticket_id)
        access.require_reporter(actor, ticket)
        ticket.closed_at = now
        _record(uow, ticket, Event.CONFIRM, now, reporter_id)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(uow, now, "ticket.confirmed", ticket.assignee_id, ticket=ticket)
        uow.commit()
        return ticket


def rate(ctx: Context, reporter_id: int, ticket_id: int, stars: int, comment: str | None = None) -> Ticket:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise UserError("rating_range")
    now = ctx.clock.now()
    comment = check_text(comment, field_name="comment") if comment else None
    with ctx.uow() as uow:
        actor = access.load_actor(uow, reporter_id)
        ticket = _get(uow, ticket_id)
        access.require_reporter(actor, ticket)
        if ticket.rating is not None:
            raise UserError("already_rated", number=ticket.number)
        ticket.rating, ticket.rating_comment = stars, comment
        _record(uow, ticket, Event.RATE, now, reporter_id, note=comment, data={"stars": stars})
        queue(uow, now, "ticket.rated", ticket.assignee_id, ticket=ticket, params={"stars": stars})
        uow.commit()
        return ticket


def reopen(ctx: Context, reporter_id: int, ticket_id: int, reason: str) -> Ticket:
    """ "Not fixed": a fresh cycle, a fresh deadline, back to the same assignee; counts against them."""
    now = ctx.clock.now()
    reason = check_text(reason, field_name="reason", minimum=2)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, reporter_id)
        ticket = _get(uow, ticket_id)
        access.require_reporter(actor, ticket)
        _record(uow, ticket, Event.REOPEN, now, reporter_id, note=reason, data={"cycle": ticket.cycle + 1})
        limits = deadlines_for(_policy(ticket), ctx.calendar(uow), now)
        ticket.cycle += 1
        ticket.reopen_count += 1
        ticket.rung, ticket.supervised = 0, False
        ticket.ack_due_at, ticket.due_at = limits.ack_due_at, limits.due_at
        ticket.deadline_provisional = limits.provisional
        ticket.acknowledged_at = ticket.resolved_at = ticket.closed_at = None
        ticket.cycle_started_at, ticket.reminders_sent, ticket.overdue_reminded_at = now, 0, None
        ticket.extension_requested_until = None
        uow.tickets.save(ticket)
        if ticket.assignee_id is not None:
            _assign(uow, ticket, ticket.assignee_id, now, actor_id=None)
        else:
            schedule_next_action(ticket)
            uow.tickets.save(ticket)
        uow.commit()
        return ticket


def close_unconfirmed(ctx: Context, ticket_id: int) -> Ticket:
    """The quiet period passed without an answer: closed, counted apart from confirmed closures."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        ticket = _get(uow, ticket_id)
        ticket.closed_at = now
        _record(uow, ticket, Event.CLOSE_UNCONFIRMED, now, None)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(uow, now, "ticket.closed_unconfirmed", ticket.reporter_id, ticket=ticket)
        uow.commit()
        return ticket


def reject(ctx: Context, actor_id: int, ticket_id: int, reason: str) -> Ticket:
    """ "Not ours": the owner and the community see the reason; the community decides."""
    now = ctx.clock.now()
    reason = check_text(reason, field_name="reason", minimum=5)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        ticket.reject_reason = reason
        event = _record(uow, ticket, Event.REJECT, now, actor_id, note=reason)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(
            uow,
            now,
            "ticket.rejected",
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"reason": reason},
        )
        estate = access.estate_of(uow, ticket)
        for role in uow.roles.at_office(estate.community_id):
            queue(
                uow,
                now,
                "ticket.rejection_review",
                role.person_id,
                ticket=ticket,
                tag=event.id,
                params={"reason": reason},
            )
        uow.commit()
        return ticket


def transfer_department(ctx: Context, actor_id: int, ticket_id: int, office_key: str, note: str) -> Ticket:
    """吹哨报到: an official hands the case to a department, which must report on it."""
    now = ctx.clock.now()
    note = check_text(note, field_name="note", minimum=2)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _get(uow, ticket_id)
        access.require_official(uow, actor, ticket)
        department = uow.offices.by_key(office_key)
        if department is None or department.kind.value != "department":
            raise UserError("department_unknown", key=office_key)
        ticket.department_office_id = department.id
        event = _record(
            uow,
            ticket,
            Event.TRANSFER_DEPARTMENT,
            now,
            actor_id,
            note=note,
            data={"office_id": department.id},
        )
        limits = deadlines_for(_policy(ticket), ctx.calendar(uow), now)
        ticket.due_at, ticket.deadline_provisional = limits.due_at, limits.provisional
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        for role in uow.roles.at_office(department.id or 0):
            queue(
                uow,
                now,
                "ticket.department",
                role.person_id,
                ticket=ticket,
                tag=event.id,
                params={"note": note},
            )
        queue(
            uow,
            now,
            "ticket.transferred",
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"office_id": department.id},
        )
        uow.commit()
        return ticket


def withdraw(ctx: Context, reporter_id: int, ticket_id: int) -> Ticket:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, reporter_id)
        ticket = _get(uow, ticket_id)
        access.require_reporter(actor, ticket)
        ticket.closed_at = now
        _record(uow, ticket, Event.WITHDRAW, now, reporter_id)
        schedule_next_action(ticket)
        uow.tickets.save(ticket)
        queue(uow, now, "ticket.withdrawn", ticket.assignee_id, ticket=ticket)
        uow.commit()
        return ticket
