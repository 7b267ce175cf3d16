"""The clocks behind the `Clock` port (handlers/ports.py): the one source of time, injected everywhere,
never read inline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real clock, for `wuye run`."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock the tests and the demo move by hand."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = moment.astimezone(UTC)
        return self._now


class ShiftedClock:
    """The real clock moved on by hand: `wuye chat`'s /wait, so that reminders due hours from now can be
    seen at once. Never moved back; it starts at `start` (a test's Monday morning) if given."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self.offset = start - datetime.now(UTC) if start is not None else timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock is never moved back")
        self.offset += delta
        return self.now()
