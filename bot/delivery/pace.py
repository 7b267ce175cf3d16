"""Telegram's limits as a pace to keep: one message a second per private chat, twenty a minute per group,
about thirty a second overall."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Pace(Protocol):
    """Telegram's limits as a pace to keep: RateLimiter in one process, storage/pacing.py's SharedPace
    for several instances on one PostgreSQL database."""

    async def wait(self, chat_id: int) -> None: ...
    def pause(self, seconds: float) -> None: ...


class RateLimiter:
    """Telegram's limits: about 30 messages a second overall, one a second per private chat and
    twenty a minute per group. The overall slot is reserved before waiting for it; a chat's slot is taken
    only when it is free (`reserve_chat`)."""

    # Telegram counts strictly (at most 30 in any one second, one a second per private chat, twenty a
    # minute per group): pacing at exactly those rates turns every request that arrives a little late
    # into a 429, so the pace keeps 5 % in hand.
    def __init__(
        self,
        per_second: float = 30.0 * 0.95,
        private_interval: float = 1.0 * 1.05,
        group_interval: float = 3.0 * 1.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}

    def reserve_chat(self, chat_id: int) -> float:
        """When the chat's slot is free now, take it and return 0: the caller then takes the overall slot
        at once (`reserve_overall`, which says when the chat's next slot is). Otherwise take nothing and
        return how long until it is free; a chat that must wait holds no overall slot meanwhile.

        Nothing is booked ahead for a chat: the overall slot may come later than the chat's (a fan-out's
        backlog, a 429's pause), and a second sender to the chat (a reply beside the outbox) booked an
        interval after the first's chat slot then went out closer to the first than the interval. The
        shared pace (storage/pacing.py) does the same across instances."""
        now = self.clock()
        free_at = self._next_chat.get(chat_id, 0.0)
        if free_at > now:
            return free_at - now
        self._next_chat[chat_id] = now + self._chat_interval(chat_id)
        if len(self._next_chat) > 50_000:  # forget chats whose slot is long past
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        return 0.0

    def reserve_overall(self, chat_id: int) -> float:
        """Book the next slot of the bot's overall pace; returns how long to wait for it. The chat's
        next slot is counted from this one."""
        now = self.clock()
        start = max(now, self._next_global)
        self._next_global = start + self.interval
        after = start + self._chat_interval(chat_id)
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), after)
        return start - now

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    async def wait(self, chat_id: int) -> None:
        # Until the chat's slot is ours (another sender may take it while this one sleeps); then the
        # overall slot, with no await between the two.
        while (delay := self.reserve_chat(chat_id)) > 0:
            await asyncio.sleep(delay)
        delay = self.reserve_overall(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends before `seconds` have passed."""
        self._next_global = max(self._next_global, self.clock() + seconds)


def console_pace() -> RateLimiter:
    """No waiting: the terminal (`wuye chat`, `wuye demo`) is not Telegram and has no rate limits."""
    return RateLimiter(per_second=1e9, private_interval=0.0, group_interval=0.0)
