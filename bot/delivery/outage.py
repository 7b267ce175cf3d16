"""Background rounds (the outbox, the ladder, the disclosure deadlines, pruning) while the database is
out of reach: each round is postponed to the next, and the log says so once, not every few seconds."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from storage.engine import brief, try_later

log = logging.getLogger("wuye.outage")
T = TypeVar("T")


class Postponements:
    """One warning when `what` first cannot reach the database, one line when it can again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down = False

    async def guard(self, work: Awaitable[T]) -> T | None:
        """`work`'s result; None when the database was out of reach (the next round tries again).
        Any other failure is raised."""
        try:
            result = await work
        except Exception as exc:
            if not try_later(exc):
                raise
            if not self.down:
                log.warning("%s postponed until the database is back (%s)", self.what, brief(exc))
            self.down = True
            return None
        if self.down:
            log.warning("%s: the database is back", self.what)
        self.down = False
        return result
