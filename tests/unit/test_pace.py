"""The in-process pace (bot/delivery/pace.py's RateLimiter), on a clock the test moves: Telegram's limits
kept with headroom, and a chat that must wait does not hold back everyone else; and the settings that set
the pace and the outbox's lease reach what `wuye run` runs with."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from bot.config import load_settings, unknown_variables
from bot.delivery.outbox import Outbox
from bot.delivery.outbox_rows import LEASE
from bot.delivery.pace import RateLimiter
from bot.serve import make_runtime


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_overall_pace_keeps_headroom_under_thirty_a_second() -> None:
    clock = Clock()
    pace = RateLimiter(clock=clock)
    starts = [pace.reserve_chat(chat) + pace.reserve_overall(chat) for chat in range(1, 61)]
    # 60 different chats: the 60th may start no sooner than 60 / 28.5 s later, so no one-second window
    # holds more than 29
    assert 2.0 < starts[-1] < 2.2
    assert max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts) <= 29


def test_a_chats_second_message_waits_a_second_without_holding_back_the_others() -> None:
    clock = Clock()
    pace = RateLimiter(clock=clock)
    assert pace.reserve_chat(7) == 0 and pace.reserve_overall(7) == 0
    assert 1.0 < pace.reserve_chat(7) <= 1.1  # the same private chat: a second later
    # someone else's message is not queued behind chat 7's wait
    assert pace.reserve_chat(8) == 0
    assert pace.reserve_overall(8) < 0.1
    assert pace.reserve_chat(-100) == 0 and pace.reserve_overall(-100) < 0.1
    assert 3.0 < pace.reserve_chat(-100) <= 3.3  # a group: three seconds apart


async def test_two_senders_to_one_chat_behind_a_backlog_still_keep_its_pace() -> None:
    """A reply and the outbox both sending to chat 7 while the overall pace is held back (here by a
    429's pause, as by a fan-out's backlog): the second goes out a chat interval after the first, not
    one overall slot (0.035 s) after it. On the real clock, at a tenth of Telegram's intervals; spacing
    only grows on a busy machine."""
    pace = RateLimiter(private_interval=0.3)
    await pace.wait(7)  # a message to chat 7 now
    pace.pause(0.5)
    sent: list[float] = []

    async def send() -> None:
        await pace.wait(7)
        sent.append(time.monotonic())

    await asyncio.gather(send(), send())
    first, second = sorted(sent)
    assert second - first >= 0.3 - 0.01, f"two messages to one chat {second - first:.3f} s apart"


def test_a_429_pauses_everyone() -> None:
    clock = Clock()
    pace = RateLimiter(clock=clock)
    pace.pause(5.0)
    assert pace.reserve_chat(9) == 0
    assert 4.9 < pace.reserve_overall(9) <= 5.0


def test_wuye_runs_at_the_pace_and_with_the_lease_its_settings_give(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    # The defaults are Telegram's limits, as the limiter keeps them with its headroom.
    telegram, defaults = RateLimiter(), make_runtime(load_settings(database_url=url))
    assert isinstance(defaults.limiter, RateLimiter)
    assert (
        defaults.limiter.interval,
        defaults.limiter.private_interval,
        defaults.limiter.group_interval,
    ) == (
        telegram.interval,
        telegram.private_interval,
        telegram.group_interval,
    )
    assert defaults.outbox_lease == LEASE
    # A group's interval follows the chat's unless it is set itself.
    runtime = make_runtime(load_settings(database_url=url, chat_interval=0.5), migrate=False)
    assert isinstance(runtime.limiter, RateLimiter) and runtime.limiter.group_interval == 1.5
    settings = load_settings(
        database_url=url, chat_interval=0.5, group_interval=2.0, send_rate=10.0, outbox_lease=30.0
    )
    runtime = make_runtime(settings, migrate=False)
    assert isinstance(runtime.limiter, RateLimiter)
    assert (runtime.limiter.interval, runtime.limiter.private_interval, runtime.limiter.group_interval) == (
        0.1,
        0.5,
        2.0,
    )

    async def started() -> Outbox:
        outbox = runtime.start_outbox(lambda part: asyncio.sleep(0, result=1))
        await runtime.stop_background()
        return outbox

    assert asyncio.run(started()).lease == timedelta(seconds=30)
    assert not unknown_variables(
        {"WUYE_GROUP_INTERVAL": "3", "WUYE_SEND_RATE": "20", "WUYE_OUTBOX_LEASE": "60"}
    )
