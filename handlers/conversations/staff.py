"""Property staff and managers: the ticket card's buttons, /tasks, /team.

card ─▶ Acknowledge ─▶ Start ─▶ Ask the owner ─▶ ask:text ─▶ (owner answers)
                             └▶ Resolve ─▶ resolve:note ─▶ resolve:photo ─▶ owner asked "Fixed?"
     └▶ Reassign ─▶ colleague (assign)  |  "not ours" ─▶ reject:reason ─▶ community decides
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.conversations import cards, files, pressed, questions
from handlers.conversations.buttons import encode
from handlers.conversations.engine import END, MESSAGE, NO_LONGER_VALID, PHOTO, TEXT, Flow, Move, start
from handlers.conversations.engine import pressed as press
from handlers.conversations.errors import explain
from handlers.conversations.io import Button
from handlers.conversations.pressed import pressed_ticket
from handlers.conversations.questions import AboutTicket, Question
from handlers.conversations.turn import Turn
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.services import supervision, tickets
from handlers.services.context import Context
from handlers.services.errors import Conflict, NotFound, UserError
from handlers.text import N_


def _refresh_card(turn: Turn, ticket_id: int, ticket: Ticket | None = None) -> None:
    """Show the pressed card as the ticket is now, with the buttons that fit now: as `ticket` when the
    use case that just changed it gives it back, else as read again."""
    with turn.ctx.uow() as uow:
        ticket = ticket or uow.tickets.get(ticket_id)
        audience = turn.audience(uow)
        if ticket is None or not audience.sees_ticket(uow, ticket):
            return
        turn.edit_pressed(
            cards.card_text(uow, turn.tr, ticket, audience),
            cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now(), turn.ctx.web_url),
        )
        if turn.inc.message_id is not None:
            # this card now shows the ticket as it is: the refresh the change queued skips it
            turn.card_shown = (turn.inc.chat_id, turn.inc.message_id, ticket.version)


CardAct = Callable[[Context, int, int], Ticket]


def _act_on_card(turn: Turn, act: CardAct) -> Ticket | None:
    """A card's button that acts at once (签收, start): the use case reads the ticket, checks that the
    presser may, changes it and saves, in one unit of work; the card is drawn from the ticket it gives
    back. So a press reads the ticket once and checks the presser once. A press that may not (a forged
    or stale button, someone else's ticket, a status that moved on) is told why and changes nothing."""
    ticket_id = turn.arg(0)
    if not isinstance(ticket_id, int):
        turn.toast(turn.t(NO_LONGER_VALID), alert=True)
        return None
    try:
        ticket = act(turn.ctx, turn.person_id, ticket_id)
    except Conflict:
        raise
    except NotFound:
        turn.toast(turn.t(NO_LONGER_VALID), alert=True)
        return None
    except UserError as exc:
        turn.toast(explain(turn.tr, exc), alert=True)
        return None
    return ticket


def acknowledge(turn: Turn) -> None:
    try:
        ticket = _act_on_card(turn, tickets.acknowledge)
    except Conflict as exc:
        # Someone else won the race: say who, and show the card as it is now.
        turn.toast(explain(turn.tr, exc), alert=True)
        _refresh_card(turn, turn.arg(0))
        return
    if ticket is None:
        return
    turn.toast(turn.t("Acknowledged {number}. The owner has been told.", number=ticket.number))
    _refresh_card(turn, ticket.id or 0, ticket)


def start_work(turn: Turn) -> None:
    ticket = _act_on_card(turn, tickets.start_work)
    if ticket is None:
        return
    turn.toast()
    _refresh_card(turn, ticket.id or 0, ticket)


def _asked_owner(turn: Turn, d: AboutTicket) -> str:
    ticket = tickets.ask_owner(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("Sent to the owner of {number}. I will pass on the answer.", number=ticket.number)


ASK_OWNER = Question(
    "ask",
    "text",
    ask=N_("What do you want to ask the owner about {number}? The clock pauses until they answer."),
    in_words=N_("Please write the question in words."),
    take=_asked_owner,
    asked_by="❓ Ask the owner (as)",
)


def ask(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.handler)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, ASK_OWNER, AboutTicket(ticket.id or 0, ticket.number))


@dataclass
class Resolving(AboutTicket):
    note: str | None = None  # what was done, once written


def resolve(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.handler_or_department)
    if ticket is None:
        return
    turn.toast()
    start(turn, RESOLVE, "note", Resolving(ticket.id or 0, ticket.number))
    turn.say(
        turn.t("What was done to fix {number}? (required; the owner will read it)", number=ticket.number)
    )


def _skip_row(turn: Turn) -> list[list[Button]]:
    return [[Button(turn.t("Skip"), encode("rz", "skip"))]]


def note_written(turn: Turn, d: Resolving) -> str:
    try:
        d.note = tickets.check_text(turn.inc.text, field_name="note", minimum=2)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return "note"
    turn.say(turn.t("Add a photo of the result, or press “Skip”."), _skip_row(turn))
    return "photo"


def note_in_words(turn: Turn, d: Resolving) -> str:
    turn.say(turn.t("Please write what was done first; a photo comes next."))
    return "note"


def photo_added(turn: Turn, d: Resolving) -> str:
    problem = files.photo_problem(turn)
    if problem is not None or not turn.inc.file_id:
        return photo_or_skip(turn, d)
    return _resolved(turn, d, (turn.inc.file_id, turn.inc.file_unique_id))


def photo_or_skip(turn: Turn, d: Resolving) -> str:
    turn.say(files.photo_problem(turn) or turn.t("Send a photo, or press “Skip”."), _skip_row(turn))
    return "photo"


def skip_photo(turn: Turn, d: Resolving) -> str:
    return _resolved(turn, d, None)


def _resolved(turn: Turn, d: Resolving, photo: tuple[str, str | None] | None) -> str:
    ticket = tickets.resolve(turn.ctx, turn.person_id, d.ticket_id, d.note or "", photo)
    turn.say(
        turn.t(
            "{number} has been marked resolved. The owner has been asked to confirm.", number=ticket.number
        )
    )
    return END


RESOLVE = Flow(
    "resolve",
    Resolving,
    {
        ("note", TEXT): Move(note_written, to=("photo",)),
        ("note", MESSAGE): Move(note_in_words),
        ("photo", PHOTO): Move(photo_added, to=(END,)),
        ("photo", MESSAGE): Move(photo_or_skip),
        ("photo", press("rz")): Move(skip_photo, to=(END,)),
    },
    starts=(("✅ Resolve (rs)", "note"),),
    doc="Staff resolve a ticket: what was done, then a photo of the result or Skip.",
)


def transfer(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.handler)
    if ticket is None:
        return
    turn.toast()
    rows = _colleague_buttons(turn, ticket)
    rows.append([Button("🚫 " + turn.t("Not ours: decline with a reason"), encode("nj", ticket.id))])
    turn.say(
        turn.t(
            "Reassign {number} to a colleague, or decline it as not the company's responsibility:",
            number=ticket.number,
        ),
        rows,
    )


def colleagues(uow: UnitOfWork, ticket: Ticket) -> list[tuple[int, str]]:
    """(person id, name) of the staff and managers of the estate's company there, except whoever has
    the ticket now: whom it can be reassigned to (the chat's buttons, the web page's choice)."""
    estate = uow.estates.get(ticket.estate_id)
    company = estate.company_id if estate else None
    staff = uow.roles.at_estate(ticket.estate_id, RoleKind.STAFF) + uow.roles.at_estate(
        ticket.estate_id, RoleKind.MANAGER
    )
    found, seen = [], set()
    for role in staff:
        if role.person_id in seen or role.person_id == ticket.assignee_id:
            continue
        if role.company_id not in (None, company):
            continue
        seen.add(role.person_id)
        person = uow.people.get(role.person_id)
        if person is not None and person.deleted_at is None:
            found.append((role.person_id, person.display_name))
    return found


def _colleague_buttons(turn: Turn, ticket: Ticket) -> list[list[Button]]:
    with turn.ctx.uow() as uow:
        return [[Button("👤 " + name, encode("ag", ticket.id, pid))] for pid, name in colleagues(uow, ticket)]


def assign_to(turn: Turn) -> None:
    tid, colleague = turn.arg(0), turn.arg(1)
    ticket = tickets.assign(turn.ctx, turn.person_id, tid, colleague)
    with turn.ctx.uow() as uow:
        person = uow.people.get(colleague)
    turn.toast()
    turn.edit_pressed(
        turn.t(
            "{number} is now handled by {name}.",
            number=ticket.number,
            name=person.display_name if person else "?",
        )
    )


def _declined(turn: Turn, d: AboutTicket) -> str:
    ticket = tickets.reject(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("{number} has been sent to the community with your reason.", number=ticket.number)


DECLINE = Question(
    "reject",
    "reason",
    ask=N_(
        "Why is {number} not the company's responsibility? The owner and the community will "
        "read your reason, and the community decides."
    ),
    in_words=N_("Please write the reason in words."),
    take=_declined,
    asked_by="🚫 Not ours (nj)",
)


def decline(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.handler)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, DECLINE, AboutTicket(ticket.id or 0, ticket.number))


def tasks(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    if not any(r.kind in (RoleKind.STAFF, RoleKind.MANAGER) for r in actor.roles):
        turn.say(turn.t("Only property staff have tasks."))
        return
    with turn.ctx.uow() as uow:
        mine = uow.tickets.of_assignee(turn.person_id, OPEN_STATUSES)
    if not mine:
        turn.say(turn.t("No open tickets. 👍"))
        return
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in mine[:30]]
    turn.say(turn.t("Your open tickets, soonest deadline first:"), rows)


def team(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    estates = sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.MANAGER and r.estate_id})
    if not estates:
        turn.say(turn.t("Only the project manager can do that."))
        return
    with turn.ctx.uow() as uow:
        open_tickets = uow.tickets.of_estates(estates, OPEN_STATUSES)
        rows = []
        for t in open_tickets[:40]:
            who = uow.people.get(t.assignee_id) if t.assignee_id else None
            name = who.display_name if who else turn.t("unassigned")
            rows.append([Button(f"{cards.ticket_line(turn.tr, t, now)} · {name}", encode("cd", t.id))])
    if not rows:
        turn.say(turn.t("No open tickets at your estate. 👍"))
        return
    turn.say(turn.t("Open tickets at your estate ({n}). Tap one to act on it:", n=len(open_tickets)), rows)


def show_card(turn: Turn) -> None:
    with turn.ctx.uow() as uow:
        audience = turn.audience(uow)
        # The presser must be allowed to open it, and the chat it is drawn into to read it.
        ticket = pressed_ticket(turn, audience.may_open, uow)
        if ticket is None:
            return
        rows = cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now(), turn.ctx.web_url)
        if audience.manages(ticket) and ticket.status in OPEN_STATUSES:
            rows.insert(0, [Button("👥 " + turn.t("Assign"), encode("tr", ticket.id))])
        text = cards.card_text(uow, turn.tr, ticket, audience)
        photos = [a.file_id for a in audience.photos(uow, ticket)]
    turn.toast()
    turn.say(text, rows)
    for file_id in photos:
        turn.say(ticket.number, photo=file_id)


def extension(turn: Turn) -> None:
    """Ask the community for more time: choose how many working days."""
    ticket = pressed_ticket(turn, pressed.handler)
    if ticket is None:
        return
    days = turn.arg(1)
    turn.toast()
    if days is None:
        rows = [
            [
                Button(
                    turn.tr.ngettext("{n} working day", "{n} working days", d).format(n=d),
                    encode("xq", ticket.id, d),
                )
                for d in (1, 3, 5)
            ]
        ]
        turn.say(
            turn.t("How much more time does {number} need? The community decides.", number=ticket.number),
            rows,
        )
        return
    supervision.request_extension(turn.ctx, turn.person_id, ticket.id or 0, days)
    turn.edit_pressed(turn.t("Asked the community for more time on {number}.", number=ticket.number))


BUTTONS = {
    "xq": extension,
    "ak": acknowledge,
    "st": start_work,
    "as": ask,
    "rs": resolve,
    "tr": transfer,
    "ag": assign_to,
    "nj": decline,
    "cd": show_card,
}
CONVERSATIONS: tuple[Flow[Any], ...] = (ASK_OWNER.conversation, RESOLVE, DECLINE.conversation)
