"""Telegram's limits are per bot, so several `wuye run` instances on one PostgreSQL database share one
pace: each message takes a slot from a row in the database, overall and for its chat, as the in-process
limiter (bot/delivery/pace.py's RateLimiter) does in memory, except that a chat's slot is taken only once
it is free (see `SharedPace.reserve`).

Why slots in the database and not one sending instance holding a lease: every instance delivers (the
outbox runs in each), a reservation is one short transaction on rows no instance holds for longer than
that, an instance that dies holds nothing, and a 429 any instance meets pauses them all. The clock is
the database's, so instances whose clocks differ still space their messages right. On SQLite one
process serves a file, and the in-process limiter is the whole truth.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

_ENSURE = text("INSERT INTO send_pace (key, next_at) VALUES (:key, clock_timestamp()) ON CONFLICT DO NOTHING")
# A chat's slot, taken only when it is free now; its next one is an interval later (or later still: _AFTER)
_CHAT = text(
    "UPDATE send_pace SET next_at = clock_timestamp() + :every "
    "WHERE key = :key AND next_at <= clock_timestamp() RETURNING next_at"
)
# How long until a chat's slot is free
_CHAT_FREE = text("SELECT next_at - clock_timestamp() FROM send_pace WHERE key = :key")
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
        """When the chat's slot is free now, take it and the overall slot, in one transaction (a
        fan-out's chats are nearly all free: one round trip per message): (0, seconds to wait for the
        overall slot). Otherwise take nothing: (seconds until the chat's slot is free, None).

        Nothing is booked ahead for a chat, unlike RateLimiter: the overall slot may come later than the
        chat's, and the chat's next slot is then counted from the overall one (_AFTER). Booked ahead,
        a second sender to the chat (another instance) held a slot an interval after the first's chat
        slot while the first still waited for its overall slot, and the two went out closer together
        than the interval."""
        key = f"c{chat_id}"
        with self.engine.begin() as conn:
            conn.execute(_ENSURE, {"key": key})
            taken = conn.execute(_CHAT, {"key": key, "every": self._interval(chat_id)}).first()
            if next(self._count) % 1000 == 999:
                conn.execute(_PRUNE)
            if taken is None:
                free_in = conn.execute(_CHAT_FREE, {"key": key}).scalar_one()
                return max(0.0, free_in.total_seconds()), None
            return 0.0, self._overall(conn, chat_id)

    def _overall(self, conn: Connection, chat_id: int) -> float:
        """The overall slot, the chat's next slot counted from it; seconds to wait for it."""
        start, now = conn.execute(_ALL, {"every": self.every}).one()
        conn.execute(_AFTER, {"key": f"c{chat_id}", "at": start + self._interval(chat_id)})
        self._sent_at(chat_id, start)
        return max(0.0, (start - now).total_seconds())

    def _sent_at(self, chat_id: int, slot: datetime) -> None:
        """A message to `chat_id` goes out at `slot` (the database's clock), when its wait ends: nothing to
        do here (the tests note the slots)."""

    async def wait(self, chat_id: int) -> None:
        while True:  # until the chat's slot is ours (another instance may take it while this one waits)
            chat_wait, overall_wait = await asyncio.to_thread(self.reserve, chat_id)
            if overall_wait is not None:
                break
            await asyncio.sleep(chat_wait)
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
