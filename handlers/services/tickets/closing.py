"""The loop closes: the owner confirms, rates or reopens; quiet owners are closed for; the owner withdraws."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.domain.notifications import NoticeKind
from handlers.domain.ticket import Attachment, AttachmentKind, Move, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.deadlines import deadlines_for
from handlers.rules.lifecycle import (
    Event,
)
from handlers.services import access
from handlers.services.after_hours import held_until
from handlers.services.context import Context
from handlers.services.errors import UserError
from handlers.services.notify import queue
from handlers.services.tickets.opening import assign_to
from handlers.services.tickets.records import (
    MAX_PHOTOS,
    check_text,
    get_ticket,
    policy_of,
    record_event,
)


def reporters_ticket(uow: UnitOfWork, reporter_id: int, ticket_id: int) -> Ticket:
    """The ticket, if the one asking is the owner who reported it (NotAllowed otherwise)."""
    ticket = get_ticket(uow, ticket_id)
    access.require_reporter(access.load_actor(uow, reporter_id), ticket)
    return ticket


def confirm(ctx: Context, reporter_id: int, ticket_id: int) -> Ticket:
    """The owner confirms the fix: 销号."""
    return _closed_by_owner(ctx, reporter_id, ticket_id, Ticket.confirm, NoticeKind.TICKET_CONFIRMED)


def withdraw(ctx: Context, reporter_id: int, ticket_id: int) -> Ticket:
    return _closed_by_owner(ctx, reporter_id, ticket_id, Ticket.withdraw, NoticeKind.TICKET_WITHDRAWN)


def _closed_by_owner(
    ctx: Context,
    reporter_id: int,
    ticket_id: int,
    close: Callable[[Ticket, datetime], Move],
    kind: NoticeKind,
) -> Ticket:
    """The reporter closes their ticket (confirming the fix, or withdrawing it); the assignee is told."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        ticket = reporters_ticket(uow, reporter_id, ticket_id)
        record_event(uow, ticket, lambda t: close(t, now), reporter_id, reschedule=True)
        queue(uow, now, kind, ticket.assignee_id, ticket=ticket)
        uow.commit()
        return ticket


def add_photo(ctx: Context, reporter_id: int, ticket_id: int, file_id: str, unique_id: str | None) -> Ticket:
    """The owner adds a photo to their open report; whoever handles it gets it."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        ticket = reporters_ticket(uow, reporter_id, ticket_id)
        if len([a for a in uow.attachments.of_ticket(ticket_id) if a.added_by == reporter_id]) >= MAX_PHOTOS:
            raise UserError("too_many_photos", maximum=MAX_PHOTOS)
        event = record_event(uow, ticket, lambda t: t.note(Event.ADD_PHOTO, now), reporter_id)
        uow.attachments.add(
            Attachment(ticket_id, AttachmentKind.PHOTO, file_id, unique_id, event.id, reporter_id, now)
        )
        queue(
            uow,
            now,
            NoticeKind.TICKET_PHOTO,
            ticket.assignee_id,
            ticket=ticket,
            tag=event.id,
            params={"file_id": file_id},
        )
        uow.commit()
        return ticket


def rate(ctx: Context, reporter_id: int, ticket_id: int, stars: int, comment: str | None = None) -> Ticket:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise UserError("rating_range")
    now = ctx.clock.now()
    comment = check_text(comment, field_name="comment") if comment else None
    with ctx.uow() as uow:
        ticket = reporters_ticket(uow, reporter_id, ticket_id)
        if ticket.rating is not None:
            raise UserError("already_rated", number=ticket.number)
        record_event(
            uow,
            ticket,
            lambda t: t.rate(stars, comment, now),
            reporter_id,
            note=comment,
            data={"stars": stars},
        )
        queue(uow, now, NoticeKind.TICKET_RATED, ticket.assignee_id, ticket=ticket, params={"stars": stars})
        uow.commit()
        return ticket


def comment_on_rating(ctx: Context, reporter_id: int, ticket_id: int, comment: str) -> Ticket:
    """The owner's comment after the stars (stored on their own press, so a rating is never lost to
    an owner who walks away before the comment)."""
    now = ctx.clock.now()
    comment = check_text(comment, field_name="comment", minimum=1)
    with ctx.uow() as uow:
        ticket = reporters_ticket(uow, reporter_id, ticket_id)
        if ticket.rating is None or ticket.rating_comment is not None:
            raise UserError("already_rated", number=ticket.number)
        record_event(uow, ticket, lambda t: t.comment_on_rating(comment, now), reporter_id, note=comment)
        uow.commit()
        return ticket


def reopen(ctx: Context, reporter_id: int, ticket_id: int, reason: str) -> Ticket:
    """ "Not fixed": a fresh cycle, a fresh deadline, back to the same assignee; counts against them."""
    now = ctx.clock.now()
    reason = check_text(reason, field_name="reason", minimum=2)
    with ctx.uow() as uow:
        ticket = reporters_ticket(uow, reporter_id, ticket_id)
        cycle = {"cycle": ticket.cycle + 1}
        # Saved and shown as it ends the old cycle (the cards' refresh is keyed by the cycle)...
        record_event(uow, ticket, lambda t: t.reopen(now), reporter_id, note=reason, data=cycle)
        limits = deadlines_for(policy_of(ticket), ctx.calendar(uow), now)
        # ...then the fresh one starts.
        ticket.begin_cycle(now, limits.ack_due_at, limits.due_at, limits.provisional)
        if ticket.assignee_id is not None:  # the ASSIGN event's save writes the fresh cycle too
            hold = held_until(ctx.calendar(uow), ticket, now)  # reopened at night: told in the morning
            assign_to(uow, ticket, ticket.assignee_id, now, actor_id=None, hold=hold)
        else:
            ticket.schedule_now()
            uow.tickets.save(ticket)
        uow.commit()
        return ticket


def close_unconfirmed(ctx: Context, ticket_id: int) -> Ticket:
    """The quiet period passed without an answer: closed, counted apart from confirmed closures."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        ticket = get_ticket(uow, ticket_id)
        record_event(uow, ticket, lambda t: t.close_unconfirmed(now), None, reschedule=True)
        queue(uow, now, NoticeKind.TICKET_CLOSED_UNCONFIRMED, ticket.reporter_id, ticket=ticket)
        uow.commit()
        return ticket
