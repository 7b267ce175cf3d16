"""The default command menu, per client language; each known person's chat gets its own (see
handlers/conversations/menus.py: the core decides, the front ends apply its SetMenu)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.conversations.menus import stranger_menu
from handlers.ports import Translator
from handlers.text import Lang

# Telegram chooses a default menu by the client's two-letter language code only, so Traditional Chinese
# readers see the Simplified one until the bot knows them; then their chat gets a menu of its own, in
# the language they chose.
MENU_LANGUAGES: dict[str | None, Lang] = {None: "zh_Hans", "zh": "zh_Hans", "en": "en"}


def menu(tr: Translator) -> list[tuple[str, str]]:
    """The default menu (for strangers) in the translator's language."""
    return stranger_menu(tr)


def menu_button(web_url: str | None, translators: Callable[[Lang], Translator]) -> tuple[str, str] | None:
    """The bot's default menu button as a Mini App opening the web pages: (label, address) when
    WUYE_WEB_URL is https (Telegram opens Mini Apps over https only); None leaves Telegram's own command
    menu. The default is everyone's until the bot knows them, so its label is the bot's bilingual name;
    a known person's chat gets a button of its own in their language (`chat_menu_button`)."""
    address = app_address(web_url)
    if address is None:
        return None
    return translators(MENU_LANGUAGES[None]).gettext("wuye 物业"), address


def chat_menu_button(web_url: str | None, label: str) -> tuple[str, str] | None:
    """One private chat's menu button: (label, address) in the person's language, as the core drew it
    with their menu; None when the pages do not open as a Mini App (no https address) or no label."""
    address = app_address(web_url)
    if address is None or not label:
        return None
    return label[:64], address


def app_address(web_url: str | None) -> str | None:
    """Where the Mini App opens: the web pages' /app, over https only."""
    if not web_url or not web_url.startswith("https://"):
        return None
    return web_url.rstrip("/") + "/app"
