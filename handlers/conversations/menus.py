"""The command menu each person sees in Telegram: the commands of their roles, in their language.

Telegram shows a chat's own menu (scope: that chat) before the default one (scope: default, chosen by
the client's two-letter language code). Strangers get the default menu; once the bot knows who someone
is, or they change the language, the core asks the front end to set their private chat's menu, which
also gives Traditional Chinese readers their own script (the default can only say "zh").
"""

from __future__ import annotations

from handlers.conversations.io import SetMenu
from handlers.domain import RoleKind
from handlers.ports import Translator
from handlers.services.access import Actor
from handlers.text import N_

OWNER: list[tuple[str, str]] = [("report", N_("Report a problem")), ("my", N_("My reports"))]
# The same descriptions as the menu before menus were per role (their translations exist already).
STAFF: list[tuple[str, str]] = [("tasks", N_("My open tickets (staff)"))]
MANAGER: list[tuple[str, str]] = [
    ("team", N_("Estate's open tickets (managers)")),
    ("revenue_template", N_("Public revenue: the template to publish")),
    ("ledger", N_("Monthly ledger (台账) as a spreadsheet")),
]
ESTATE: list[tuple[str, str]] = [("revenue", N_("Public revenue of my estate"))]
OFFICIAL: list[tuple[str, str]] = [
    ("area", N_("Open tickets in my area (officials)")),
    ("overdue", N_("Overdue tickets in my area (officials)")),
    ("supervision", N_("Listed for supervision in my area (officials)")),
    ("disclosure", N_("Who in my area published public revenue")),
    ("ledger", N_("Monthly ledger (台账) as a spreadsheet")),
]
STRANGER: list[tuple[str, str]] = [("join", N_("Join your estate with its code"))]
EVERYONE: list[tuple[str, str]] = [
    ("language", N_("Change the language")),
    ("privacy", N_("My data and deleting it")),
    ("cancel", N_("Leave what you are doing")),
    ("help", N_("What I can do")),
]


def menu_commands(actor: Actor | None) -> list[tuple[str, str]]:
    """(command, untranslated description) pairs for this person, their roles' commands first.
    None (or a person without roles) is a stranger."""
    roles = actor.roles if actor is not None else []
    kinds = {r.kind for r in roles}
    commands: list[tuple[str, str]] = []
    if RoleKind.OWNER in kinds:
        commands += OWNER
    if kinds & {RoleKind.STAFF, RoleKind.MANAGER}:
        commands += STAFF
    if RoleKind.MANAGER in kinds:
        commands += MANAGER
    if any(r.estate_id for r in roles if r.kind is not RoleKind.OFFICIAL):
        commands += ESTATE
    if actor is not None and actor.office_ids():
        commands += OFFICIAL
    if not roles:
        commands += STRANGER
    unique = list(dict.fromkeys(commands))  # /ledger is both a manager's and an official's
    return unique + EVERYONE


def translated(tr: Translator, commands: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(command, tr.gettext(description)) for command, description in commands]


def menu_for(actor: Actor | None, tr: Translator) -> list[tuple[str, str]]:
    """The menu this person sees, in the translator's language."""
    return translated(tr, menu_commands(actor))


def stranger_menu(tr: Translator) -> list[tuple[str, str]]:
    """The default menu, for everyone whose chat has no menu of its own yet."""
    return menu_for(None, tr)


def set_menu(chat_id: int, actor: Actor | None, tr: Translator) -> SetMenu:
    return SetMenu(chat_id, menu_for(actor, tr))
