"""An official marks a ticket of their area as a typical case (典型案例), with what happened (基本情况),
how it was handled (处理过程) and how it ended (处理结果); officials of the area edit or remove the mark.
The monthly ledger lists the marked tickets (TypicalCaseRepository.typical_cases)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain.organisations import OfficeKind
from handlers.domain.ticket import Ticket, TypicalCase
from handlers.ports import UnitOfWork
from handlers.services import access
from handlers.services.context import Context
from handlers.services.tickets.records import check_text, get_ticket

TEXT_MAX = 500  # each of the three parts: a paragraph of the ledger, and room for all three on the card
PARTS = ("background", "handling", "outcome")  # the order they are asked in
SUPERVISORS = {OfficeKind.COMMUNITY, OfficeKind.STREET, OfficeKind.BUREAU}


@dataclass(frozen=True)
class Texts:
    background: str
    handling: str
    outcome: str


def check_part(part: str, text: str | None) -> str:
    """One part, trimmed and within limits; a UserError naming the part otherwise."""
    return check_text(text, field_name=part, maximum=TEXT_MAX)


def _require_official(uow: UnitOfWork, actor_id: int, ticket: Ticket) -> None:
    """An official of the community, street or district over the ticket's estate (not a department)."""
    access.require_official(uow, access.load_actor(uow, actor_id), ticket, SUPERVISORS)


def typical_case(ctx: Context, actor_id: int, ticket_id: int) -> tuple[Ticket, TypicalCase | None]:
    """The ticket and its mark, for an official of its area."""
    with ctx.uow() as uow:
        ticket = get_ticket(uow, ticket_id)
        _require_official(uow, actor_id, ticket)
        return ticket, uow.typical_cases.get(ticket_id)


def mark(ctx: Context, actor_id: int, ticket_id: int, texts: Texts) -> TypicalCase:
    """Mark the ticket as a typical case, or replace the texts of its mark."""
    parts = Texts(*(check_part(p, getattr(texts, p)) for p in PARTS))
    now = ctx.clock.now()
    with ctx.uow() as uow:
        ticket = get_ticket(uow, ticket_id)
        _require_official(uow, actor_id, ticket)
        before = uow.typical_cases.get(ticket_id)
        case = TypicalCase(
            ticket_id,
            parts.background,
            parts.handling,
            parts.outcome,
            marked_by=before.marked_by if before else actor_id,
            marked_at=before.marked_at if before else now,
            updated_by=actor_id if before else None,
            updated_at=now if before else None,
        )
        uow.typical_cases.put(case)
        uow.commit()
        return case


def unmark(ctx: Context, actor_id: int, ticket_id: int) -> bool:
    """Take the mark off; False if the ticket was not marked."""
    with ctx.uow() as uow:
        ticket = get_ticket(uow, ticket_id)
        _require_official(uow, actor_id, ticket)
        removed = uow.typical_cases.remove(ticket_id)
        uow.commit()
        return removed
