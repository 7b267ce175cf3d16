"""What officials do with a ticket on the ladder: urge (督办), decide extensions, comment."""

from __future__ import annotations

from handlers.domain.notifications import NoticeKind
from handlers.domain.organisations import OfficeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import HANDLING_STATUSES, Event
from handlers.rules.worktime import Duration, DurationUnit
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotFound, UserError
from handlers.services.notify import queue, refresh_cards
from handlers.services.tickets import check_text
from handlers.services.tickets.records import log_event, save

MAX_EXTENSION_DAYS = 15


def _ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket_unknown")
    return ticket


def urge(ctx: Context, actor_id: int, ticket_id: int, note: str) -> None:
    """督办: an official's note goes to the assignee and the estate's managers at once."""
    now = ctx.clock.now()
    note = check_text(note, field_name="note", minimum=2)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _ticket(uow, ticket_id)
        office = access.require_official(uow, actor, ticket)
        event = log_event(
            uow, ticket, lambda t: t.note(Event.URGE, now), actor_id, note=note, data={"office_id": office.id}
        )
        save(uow, ticket)
        people = {ticket.assignee_id} | {
            r.person_id for r in uow.roles.at_estate(ticket.estate_id, RoleKind.MANAGER)
        }
        for person_id in sorted(p for p in people if p):
            queue(
                uow,
                now,
                NoticeKind.TICKET_URGED,
                person_id,
                ticket=ticket,
                tag=event.id,
                params={"note": note, "office_id": office.id},
            )
        queue(
            uow,
            now,
            NoticeKind.TICKET_URGED_OWNER,
            ticket.reporter_id,
            ticket=ticket,
            tag=event.id,
            params={"office_id": office.id},
        )
        uow.commit()


def request_extension(ctx: Context, actor_id: int, ticket_id: int, days: int) -> None:
    """Staff ask for more time, before the deadline only; the community decides."""
    now = ctx.clock.now()
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise UserError("extension_range", maximum=MAX_EXTENSION_DAYS)
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _ticket(uow, ticket_id)
        access.require_handler(uow, actor, ticket)
        if ticket.status not in HANDLING_STATUSES or ticket.due_at is None:
            raise UserError(
                "illegal_transition", status=ticket.status.value, event=Event.EXTENSION_REQUEST.value
            )
        if ticket.due_at <= now:
            raise UserError("extension_too_late")
        if ticket.extension_requested_until is not None:
            raise UserError("extension_pending", number=ticket.number)
        until = (
            ctx.calendar(uow).add_working_time(ticket.due_at, Duration(days, DurationUnit.WORKING_DAYS)).at
        )
        data = {"days": days, "until": until.isoformat()}
        event = log_event(uow, ticket, lambda t: t.request_extension(until, now), actor_id, data=data)
        save(uow, ticket)
        refresh_cards(uow, ticket, now)
        estate = access.estate_of(uow, ticket)
        for role in uow.roles.at_office(estate.community_id):
            queue(
                uow,
                now,
                NoticeKind.TICKET_EXTENSION_REQUESTED,
                role.person_id,
                ticket=ticket,
                tag=event.id,
                params={"days": days, "until": until.isoformat()},
            )
        uow.commit()


def decide_extension(ctx: Context, actor_id: int, ticket_id: int, grant: bool) -> None:
    """The community grants or refuses a pending extension; the company cannot grant its own."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _ticket(uow, ticket_id)
        access.require_official(
            uow, actor, ticket, kinds={OfficeKind.COMMUNITY, OfficeKind.STREET, OfficeKind.BUREAU}
        )
        until = ticket.extension_requested_until
        if until is None:
            raise UserError("extension_none", number=ticket.number)
        data = {"until": until.isoformat()}
        if grant:
            # Extended into a year without holiday data: the card must say the deadline is provisional.
            unknown = not ctx.calendar(uow).is_known(until.astimezone(ctx.tz).date())
            event = log_event(uow, ticket, lambda t: t.grant_extension(now, unknown), actor_id, data=data)
            from handlers.services.ladder import reschedule  # the ladder module imports this one's peers

            reschedule(ticket, ctx.calendar(uow))  # the reminders start over against the new deadline
        else:
            event = log_event(uow, ticket, lambda t: t.refuse_extension(now), actor_id, data=data)
        save(uow, ticket)
        refresh_cards(uow, ticket, now)
        kind = NoticeKind.TICKET_EXTENSION_GRANTED if grant else NoticeKind.TICKET_EXTENSION_REFUSED
        people = {ticket.assignee_id, ticket.reporter_id if grant else None}
        for person_id in sorted(p for p in people if p):
            queue(uow, now, kind, person_id, ticket=ticket, tag=event.id, params={"until": until.isoformat()})
        uow.commit()


def comment(ctx: Context, actor_id: int, ticket_id: int, text: str) -> None:
    """A note on the record from anyone who may see the ticket; the assignee is told."""
    now = ctx.clock.now()
    text = check_text(text, field_name="comment")
    with ctx.uow() as uow:
        actor = access.load_actor(uow, actor_id)
        ticket = _ticket(uow, ticket_id)
        if not access.can_see(uow, actor, ticket):
            raise UserError("not_your_ticket", number=ticket.number)
        event = log_event(uow, ticket, lambda t: t.note(Event.COMMENT, now), actor_id, note=text)
        save(uow, ticket)
        if ticket.assignee_id and ticket.assignee_id != actor_id:
            queue(
                uow,
                now,
                NoticeKind.TICKET_COMMENT,
                ticket.assignee_id,
                ticket=ticket,
                tag=event.id,
                params={"comment": text},
            )
        uow.commit()
