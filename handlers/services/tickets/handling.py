"""Staff work a ticket: acknowledge (签收), start, ask the owner, resolve, reject, hand it to a department."""

from __future__ import annotations

from handlers.domain.notifications import NoticeKind
from handlers.domain.ticket import Attachment, AttachmentKind, Ticket
from handlers.rules.deadlines import deadlines_for, shift_for_pause
from handlers.rules.lifecycle import (
    Status,
)
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import Conflict, UserError
from handlers.services.notify import queue
from handlers.services.tickets.records import (
    check_text,
    get_ticket,
    policy_of,
    record_event,
)


def acknowledge(ctx: Context, actor_id: int, ticket_id: int) -> Ticket:
    """签收: stops the acknowledgement clock, never the deadline clock."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
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
        record_event(uow, ticket, lambda t: t.acknowledge(actor_id, now), actor_id, reschedule=True)
        queue(
            uow,
            now,
            NoticeKind.TICKET_ACKNOWLEDGED,
            ticket.reporter_id,
            ticket=ticket,
            params={"by": actor_id},
        )
        uow.commit()
        return ticket


def start_work(ctx: Context, actor_id: int, ticket_id: int) -> Ticket:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        record_event(uow, ticket, lambda t: t.start(now), actor_id)
        queue(uow, now, NoticeKind.TICKET_STARTED, ticket.reporter_id, ticket=ticket)
        uow.commit()
        return ticket


def ask_owner(ctx: Context, actor_id: int, ticket_id: int, question: str) -> Ticket:
    """Staff ask the owner for details; the deadline clock pauses until the owner answers."""
    now = ctx.clock.now()
    question = check_text(question, field_name="question")
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        if ticket.reporter_id is None:
            raise UserError("reporter_gone")
        event = record_event(uow, ticket, lambda t: t.pause(now), actor_id, note=question, reschedule=True)
        queue(
            uow,
            now,
            NoticeKind.TICKET_QUESTION,
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
        ticket = get_ticket(uow, ticket_id)
        access.require_reporter(actor, ticket)
        due_at, provisional = None, False
        if ticket.paused_at and ticket.due_at:
            calendar = ctx.calendar(uow)
            due_at = shift_for_pause(policy_of(ticket), ticket.due_at, ticket.paused_at, now, calendar)
            # Moved into a year without holiday data: the card must say the deadline is provisional.
            provisional = not calendar.is_known(due_at.astimezone(ctx.tz).date())
        event = record_event(
            uow,
            ticket,
            lambda t: t.resume(now, due_at, provisional),
            reporter_id,
            note=answer,
            reschedule=True,
        )
        queue(
            uow,
            now,
            NoticeKind.TICKET_ANSWER,
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
        ticket = get_ticket(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        # The deadline in force as it is met (or missed), for the resolution rate: it moves after
        # (a reopening starts a fresh one), and a pause or an extension had moved it before.
        due = {"due_at": ticket.due_at.isoformat()} if ticket.due_at else {}
        event = record_event(
            uow, ticket, lambda t: t.resolve(now), actor_id, note=note, data=due, reschedule=True
        )
        if photo is not None:
            uow.attachments.add(
                Attachment(ticket.id or 0, AttachmentKind.PHOTO, photo[0], photo[1], event.id, actor_id, now)
            )
        quiet = ctx.calendar(uow).add_working_time(now, policy_of(ticket).quiet_period)
        queue(
            uow,
            now,
            NoticeKind.TICKET_RESOLVED,
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"note": note, "close_at": quiet.at.isoformat()},
        )
        uow.commit()
        return ticket


def reject(ctx: Context, actor_id: int, ticket_id: int, reason: str) -> Ticket:
    """ "Not ours": the owner and the community see the reason; the community decides."""
    now = ctx.clock.now()
    reason = check_text(reason, field_name="reason", minimum=5)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = get_ticket(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        event = record_event(
            uow, ticket, lambda t: t.reject(reason, now), actor_id, note=reason, reschedule=True
        )
        queue(
            uow,
            now,
            NoticeKind.TICKET_REJECTED,
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
                NoticeKind.TICKET_REJECTION_REVIEW,
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
        ticket = get_ticket(uow, ticket_id)
        access.require_official(uow, actor, ticket)
        department = uow.offices.by_key(office_key)
        if department is None or department.kind.value != "department":
            raise UserError("department_unknown", key=office_key)
        event = record_event(
            uow,
            ticket,
            lambda t: t.transfer(department.id, now),
            actor_id,
            note=note,
            data={"office_id": department.id},
        )
        limits = deadlines_for(policy_of(ticket), ctx.calendar(uow), now)
        # The department's own cycle of reminders (half the time, a working day before, at the deadline)
        # starts now, against its own deadline, as an extension starts them over.
        ticket.restart_clock(now, limits.due_at, limits.provisional)
        ticket.schedule_now()
        uow.tickets.save(ticket)
        for role in uow.roles.at_office(department.id or 0):
            queue(
                uow,
                now,
                NoticeKind.TICKET_DEPARTMENT,
                role.person_id,
                ticket=ticket,
                tag=event.id,
                params={"note": note},
            )
        queue(
            uow,
            now,
            NoticeKind.TICKET_TRANSFERRED,
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"office_id": department.id},
        )
        uow.commit()
        return ticket
