"""How many wrong invite codes a person may try: five in ten minutes, then they wait the window out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Attempts:
    failures: int  # wrong codes since `since`
    since: datetime | None  # the first wrong code of the current window


def locked_until(attempts: Attempts, now: datetime) -> datetime | None:
    """When the person may try again, if they used up their tries in this window."""
    if attempts.since is None or attempts.failures < MAX_FAILURES:
        return None
    until = attempts.since + WINDOW
    return until if until > now else None


def after_failure(attempts: Attempts, now: datetime) -> Attempts:
    """One more wrong code: counted in the current window, or the first of a new one."""
    if attempts.since is None or now - attempts.since >= WINDOW:
        return Attempts(1, now)
    return Attempts(attempts.failures + 1, attempts.since)
