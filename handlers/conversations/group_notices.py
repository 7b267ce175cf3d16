"""The notice to the members of an estate or an office that a colleague bound a group to it, or unbound
one."""

from __future__ import annotations

from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Send
from handlers.conversations.notice_rendering import say
from handlers.domain.notifications import NoticeKind, Notification
from handlers.domain.people import Person
from handlers.ports import Translator, UnitOfWork

KINDS = frozenset({NoticeKind.GROUP_BOUND, NoticeKind.GROUP_UNBOUND})


def _unit_name(uow: UnitOfWork, code: str) -> str:
    kind, number = code[:1], code[1:]
    found = (uow.offices if kind == "o" else uow.estates).get(int(number)) if number.isdigit() else None
    return found.name if found else "?"


def render(uow: UnitOfWork, tr: Translator, n: Notification, person: Person) -> list[Send]:
    """A group was bound to (or unbound from) the recipient's estate or office, by a colleague."""
    by = uow.people.get(int(n.params.get("by") or 0))
    params = {
        "by": by.display_name if by else "?",
        "title": str(n.params.get("title") or n.params.get("chat_id")),
        "unit": _unit_name(uow, str(n.params.get("unit", ""))),
    }
    if n.kind == NoticeKind.GROUP_UNBOUND:
        text = tr.gettext("👥 {by} unbound the group “{title}” from {unit}.").format(**params)
        return say(n, person, text)
    text = tr.gettext(
        "👥 {by} bound the group “{title}” to {unit}: ticket cards are now also posted there, without "
        "reporters' names. If that group should not get them, unbind it."
    ).format(**params)
    chat_id = int(n.params.get("chat_id") or 0)
    buttons = (
        [[Button("✖️ " + tr.gettext("Unbind that group"), encode("ub", chat_id))]]
        if uow.groups.get(chat_id)
        else []
    )
    return say(n, person, text, buttons)
