"""The web pages as a Telegram Mini App, through the real python-telegram-bot and aiogram stacks against the
stand-in Bot API (which refuses a Mini App button in a group and an address that is not https, as
Telegram does): the bot's menu button opens the pages when WUYE_WEB_URL is https, a ticket card in a
private chat has a button opening the ticket's page, and the same card in a bound group has none."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.documents.setup_file import read_setup
from bot.serve import run_polling
from bot.wiring import build_app
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.services import groups
from handlers.services.setup import apply_setup
from handlers.services.tickets import TicketDraft, open_ticket
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
MANAGER, OWNER = 100001, 200001  # people in examples/setup.yaml
GROUP = -1001234567
WEB = "https://wuye.example.org"


def web_apps(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]


@pytest.fixture(params=["ptb", "aiogram"])
async def running(
    request: pytest.FixtureRequest, botapi: StandInBotAPI, tmp_path: Path
) -> AsyncIterator[str]:
    """`wuye run` on the example world with an https web address, a group bound to 海滨花园 and an
    emergency reported there (it pings at any hour); yields the ticket's number."""
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'wuye.db'}",
        data_dir=tmp_path,
        bot_token=botapi.token,
        api_url=botapi.url,
        framework=request.param,
        core_processes=0,  # the core on a thread: what is tested is the buttons, not the process
        web_url=WEB,
        **P.FAST_PACE,
    )
    app = build_app(settings)
    apply_setup(app.ctx, read_setup(EXAMPLE))
    with app.ctx.uow() as uow:
        manager, owner = uow.people.by_telegram_id(MANAGER), uow.people.by_telegram_id(OWNER)
        assert manager is not None and owner is not None
    groups.bind(app.ctx, manager.id or 0, GROUP, "海滨花园物业群", public=False)
    ticket = open_ticket(
        app.ctx,
        owner.id or 0,
        TicketDraft(Category.LIFT, Urgency.EMERGENCY, "3栋电梯困人，已打96333", privacy=Privacy.GOVERNMENT),
    )
    app.engine.dispose()
    for user in (100001, 100002, 100003, 100004, 100005, OWNER):
        botapi.add_user(user, f"u{user}", language_code="zh-hans")
    botapi.add_chat(GROUP, "海滨花园物业群", type="supergroup")
    stop = asyncio.Event()
    with contextlib.redirect_stdout(io.StringIO()):
        task = asyncio.create_task(run_polling(settings, stop))
        await botapi.wait_for_call("getUpdates", timeout=15)
    try:
        yield ticket.number
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def test_the_menu_button_opens_the_pages_and_only_private_cards_open_the_tickets_page(
    running: str, botapi: StandInBotAPI
) -> None:
    number = running
    assert botapi.world.bot(botapi.token).menu_buttons[0] == {
        "type": "web_app",
        "text": "wuye 物业",
        "web_app": {"url": f"{WEB}/app"},
    }
    [in_group] = await botapi.messages_since(0, GROUP, count=1, timeout=10)
    assert number in in_group["text"] and web_apps(in_group) == []  # a group: no Mini App button
    cards = await botapi.wait_until(
        lambda: [m for m in botapi.sent() if m["chat"]["id"] > 0 and web_apps(m)],
        timeout=10,
        what="a card with the ticket's page in a private chat",
    )
    assert web_apps(cards[0]) == [f"{WEB}/app?t={number}"]
    assert not [c for c in botapi.calls if '"BUTTON_TYPE_INVALID"' in str(c)]
