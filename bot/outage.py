"""Background rounds (the outbox, the ladder, the disclosure deadlines, pruning) while the database is
out of reach: each round is postponed to the next, and the log says so once, not every few seconds."""

from __future__ import annotations

import logging

from storage.engine import brief

log = logging.getLogger("wuye.outage")


class Postponements:
    """One warning when `what` first cannot reach the database, one line when it can again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down = False

    def postponed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning("%s postponed until the database is back (%s)", self.what, brief(exc))
        self.down = True

    def done(self) -> None:
        if self.down:
            log.warning("%s: the database is back", self.what)
        self.down = False
