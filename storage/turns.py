"""One turn at a time per chat across processes: what makes "an update id already handled is ignored"
hold when several `wuye run` instances share a PostgreSQL database behind a webhook load balancer.

Each process keeps a chat's updates in order itself; two processes do not see each other. Telegram
redelivers an update whose webhook call timed out, and the second delivery can reach the other
instance while the first still works on it: both would find the update id not yet handled and both
would act on it (two tickets from one press). On PostgreSQL a turn therefore holds a session-level
advisory lock named after the chat, on a connection of its own in autocommit (no transaction idles
while the turn runs); the second instance waits, then finds the update handled. A process that dies
holding one loses its connection, and PostgreSQL releases the lock with it.

The wait blocks the waiting process's core (one thread), so it is short (`WAIT`): a turn takes
milliseconds. One held longer (a document downloaded and read) fails this try with `ChatBusy`, a
`TryLater`: the bot's runtime tries the update again after a pause that blocks nothing, and by then
finds it handled by the instance that held it (or handles it, if that instance died).

SQLite needs none: one process serves a SQLite file (a second `wuye run` refuses to start).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.engine import TryLater

log = logging.getLogger("wuye.turns")
WAIT = 0.5  # seconds; a turn takes milliseconds

_TRY = text("SELECT pg_try_advisory_lock(hashtextextended(:name, 0))")
_RELEASE = text("SELECT pg_advisory_unlock(hashtextextended(:name, 0))")


class ChatBusy(TryLater):
    """Another process has held the chat's turn for longer than `WAIT` seconds."""


class AdvisoryChatTurns:
    """`ChatTurns` on PostgreSQL (handlers/ports.py); a no-op on any other database."""

    def __init__(self, engine: Engine, wait: float = WAIT) -> None:
        self.engine, self.wait = engine, wait
        self.enabled = engine.dialect.name == "postgresql"

    @contextlib.contextmanager
    def __call__(self, bot_id: int, chat_id: int) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        name = {"name": f"wuye:turn:{bot_id}:{chat_id}"}
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            self._acquire(connection, name, chat_id)
            try:
                yield
            finally:
                try:
                    connection.execute(_RELEASE, name)
                except Exception as exc:
                    # The lock belongs to the server session: end the session rather than pool it still
                    # held. The turn itself is done (or failed on its own): its outcome stands.
                    log.warning("chat %s: turn not released (%s); closing its connection", chat_id, exc)
                    connection.invalidate()

    def _acquire(self, connection: Connection, name: dict[str, str], chat_id: int) -> None:
        deadline, pause = time.monotonic() + self.wait, 0.001
        while not connection.execute(_TRY, name).scalar_one():
            if time.monotonic() >= deadline:
                raise ChatBusy(f"chat {chat_id}: another process has been in a turn for {self.wait:.0f} s")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
