"""Erasing a person (PIPL): every record that pointed to them points to one anonymous stand-in instead.

What stays is the case record the supervisors need (the tickets, their histories, who handled them);
what goes is everything that could link it back to the person: their row, roles, cards, bound groups,
conversation state in every chat, the files of any ledger (台账) kept as sent that names them, and what
they wrote on their own reports outside the description and the place (answers, reasons, rating
comments), also where it was copied into a message's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session

from storage.repositories.statements import connection_of
from storage.tables import (
    AttachmentRow,
    CardMessageRow,
    ConversationRow,
    DisclosureRow,
    DueReportRow,
    GroupBindingRow,
    InviteRow,
    LedgerNamedRow,
    LedgerPieceRow,
    LedgerRow,
    NotificationRow,
    PersonRow,
    RoleRow,
    TicketEventRow,
    TicketRow,
    TypicalCaseRow,
    WebCodeRow,
    WebVisitRow,
)


def _t(row: Any) -> Any:
    return row.__table__


def erase_person(session: Session, person_id: int, into: int, their_tickets: Sequence[int]) -> None:
    conn = connection_of(session)
    person, event, note = _t(PersonRow), _t(TicketEventRow), _t(NotificationRow)
    telegram_id = conn.execute(select(person.c.telegram_id).where(person.c.id == person_id)).scalar()
    tickets = list(their_tickets)
    # What they wrote on their own reports: the notes, and any copy of them in a message's data.
    written = set()
    if tickets:
        mine = (event.c.actor_id == person_id) & event.c.ticket_id.in_(tickets) & event.c.note.is_not(None)
        written = {r[0] for r in conn.execute(select(event.c.note).where(mine))}
        conn.execute(update(event).where(mine).values(note=None))
        comment = _t(TicketRow)
        conn.execute(update(comment).where(comment.c.id.in_(tickets)).values(rating_comment=None))
        rows = conn.execute(select(note.c.id, note.c.params).where(note.c.ticket_id.in_(tickets))).all()
        for row_id, params in rows:
            kept = {k: v for k, v in (params or {}).items() if not (isinstance(v, str) and v in written)}
            if kept != (params or {}):
                conn.execute(update(note).where(note.c.id == row_id).values(params=kept))
    conn.execute(update(event).where(event.c.actor_id == person_id).values(actor_id=into))
    conn.execute(update(note).where(note.c.person_id == person_id).values(person_id=into, params={}))
    attachment = _t(AttachmentRow)
    conn.execute(update(attachment).where(attachment.c.added_by == person_id).values(added_by=into))
    invite = _t(InviteRow)
    conn.execute(update(invite).where(invite.c.used_by == person_id).values(used_by=into))
    disclosure = _t(DisclosureRow)
    conn.execute(update(disclosure).where(disclosure.c.created_by == person_id).values(created_by=into))
    conn.execute(update(disclosure).where(disclosure.c.published_by == person_id).values(published_by=into))
    due = _t(DueReportRow)
    conn.execute(update(due).where(due.c.sent_by == person_id).values(sent_by=into))
    typical = _t(TypicalCaseRow)
    conn.execute(update(typical).where(typical.c.marked_by == person_id).values(marked_by=into))
    conn.execute(update(typical).where(typical.c.updated_by == person_id).values(updated_by=into))
    ticket = _t(TicketRow)
    conn.execute(update(ticket).where(ticket.c.assignee_id == person_id).values(assignee_id=into))
    conn.execute(
        update(ticket).where(ticket.c.reporter_id == person_id).values(reporter_id=None, reporter_unit=None)
    )
    # A ledger kept as sent that names them is sent no more: its files go, the next request builds anew.
    named, ledger = _t(LedgerNamedRow), _t(LedgerRow)
    naming = select(named.c.ledger_id).where(named.c.person_id == person_id)
    conn.execute(update(ledger).where(ledger.c.id.in_(naming)).values(erased=True))
    pieces = _t(LedgerPieceRow)
    conn.execute(delete(pieces).where(pieces.c.ledger_id.in_(naming)))
    conn.execute(delete(named).where(named.c.person_id == person_id))
    # Their ways into the web pages and when they last looked there go with them.
    for web in (_t(WebCodeRow), _t(WebVisitRow)):
        conn.execute(delete(web).where(web.c.person_id == person_id))
    conn.execute(update(ledger).where(ledger.c.built_by == person_id).values(built_by=into))
    conn.execute(delete(_t(CardMessageRow)).where(_t(CardMessageRow).c.person_id == person_id))
    conn.execute(delete(_t(GroupBindingRow)).where(_t(GroupBindingRow).c.person_id == person_id))
    conn.execute(delete(_t(RoleRow)).where(_t(RoleRow).c.person_id == person_id))
    if telegram_id is not None:
        chats = _t(ConversationRow)
        conn.execute(delete(chats).where(or_(chats.c.user_id == telegram_id, chats.c.chat_id == telegram_id)))
    conn.execute(delete(person).where(person.c.id == person_id))
    session.expire_all()
