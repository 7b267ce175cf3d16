"""The ticket a button names (its first argument), if the presser may do with it what the button does.

One look-up for every ticket button: the ticket and the presser (the actor) are read in one unit of work
and `may` says whether this presser may press this button on it now. When they may not (the ticket is
gone, was never theirs, or moved on) the press is told "This button is no longer valid." and nothing
changes; a check that knows better says why (`handler`: "not your ticket").

Whether the presser may, is what the use case checks again when it acts: this check only keeps a
question from being asked that could not be answered, or a card from being drawn for the wrong person.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.conversations.engine import NO_LONGER_VALID
from handlers.conversations.errors import explain
from handlers.conversations.turn import Turn
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.errors import UserError

May = Callable[[UnitOfWork, Actor, Ticket], bool]


def reporter(_uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """The owner who reported it."""
    return ticket.reporter_id == actor.id


def reporter_while_open(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """The owner who reported it, while it is open."""
    return reporter(uow, actor, ticket) and ticket.status in OPEN_STATUSES


def handler(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """Staff who may handle it (not the department that has it: their buttons are others)."""
    access.require_handler(uow, actor, ticket)  # NotAllowed: said as it is
    return not access.department_of(actor, ticket)


def handler_or_department(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """Staff who may handle it, or the department that has it now (resolving it)."""
    access.require_handler(uow, actor, ticket)
    return True


def supervisor(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """An official of an office over its estate."""
    return access.official_over(uow, actor, access.estate_of(uow, ticket)) is not None


def viewer(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """Anyone who may read it: its reporter, the estate's staff and committee, the offices over it."""
    return access.can_see(uow, actor, ticket)


def department(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    """The department it was transferred to, while the case is theirs."""
    return access.can_see(uow, actor, ticket) and access.department_of(actor, ticket)


def pressed_ticket(turn: Turn, may: May, uow: UnitOfWork | None = None) -> Ticket | None:
    """The ticket the pressed button names, if `may` lets the presser act on it; else None, and the
    press is told why. In the caller's unit of work when it gives one (to draw the ticket in it)."""
    if uow is None:
        with turn.ctx.uow() as own:
            return pressed_ticket(turn, may, own)
    ticket_id = turn.arg(0)
    ticket = uow.tickets.get(ticket_id) if isinstance(ticket_id, int) else None
    try:
        allowed = ticket is not None and may(uow, access.load_actor(uow, turn.person_id), ticket)
    except UserError as exc:
        turn.toast(explain(turn.tr, exc), alert=True)
        return None
    if not allowed:
        turn.toast(turn.t(NO_LONGER_VALID), alert=True)
        return None
    return ticket
