"""Community, street and district officials: what is open in their area, send back, 吹哨报到.

/area, /overdue, /supervision ─▶ a page of the list, counted and paged by the database (◀️ ▶️ turn pages)
  └▶ card ─▶ Send back to the company (overrules a decline)
         └▶ Transfer to a department ─▶ choose ─▶ transfer:note ─▶ the department gets the card
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.conversations import cards, pressed, questions
from handlers.conversations.buttons import encode
from handlers.conversations.engine import Flow
from handlers.conversations.io import Button
from handlers.conversations.pressed import pressed_ticket
from handlers.conversations.questions import AboutTicket, Question
from handlers.conversations.turn import Turn
from handlers.domain.organisations import OfficeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import TicketList, UnitOfWork
from handlers.services import area_lists, membership, supervision, tickets
from handlers.text import N_

_TITLES = {
    TicketList.OVERDUE: N_("Overdue in your area: {n}"),
    TicketList.SUPERVISED: N_(
        "Listed for supervision by the district housing bureau (挂牌督办) in your area: {n}"
    ),
}
_EMPTY = {
    TicketList.AREA: N_("Nothing open in your area. 👍"),
    TicketList.OVERDUE: N_("Nothing overdue in your area. 👍"),
    TicketList.SUPERVISED: N_(
        "Nothing in your area is listed for supervision by the district housing bureau (挂牌督办)."
    ),
}


def _show_list(turn: Turn, which: TicketList, page: int = 1) -> None:
    """A page of the list, counted and paged by the database, with buttons to the pages beside it."""
    actor = turn.actor()
    if not actor.office_ids():
        turn.say(turn.t("Only the community, street or district office can do that."))
        return
    now = turn.ctx.clock.now()
    found = area_lists.list_page(turn.ctx, actor, which, page)
    if not found.count.total:
        if turn.press is not None:
            turn.edit_pressed(turn.t(_EMPTY[which]))
        else:
            turn.say(turn.t(_EMPTY[which]))
        return
    if which is TicketList.AREA:
        text = turn.t(
            "{n} open in your area, {overdue} of them overdue. Tap one for its card:",
            n=found.count.total,
            overdue=found.count.overdue,
        )
    else:
        text = turn.t(_TITLES[which], n=found.count.total)
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in found.tickets]
    if found.pages > 1:
        text += "\n" + turn.t("Page {page} of {pages}", page=found.page, pages=found.pages)
        nav = []
        if found.page > 1:
            nav.append(Button("◀️ " + turn.t("Previous"), encode("ol", which.value, found.page - 1)))
        if found.page < found.pages:
            nav.append(Button(turn.t("Next") + " ▶️", encode("ol", which.value, found.page + 1)))
        rows.append(nav)
    if turn.press is not None:
        turn.edit_pressed(text, rows)  # turning a page redraws the list where it stands
    else:
        turn.say(text, rows)


def area(turn: Turn) -> None:
    _show_list(turn, TicketList.AREA)


def turn_page(turn: Turn) -> None:
    """◀️ / ▶️ under a list: drawn again for the presser's own area, only in their private chat."""
    if turn.inc.chat_type != "private":
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    _show_list(turn, TicketList(turn.arg(0)), int(turn.arg(1)))


def send_back_target(uow: UnitOfWork, ticket: Ticket) -> int | None:
    """Whom a case the community sends back to the company goes to: its assignee, else a manager."""
    if ticket.assignee_id is not None:
        return ticket.assignee_id
    managers = uow.roles.at_estate(ticket.estate_id, RoleKind.MANAGER)
    return managers[0].person_id if managers else None


def send_back(turn: Turn) -> None:
    found = pressed_ticket(turn, pressed.supervisor)
    if found is None:
        return
    tid = found.id or 0
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid)
        assert ticket is not None
        target = send_back_target(uow, ticket)
    if target is None:
        turn.toast(turn.t("Nobody at the company to send it back to."), alert=True)
        return
    ticket = tickets.assign(turn.ctx, turn.person_id, tid, target)
    turn.toast()
    turn.edit_pressed(
        turn.t(
            "{number} has been sent back to the company, with a new time limit to acknowledge it.",
            number=ticket.number,
        )
    )


@dataclass
class Transferring(AboutTicket):
    office_key: str = ""  # the department chosen
    office_name: str = ""


def _transferred(turn: Turn, d: Transferring) -> str:
    ticket = tickets.transfer_department(turn.ctx, turn.person_id, d.ticket_id, d.office_key, turn.inc.text)
    return turn.t(
        "{number} has been transferred to {name}, with a deadline of its own: {due}.",
        number=ticket.number,
        name=d.office_name,
        due=cards.when(turn.tr, ticket.due_at),
    )


TRANSFER = Question(
    "transfer",
    "note",
    ask=N_("What must the department do? (the note goes with the case)"),
    in_words=N_("Please write the note in words."),
    take=_transferred,
    asked_by="📣 a department chosen (td)",
    draft=Transferring,
)


def choose_department(turn: Turn) -> None:
    found = pressed_ticket(turn, pressed.supervisor)
    if found is None:
        return
    tid = found.id or 0
    with turn.ctx.uow() as uow:
        departments = [o for o in uow.offices.all() if o.kind is OfficeKind.DEPARTMENT]
    turn.toast()
    if turn.arg(1) is None:
        rows = [[Button("📣 " + d.name, encode("td", tid, d.id))] for d in departments]
        turn.say(turn.t("Which department must report on site (吹哨报到)?"), rows)
        return
    chosen = next((d for d in departments if d.id == turn.arg(1)), None)
    if chosen is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.edit_pressed(turn.t("Department: {name}", name=chosen.name))
    questions.ask(turn, TRANSFER, Transferring(tid, found.number, chosen.key, chosen.name))


def _urged(turn: Turn, d: AboutTicket) -> str:
    supervision.urge(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("Sent to the assignee and the project manager.")


URGE = Question(
    "urge",
    "note",
    ask=N_("What do you require of the company? The assignee and the project manager get it at once."),
    in_words=N_("Please write the note in words."),
    take=_urged,
    asked_by="📢 Urge (ug)",
)


def urge_button(turn: Turn) -> None:
    found = pressed_ticket(turn, pressed.supervisor)
    if found is None:
        return
    turn.toast()
    questions.ask(turn, URGE, AboutTicket(found.id or 0, found.number))


def _commented(turn: Turn, d: AboutTicket) -> str:
    supervision.comment(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("Comment recorded.")


COMMENT = Question(
    "comment",
    "text",
    ask=N_("Write your comment; it goes on the record and to the assignee."),
    in_words=N_("Please write the comment in words."),
    take=_commented,
    asked_by="💬 Comment (cm)",
)


def comment_button(turn: Turn) -> None:
    found = pressed_ticket(turn, pressed.viewer)
    if found is None:
        return
    turn.toast()
    questions.ask(turn, COMMENT, AboutTicket(found.id or 0, found.number))


def decide_extension(turn: Turn) -> None:
    found = pressed_ticket(turn, pressed.supervisor)
    if found is None:
        return
    grant = turn.press is not None and turn.press.action == "xg"
    supervision.decide_extension(turn.ctx, turn.person_id, found.id or 0, grant)
    turn.toast(turn.t("More time granted.") if grant else turn.t("More time refused."))
    turn.edit_pressed(turn.t("More time granted.") if grant else turn.t("More time refused."))


def _returned(turn: Turn, d: AboutTicket) -> str:
    ticket = membership.return_to_company(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("{number} is back with the property company.", number=ticket.number)


RETURN = Question(
    "return",
    "reason",
    ask=N_("Why is {number} not your department's? The property company gets it back with your reason."),
    in_words=N_("Please write the reason in words."),
    take=_returned,
    asked_by="↩️ Not ours either (rb)",
)


def return_button(turn: Turn) -> None:
    """The department finds the case is not theirs either: ask why, then send it back."""
    found = pressed_ticket(turn, pressed.department)
    if found is None:
        return
    turn.toast()
    questions.ask(turn, RETURN, AboutTicket(found.id or 0, found.number))


def supervision_list(turn: Turn) -> None:
    _show_list(turn, TicketList.SUPERVISED)


def overdue_list(turn: Turn) -> None:
    _show_list(turn, TicketList.OVERDUE)


BUTTONS = {
    "ob": send_back,
    "td": choose_department,
    "ug": urge_button,
    "cm": comment_button,
    "xg": decide_extension,
    "xr": decide_extension,
    "rb": return_button,
    "ol": turn_page,
}
CONVERSATIONS: tuple[Flow[Any], ...] = tuple(q.conversation for q in (TRANSFER, URGE, COMMENT, RETURN))
