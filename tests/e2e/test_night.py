"""Night and holidays end to end, on python-telegram-bot and on aiogram against the stand-in Bot API:
an owner reports an ordinary problem at 23:00 through the real front end, and nobody on the staff is
pinged until the office opens at 09:00, when the card reaches the technician.

`wuye run` reads the real clock, so this drives the same parts with the use-case clock fixed (as
tests/e2e/test_outbox_faults.py does): the front end's webhook entry (`feed_raw`) takes the owner's
updates, the outbox sends through the front end's `deliver`, the sweep runs at the clock's moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.telegram.front_aiogram import AiogramFrontEnd
from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.runtime import Runtime
from bot.wiring import App
from handlers.clock import FixedClock
from handlers.conversations.core import Core
from handlers.services.ladder import sweep
from tests.e2e.harness import button, text_of, with_button
from tests.service.world import sh
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

FRONTS = pytest.mark.parametrize("front", ["ptb", "aiogram"])
OWNER = P.OWNER  # 张女士 at 海滨花园
NIGHT = sh(2026, 11, 24, 23)  # Tuesday 23:00
MORNING = sh(2026, 11, 25, 9)  # Wednesday, when the office opens
STAFF = tuple(t for t in P.TELEGRAM_IDS if t < 200000)  # every member of staff and official


@asynccontextmanager
async def front_end(front: str, server: StandInBotAPI, app: App) -> AsyncIterator[tuple[Any, Outbox]]:
    """The real front end on the app's context (its fixed clock), and an outbox sending through it."""
    translations = shared_translations(tz=app.settings.zone)
    runtime = Runtime(app.ctx, Core(app.ctx, translations), translations.for_lang, engine=app.engine)
    if front == "ptb":
        ptb = PtbFrontEnd(runtime, server.token, server.url)
        await ptb.application.initialize()
        ptb.username = ptb.application.bot.username
        try:
            yield ptb, Outbox(app.ctx, translations.for_lang, ptb.deliver, limiter=P.fast_pace())
        finally:
            await ptb.application.shutdown()
    else:
        aio = AiogramFrontEnd(runtime, server.token, server.url)
        aio.username = (await aio.bot.me()).username
        try:
            yield aio, Outbox(app.ctx, translations.for_lang, aio.deliver, limiter=P.fast_pace())
        finally:
            await aio.bot.session.close()


Feed = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


async def report_lights(server: StandInBotAPI, feed: Feed) -> str:
    """`/report` to the end: a corridor light out, ordinary; returns what the owner is told last. Each
    update is handled, and its replies sent, before `feed` returns (as a webhook is answered)."""
    mark = server.mark()

    def seen() -> list[dict[str, Any]]:  # the owner's chat as it is now (the form moves on in place)
        return [m for m in server.sent()[mark:] if m["chat"]["id"] == OWNER]

    async def press(prefix: str) -> None:
        message = with_button(seen(), prefix)
        await feed(server.make_callback(OWNER, message, button(message, prefix)["callback_data"]))

    await feed(server.make_command(OWNER, "report"))
    await press("r:cat:lights")
    await feed(server.make_message(OWNER, "5栋2单元走廊的灯坏了，晚上一片漆黑。"))
    await press("r:skip")  # no photo
    await press("r:skip")  # no place beyond the description
    await press("r:urg:ordinary")
    await press("r:prv:government")
    await press("r:ok")
    return text_of(seen()[-1])


def staff_messages(server: StandInBotAPI, mark: int) -> list[tuple[int, str]]:
    return [(m["chat"]["id"], text_of(m)) for m in server.sent()[mark:] if m["chat"]["id"] in STAFF]


@FRONTS
async def test_a_night_time_ordinary_report_pings_nobody_until_the_morning(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", NIGHT, by_day=False)
    P.know_everyone(botapi)
    assert isinstance(clock, FixedClock)
    async with front_end(front, botapi, app) as (door, outbox):
        mark = botapi.mark()
        told = await report_lights(botapi, door.feed_raw)
        [ticket] = app_tickets(app)
        assert ticket.number in told  # the owner hears at once
        await outbox.drain()
        assert sweep(app.ctx).steps == []
        assert staff_messages(botapi, mark) == []  # at 23:00 nobody on the staff is pinged
        for hour in (0, 1, 5, 8):
            clock.set(sh(2026, 11, 25, hour, 59))
            assert sweep(app.ctx).steps == []
            await outbox.drain()
            assert staff_messages(botapi, mark) == [], hour
        clock.set(MORNING)
        sweep(app.ctx)
        await outbox.drain()
        assignee = telegram_id(app, ticket.assignee_id)
        cards = staff_messages(botapi, mark)
        assert [chat for chat, _ in cards] == [assignee]  # the technician, when the office opens
        assert ticket.number in cards[0][1]
    app.engine.dispose()


def app_tickets(app: App) -> list[Any]:
    with app.ctx.uow() as uow:
        return uow.tickets.all()


def telegram_id(app: App, person_id: int | None) -> int:
    with app.ctx.uow() as uow:
        person = uow.people.get(person_id or 0)
    assert person is not None and person.telegram_id is not None
    return person.telegram_id
