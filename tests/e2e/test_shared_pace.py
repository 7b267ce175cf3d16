"""Telegram's limits are the bot's, not each process's: two instances on one PostgreSQL database fanning
out together keep within one bot's thirty messages a second, against a stand-in that counts strictly."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.config import load_settings
from bot.delivery.outbox import Outbox
from bot.delivery.pace import Pace, RateLimiter
from bot.documents.setup_file import read_setup
from bot.telegram.front_aiogram import AiogramFrontEnd
from bot.telegram.runtime import Runtime
from bot.wiring import App, build_app
from handlers.conversations.core import Core
from handlers.services.setup import apply_setup
from storage.pacing import SharedPace
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI
from tests.support.translations import shared_translations

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]
FIRST, CHATS = 500_000, 150


def crowd(app: App) -> None:
    """CHATS committee members of the estate, each owed one comment on a ticket."""
    P.committee_owed_a_comment(app, FIRST, CHATS, "今天下午停水检修", "pace")


async def two_instances_fan_out(
    botapi: StandInBotAPI, url: str, pace: Callable[[App], Pace]
) -> tuple[float, int, Counter[int]]:
    app = build_app(load_settings(database_url=url))  # the real clock: a 429's wait really passes
    apply_setup(app.ctx, read_setup(P.SETUP))
    for i in range(CHATS):
        botapi.add_user(FIRST + i, f"u{i}")
    crowd(app)
    botapi.rate_limit(30, retry_after=1, per_chat=1, strict=True)
    translations = shared_translations()
    fronts, outboxes = [], []
    for _ in range(2):  # two instances: each its own front end, outbox and pace over the one database
        runtime = Runtime(app.ctx, Core(app.ctx, translations), translations.for_lang, engine=app.engine)
        front = AiogramFrontEnd(runtime, botapi.token, botapi.url)
        fronts.append(front)
        outboxes.append(Outbox(app.ctx, translations.for_lang, front.deliver, batch=40, limiter=pace(app)))
    started = time.monotonic()
    # The crowd's ticket's card for its assignee waits for the morning when this runs after office hours
    # in Shanghai: the fan-out is what is measured, so only what is due now is waited for.
    while P.undelivered(app.engine, due_by=datetime.now(UTC)):
        await asyncio.gather(*(o.drain() for o in outboxes))
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    for front in fronts:
        await front.bot.session.close()
    app.engine.dispose()
    sent = (c for c in botapi.calls if c.status == 200 and c.method == "sendMessage")
    delivered = Counter(int(c.params["chat_id"]) for c in sent)
    return elapsed, botapi.stats.rate_limited, delivered


async def test_two_instances_share_one_bots_pace(botapi: StandInBotAPI, postgres_url: str) -> None:
    shared = await two_instances_fan_out(botapi, postgres_url, lambda app: SharedPace(app.engine))
    elapsed, refused, delivered = shared
    ours = [chat for chat in delivered if chat >= FIRST]
    assert len(ours) == CHATS and all(delivered[c] == 1 for c in ours)  # none lost, none doubled
    assert refused <= 3  # within the bot's limit, a late arrival aside
    assert CHATS / elapsed <= 30.5  # together, not thirty each


async def test_with_a_pace_each_the_two_instances_exceed_the_bots_limit(
    botapi: StandInBotAPI, postgres_url: str
) -> None:
    """What the shared pace prevents (this failed before it: 150–189 refusals per 300 messages)."""
    _, refused, delivered = await two_instances_fan_out(botapi, postgres_url, lambda app: RateLimiter())
    assert refused > 10
    assert all(delivered[c] == 1 for c in delivered if c >= FIRST)
