"""The card's actions on the web ticket page, for staff, managers, departments and officials: the buttons
the chat's card offers this reader now (handlers/conversations/cards.py, drawn for their private chat),
each as a form, and each carried out by the use case the chat's button calls.

A form is taken only while the card offers its button to this reader (as the chat takes a press only on
a card that shows it), and the use case then checks the reader's rights again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from handlers.conversations import cards
from handlers.conversations.audience import Audience, audience_for
from handlers.conversations.buttons import decode
from handlers.conversations.official import send_back_target
from handlers.conversations.staff import colleagues
from handlers.domain.organisations import OfficeKind
from handlers.domain.ticket import Ticket
from handlers.ports import Translator, UnitOfWork
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.services import membership, supervision, tickets, typical_cases
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.typical_cases import PARTS, Texts
from handlers.text import NullTranslator


class FormKind(StrEnum):
    """What a card's button becomes on the page (ticket.html draws each kind)."""

    PLAIN = "plain"  # a press
    TEXT = "text"  # the chat asks for words, the page has a text box
    REASSIGN = "reassign"  # a colleague to choose
    EXTENSION = "extension"  # more working days to choose
    DEPARTMENT = "department"  # a department to choose, and why
    TYPICAL = "typical"  # a typical case's parts


# What each of the card's buttons becomes on the page; a code not named here is a plain press.
TEXT_ACTIONS = {"as", "rs", "ug", "cm", "rb"}  # FormKind.TEXT
CHOICES = {
    "tr": FormKind.REASSIGN,
    "xq": FormKind.EXTENSION,
    "td": FormKind.DEPARTMENT,
    "ty": FormKind.TYPICAL,
}
EXTENSION_DAYS = (1, 3, 5)  # the chat's choice of more working days
# Forms that follow from a button, and the button that must be on the card for them to be taken.
FOLLOW_UPS = {"ag": "tr", "nj": "tr", "tu": "ty"}


@dataclass
class Action:
    code: str
    label: str
    kind: FormKind
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) to choose from
    texts: dict[str, str] = field(default_factory=dict)  # a typical case's parts as marked now
    marked: bool = False


def card_actions(
    uow: UnitOfWork, words: Translator, ticket: Ticket, audience: Audience, now: datetime
) -> list[Action]:
    """The card's actions for this reader now, in the card's order (the timeline is on the page)."""
    found: list[Action] = []
    for row in cards.card_buttons(uow, words, ticket, audience, now):
        for button in row:
            press = decode(button.data)
            if press is None or press.action == "tl" or any(a.code == press.action for a in found):
                continue
            found.append(_action(uow, words, ticket, press.action, button.text))
    if audience.manages(ticket) and ticket.status in OPEN_STATUSES and not any(a.code == "tr" for a in found):
        found.insert(0, _action(uow, words, ticket, "tr", "👥 " + words.gettext("Assign")))
    return found


def _action(uow: UnitOfWork, words: Translator, ticket: Ticket, code: str, label: str) -> Action:
    kind = FormKind.TEXT if code in TEXT_ACTIONS else CHOICES.get(code, FormKind.PLAIN)
    action = Action(code, label, kind)
    if kind is FormKind.REASSIGN:
        action.options = [(str(pid), name) for pid, name in colleagues(uow, ticket)]
    elif kind is FormKind.EXTENSION:
        action.options = [
            (str(d), words.ngettext("{n} working day", "{n} working days", d).format(n=d))
            for d in EXTENSION_DAYS
        ]
    elif kind is FormKind.DEPARTMENT:
        action.options = [(o.key, o.name) for o in uow.offices.all() if o.kind is OfficeKind.DEPARTMENT]
    elif kind is FormKind.TYPICAL:
        case = uow.typical_cases.get(ticket.id or 0)
        action.marked = case is not None
        action.texts = {p: str(getattr(case, p)) if case else "" for p in PARTS}
    return action


def offered(ctx: Context, pid: int, ticket: Ticket) -> set[str]:
    """The codes of the card's buttons this reader has now, with the forms that follow from them."""
    with ctx.uow() as uow:
        audience = audience_for(uow, pid, pid)
        codes = {a.code for a in card_actions(uow, NullTranslator(), ticket, audience, ctx.clock.now())}
    return codes | {follow for follow, button in FOLLOW_UPS.items() if button in codes}


STAFF_ACTIONS = {*TEXT_ACTIONS, *CHOICES, *FOLLOW_UPS, "ak", "st", "xg", "xr", "ob"}


def act(ctx: Context, pid: int, ticket: Ticket, action: str, form: dict[str, str]) -> None:
    """One of the card's actions, by the chat's use case; refused unless the card offers it now."""
    if action not in offered(ctx, pid, ticket):
        raise NotAllowed("illegal_action")
    tid = ticket.id or 0
    text = form.get("text", "")
    match action:
        case "ak":
            tickets.acknowledge(ctx, pid, tid)
        case "st":
            tickets.start_work(ctx, pid, tid)
        case "as":
            tickets.ask_owner(ctx, pid, tid, text)
        case "rs":
            tickets.resolve(ctx, pid, tid, text)
        case "ug":
            supervision.urge(ctx, pid, tid, text)
        case "cm":
            supervision.comment(ctx, pid, tid, text)
        case "xg" | "xr":
            supervision.decide_extension(ctx, pid, tid, action == "xg")
        case "rb":
            membership.return_to_company(ctx, pid, tid, text)
        case "ag" | "tr":
            to = form.get("to", "")
            with ctx.uow() as uow:
                allowed = {str(p) for p, _ in colleagues(uow, ticket)}
            if to not in allowed:
                raise UserError("illegal_action")
            tickets.assign(ctx, pid, tid, int(to))
        case "nj":
            tickets.reject(ctx, pid, tid, text)
        case "xq":
            days = form.get("days", "")
            supervision.request_extension(ctx, pid, tid, int(days) if days.isdigit() else 0)
        case "ob":
            with ctx.uow() as uow:
                target = send_back_target(uow, ticket)
            if target is None:
                raise UserError("send_back_nobody")
            tickets.assign(ctx, pid, tid, target)
        case "td":
            tickets.transfer_department(ctx, pid, tid, form.get("office", ""), text)
        case "ty":
            texts = Texts(*(form.get(p, "") for p in PARTS))
            typical_cases.mark(ctx, pid, tid, texts)
        case "tu":
            typical_cases.unmark(ctx, pid, tid)
        case _:
            raise UserError("illegal_action")
