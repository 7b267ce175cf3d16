"""Command menus by role, set through the real python-telegram-bot and aiogram stacks against the
stand-in Bot API: the default menus at start-up, and each person's own chat menu once the bot knows
who they are (staff after /start, a new owner after joining and choosing Traditional Chinese), with the
chat's menu button opening the web pages labelled in the same language."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.documents.setup_file import read_setup
from bot.serve import run_polling
from bot.wiring import build_app
from handlers.conversations.menus import menu_commands
from handlers.domain.people import Person, Role, RoleKind
from handlers.rules.categories import Duty
from handlers.services.access import Actor
from handlers.services.people import create_invite
from handlers.services.setup import apply_setup
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
MANAGER, REPAIR_LI, OWNER_HANS = 100001, 100002, 200001  # people in examples/setup.yaml
NEWCOMER = 299101  # not in the setup file; a Hong Kong client
NEW_STAFF = 299102  # not in the setup file; joins with a staff invite, English client
TRANSLATIONS = shared_translations()
WEB = "https://wuye.example.org"


def expected(lang: str, *kinds: RoleKind) -> list[dict[str, str]]:
    """The menu a person with these roles should see, straight from the catalogs."""
    who = Actor(Person("x", id=1), [Role(1, k, estate_id=1, office_id=1) for k in kinds])
    tr = TRANSLATIONS.for_lang(lang)  # type: ignore[arg-type]
    return [{"command": c, "description": tr.gettext(d)} for c, d in menu_commands(who)]


def chat(chat_id: int) -> dict[str, Any]:
    return {"type": "chat", "chat_id": chat_id}


@dataclass
class Running:
    """`wuye run` by long polling on the example world, against the stand-in server."""

    botapi: StandInBotAPI
    staff_code: str  # a one-time invite for repair staff at 海滨花园

    async def send(self, user: int, text: str) -> list[dict[str, Any]]:
        """Send a message; return the bot's first answer in that chat."""
        mark = self.botapi.mark()
        self.botapi.push_raw(self.botapi.make_message(user, text))
        return await self.botapi.messages_since(mark, user, count=1, timeout=8)

    async def press(self, user: int, message: dict[str, Any], data: str) -> None:
        update = self.botapi.make_callback(user, message, data)
        self.botapi.push_raw(update)
        query = update["callback_query"]["id"]
        await self.botapi.wait_until(
            lambda: self.botapi.callback_answer(query) is not None, timeout=8, what="the press to be answered"
        )


@pytest.fixture(params=["ptb", "aiogram"])
async def wuye(
    request: pytest.FixtureRequest, botapi: StandInBotAPI, tmp_path: Path
) -> AsyncIterator[Running]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'wuye.db'}",
        data_dir=tmp_path,
        bot_token=botapi.token,
        api_url=botapi.url,
        framework=request.param,
        web_url=WEB,
        core_processes=0,  # the core on a thread: what is tested is the menus, not the process
        **P.FAST_PACE,
    )
    app = build_app(settings)
    apply_setup(app.ctx, read_setup(EXAMPLE))
    invite = create_invite(app.ctx, RoleKind.STAFF, estate_key="haibin", duty=Duty.REPAIR)
    app.engine.dispose()
    for user, name, code in (
        (MANAGER, "王建国", "zh-hans"),
        (REPAIR_LI, "李师傅", "zh-hans"),
        (OWNER_HANS, "张女士", "zh-cn"),
        (NEWCOMER, "陳先生", "zh-hk"),
        (NEW_STAFF, "Kelly", "en"),
    ):
        botapi.add_user(user, name, language_code=code)
    stop = asyncio.Event()
    with contextlib.redirect_stdout(io.StringIO()):  # the one "running as @..." line
        task = asyncio.create_task(run_polling(settings, stop))
        await botapi.wait_for_call("getUpdates", timeout=15)
    try:
        yield Running(botapi, invite.code)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def wait_menu(botapi: StandInBotAPI, scope: dict[str, Any], menu: list[dict[str, str]]) -> None:
    await botapi.wait_until(
        lambda: botapi.commands(scope) == menu,
        timeout=8,
        what=f"the menu of {scope} to be {[m['command'] for m in menu]}; it is {botapi.commands(scope)}",
    )


def web_button(botapi: StandInBotAPI, chat_id: int) -> dict[str, Any] | None:
    """The menu button set for one private chat (None: the chat shows the bot's default)."""
    return botapi.world.bot(botapi.token).menu_buttons.get(chat_id)


def opens_pages(label: str) -> dict[str, Any]:
    return {"type": "web_app", "text": label, "web_app": {"url": f"{WEB}/app"}}


async def wait_button(botapi: StandInBotAPI, chat_id: int, label: str) -> None:
    await botapi.wait_until(
        lambda: web_button(botapi, chat_id) == opens_pages(label),
        timeout=8,
        what=f"the menu button of {chat_id} to say {label!r}; it is {web_button(botapi, chat_id)}",
    )


async def test_strangers_get_the_default_menu_in_their_clients_language(
    wuye: Running, botapi: StandInBotAPI
) -> None:
    assert botapi.commands(language_code="zh") == expected("zh_Hans")
    assert botapi.commands(language_code="en") == expected("en")
    assert botapi.commands() == expected("zh_Hans")
    assert [c["command"] for c in botapi.commands(language_code="en")][0] == "join"


async def test_staff_get_the_staff_menu_in_their_chat_after_start(
    wuye: Running, botapi: StandInBotAPI
) -> None:
    await wuye.send(REPAIR_LI, "/start")
    await wait_menu(botapi, chat(REPAIR_LI), expected("zh_Hans", RoleKind.STAFF))
    await wuye.send(MANAGER, "/start")
    await wait_menu(botapi, chat(MANAGER), expected("zh_Hans", RoleKind.MANAGER))
    await wait_button(botapi, MANAGER, "网页版")
    assert "team" in [c["command"] for c in botapi.commands(chat(MANAGER))]
    assert "team" not in [c["command"] for c in botapi.commands(chat(REPAIR_LI))]
    assert botapi.commands(chat(OWNER_HANS)) == []  # nobody set a menu for a chat that said nothing
    assert web_button(botapi, OWNER_HANS) is None  # nor a button: it shows the bot's default
    assert web_button(botapi, 0) == opens_pages("wuye 物业")


async def test_a_new_owner_gets_the_owner_menu_in_traditional_chinese(
    wuye: Running, botapi: StandInBotAPI
) -> None:
    await wuye.send(NEWCOMER, "/start EHB7QK4M9W")
    # not an owner yet, but the bot knows the client reads Traditional Chinese: the stranger's menu in it
    await wait_menu(botapi, chat(NEWCOMER), expected("zh_Hant"))
    [language] = await wuye.send(NEWCOMER, "5棟1單元1203")
    await wait_menu(botapi, chat(NEWCOMER), expected("zh_Hant", RoleKind.OWNER))
    await wait_button(botapi, NEWCOMER, "網頁版")
    await wuye.press(NEWCOMER, language, "lg:en")
    await wait_menu(botapi, chat(NEWCOMER), expected("en", RoleKind.OWNER))
    await wait_button(botapi, NEWCOMER, "Web pages")
    await wuye.press(NEWCOMER, language, "lg:zh_Hant")
    await wait_menu(botapi, chat(NEWCOMER), expected("zh_Hant", RoleKind.OWNER))
    await wait_button(botapi, NEWCOMER, "網頁版")
    menu = botapi.commands(chat(NEWCOMER))
    assert [c["command"] for c in menu][:2] == ["report", "my"]
    assert menu[0]["description"] == "反映問題"


async def test_accepting_a_staff_invite_gives_the_staff_menu(wuye: Running, botapi: StandInBotAPI) -> None:
    await wuye.send(NEW_STAFF, f"/start {wuye.staff_code}")
    await wait_menu(botapi, chat(NEW_STAFF), expected("en", RoleKind.STAFF))
    assert [c["command"] for c in botapi.commands(chat(NEW_STAFF))][0] == "tasks"
