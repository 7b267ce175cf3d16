"""The command menu each person sees in Telegram: the commands of their roles, in their language.

Telegram shows a chat's own menu (scope: that chat) before the default one (scope: default, chosen by
the client's two-letter language code). Strangers get the default menu; once the bot knows who someone
is, or they change the language, the core asks the front end to set their private chat's menu, which
also gives Traditional Chinese readers their own script (the default can only say "zh").
"""

from __future__ import annotations

from handlers.conversations.io import SetMenu
from handlers.conversations.registry import for_actor
from handlers.ports import Translator
from handlers.services.access import Actor


def menu_commands(actor: Actor | None) -> list[tuple[str, str]]:
    """(command, untranslated description) pairs for this person, their roles' commands first (the
    registry's order). None (or a person without roles) is a stranger."""
    return [(c.name, c.menu) for c in for_actor(actor) if c.menu]


def translated(tr: Translator, commands: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(command, tr.gettext(description)) for command, description in commands]


def menu_for(actor: Actor | None, tr: Translator) -> list[tuple[str, str]]:
    """The menu this person sees, in the translator's language."""
    return translated(tr, menu_commands(actor))


def stranger_menu(tr: Translator) -> list[tuple[str, str]]:
    """The default menu, for everyone whose chat has no menu of its own yet."""
    return menu_for(None, tr)


def set_menu(chat_id: int, actor: Actor | None, tr: Translator) -> SetMenu:
    # TRANSLATORS: the label of the chat's menu button that opens the web pages inside Telegram (short).
    return SetMenu(chat_id, menu_for(actor, tr), web_label=tr.gettext("Web pages"))
