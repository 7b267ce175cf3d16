"""The in-process pace (bot/outbox.py's RateLimiter), on a clock the test moves: Telegram's limits kept
with headroom, and a chat that must wait does not hold back everyone else."""

from __future__ import annotations

from bot.outbox import RateLimiter


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


def test_a_429_pauses_everyone() -> None:
    clock = Clock()
    pace = RateLimiter(clock=clock)
    pace.pause(5.0)
    assert pace.reserve_chat(9) == 0
    assert 4.9 < pace.reserve_overall(9) <= 5.0
