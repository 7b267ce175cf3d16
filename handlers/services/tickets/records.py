"""What every ticket use case shares: limits on text, loading a ticket, applying an event and logging it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.domain.ticket import Move, Ticket, TicketEvent
from handlers.ports import StaleTicket, UnitOfWork
from handlers.rules.lifecycle import (
    Event,
    IllegalTransition,
    Status,
    next_status,
)
from handlers.rules.policy import Policy
from handlers.services.errors import Conflict, NotFound, UserError
from handlers.services.notify import refresh_cards

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
NOTE_MAX = 1000
MAX_PHOTOS = 5

# One of the ticket's own acts (a method of handlers.domain.ticket.Ticket), as `lambda t: t.resolve(now)`.
Act = Callable[[Ticket], Move]


def check_text(text: str | None, *, field_name: str, minimum: int = 1, maximum: int = NOTE_MAX) -> str:
    """Trimmed text within limits, or a UserError naming the field."""
    cleaned = (text or "").strip()
    if len(cleaned) < minimum:
        raise UserError("text_too_short", field=field_name, minimum=minimum)
    if len(cleaned) > maximum:
        raise UserError("text_too_long", field=field_name, maximum=maximum, length=len(cleaned))
    return cleaned


def get_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket_unknown")
    return ticket


def log_event(
    uow: UnitOfWork,
    ticket: Ticket,
    act: Act,
    actor_id: int | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """The one way a ticket changes: carry out `act`, one of the ticket's own acts, which applies the
    lifecycle table (a UserError, and nothing changed, if the ticket's status forbids it), and append
    it to the ticket's history. The caller saves the ticket (record_event does both)."""
    try:
        move = act(ticket)
    except IllegalTransition as exc:
        raise UserError("illegal_transition", status=exc.status.value, event=exc.event.value) from None
    if ticket.status is not move.after or next_status(move.before, move.event) is not move.after:
        raise RuntimeError(f"{move} is not what the lifecycle table makes of {ticket.number}")
    return uow.events.add(
        TicketEvent(
            ticket_id=ticket.id or 0,
            at=move.at,
            event=move.event,
            from_status=move.before,
            to_status=move.after,
            actor_id=actor_id,
            note=note,
            data=data or {},
        )
    )


def opening_status(assigned: bool) -> Status:
    """A new ticket is NEW, or already past the table's NEW → ASSIGN step when routed at once (so it is
    written once)."""
    return next_status(Status.NEW, Event.ASSIGN) if assigned else next_status(Status.NEW, Event.OPEN)


def log_opening(
    uow: UnitOfWork, ticket: Ticket, now: datetime, reporter_id: int
) -> tuple[TicketEvent, TicketEvent | None]:
    """A new ticket's first entries: reported (no status before it), and assigned when it was routed
    at once, each as the lifecycle table has it. The report keeps the acknowledgement limit set then:
    the response rate measures the first acknowledgement against it (handlers/rules/figures.py)."""
    limit = {"ack_due_at": ticket.ack_due_at.isoformat()} if ticket.ack_due_at else {}
    opened = uow.events.add(
        TicketEvent(
            ticket.id or 0,
            now,
            Event.OPEN,
            None,
            next_status(Status.NEW, Event.OPEN),
            reporter_id,
            data=limit,
        )
    )
    if ticket.assignee_id is None:
        return opened, None
    assigned = uow.events.add(
        TicketEvent(
            ticket.id or 0,
            now,
            Event.ASSIGN,
            Status.NEW,
            opening_status(True),
            None,
            data={"assignee_id": ticket.assignee_id},
        )
    )
    return opened, assigned


def record_event(
    uow: UnitOfWork,
    ticket: Ticket,
    act: Act,
    actor_id: int | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    reschedule: bool = False,
) -> TicketEvent:
    """Carry out `act` (a UserError if the status forbids it), save the ticket, log the event.
    `reschedule`: also ask the sweep to re-plan the ticket, in the same save."""
    before = ticket.status
    recorded = log_event(uow, ticket, act, actor_id, note, data)
    if reschedule:
        ticket.schedule_now()
    save(uow, ticket)
    if ticket.status is not before:
        refresh_cards(uow, ticket, recorded.at)
    return recorded


def save(uow: UnitOfWork, ticket: Ticket) -> None:
    """Write the ticket if nobody changed it since it was read (else a Conflict to show the person)."""
    try:
        uow.tickets.save(ticket)
    except StaleTicket:
        raise Conflict("ticket_changed", number=ticket.number) from None


def policy_of(ticket: Ticket) -> Policy:
    return Policy.from_dict(ticket.policy)
