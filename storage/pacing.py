"""Telegram's limits are per bot, so several `wuye run` instances on one PostgreSQL database share one
pace: each message takes the next free slot from a row in the database, overall and for its chat,
the way the in-process limiter (bot/delivery/pace.py's RateLimiter) does in memory.

Why slots in the database and not one sending instance holding a lease: every instance delivers (the
outbox runs in each), a reservation is one short transaction on rows no instance holds for longer than
that, an instance that dies holds nothing, and a 429 any instance meets pauses them all. The clock is
the database's, so instances whose clocks differ still space their messages right. On SQLite one
process serves a file, and the in-process limiter is the whole truth.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

_ENSURE = text("INSERT INTO send_pace (key, next_at) VALUES (:key, clock_timestamp()) ON CONFLICT DO NOTHING")
# One slot of a chat's pace: the later of its next slot and now; the next is an interval after it.
_CHAT = text(
    "UPDATE send_pace SET next_at = greatest(next_at, clock_timestamp()) + :every "
    "WHERE key = :key RETURNING next_at - :every AS start, clock_timestamp() AS now"
)
# One slot of the overall pace, likewise
_ALL = text(
    "UPDATE send_pace SET next_at = greatest(next_at, clock_timestamp()) + :every "
    "WHERE key = 'all' RETURNING next_at - :every AS start, clock_timestamp() AS now"
)
# A chat's next slot counted from the overall slot it was sent in, when that came later
_AFTER = text("UPDATE send_pace SET next_at = greatest(next_at, :at) WHERE key = :key")
_PAUSE = text(
    "UPDATE send_pace SET next_at = greatest(next_at, clock_timestamp() + :pause) WHERE key = 'all'"
)
_PRUNE = text("DELETE FROM send_pace WHERE key <> 'all' AND next_at < clock_timestamp() - interval '1 hour'")


class SharedPace:
    """The bot's sending pace in the database (PostgreSQL), with the same intervals as RateLimiter."""

    def __init__(
        self,
        engine: Engine,
        per_second: float = 30.0 * 0.95,
        private_interval: float = 1.0 * 1.05,
        group_interval: float = 3.0 * 1.05,
    ) -> None:
        self.engine = engine
        self.every = timedelta(seconds=1.0 / per_second)
        self.private, self.group = timedelta(seconds=private_interval), timedelta(seconds=group_interval)
        self._count = itertools.count()
        with engine.begin() as conn:
            conn.execute(_ENSURE, {"key": "all"})

    def _interval(self, chat_id: int) -> timedelta:
        return self.group if chat_id < 0 else self.private

    def reserve(self, chat_id: int) -> tuple[float, float | None]:
        """Take the chat's next slot, and when it is free now the overall slot too, in one
        transaction (a fan-out's chats are nearly all free: one round trip per message). Returns the
        seconds to wait for the chat's slot, and for the overall one (None: not taken yet, since
        waiting for the chat holds no overall slot)."""
        key = f"c{chat_id}"
        with self.engine.begin() as conn:
            conn.execute(_ENSURE, {"key": key})
            start, now = conn.execute(_CHAT, {"key": key, "every": self._interval(chat_id)}).one()
            if next(self._count) % 1000 == 999:
                conn.execute(_PRUNE)
            chat_wait = max(0.0, (start - now).total_seconds())
            return chat_wait, None if chat_wait > 0 else self._overall(conn, chat_id)

    def reserve_overall(self, chat_id: int) -> float:
        """Take the next slot of the bot's overall pace; seconds to wait for it."""
        with self.engine.begin() as conn:
            return self._overall(conn, chat_id)

    def _overall(self, conn: Connection, chat_id: int) -> float:
        """The overall slot, the chat's next slot counted from it."""
        start, now = conn.execute(_ALL, {"every": self.every}).one()
        conn.execute(_AFTER, {"key": f"c{chat_id}", "at": start + self._interval(chat_id)})
        return max(0.0, (start - now).total_seconds())

    async def wait(self, chat_id: int) -> None:
        chat_wait, overall_wait = await asyncio.to_thread(self.reserve, chat_id)
        if overall_wait is None:
            await asyncio.sleep(chat_wait)
            overall_wait = await asyncio.to_thread(self.reserve_overall, chat_id)
        if overall_wait > 0:
            await asyncio.sleep(overall_wait)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: no instance sends before `seconds` have passed (written off the event
        loop when there is one: the caller does not wait for it)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._pause(seconds)
            return
        loop.run_in_executor(None, self._pause, seconds)

    def _pause(self, seconds: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(_PAUSE, {"pause": timedelta(seconds=seconds)})
