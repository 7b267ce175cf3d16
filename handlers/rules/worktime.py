"""Working time (工作日) in the estate's time zone: deadlines, office hours, holidays and make-up days."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

# A calendar with no working day for a whole year is misconfigured; stop rather than loop forever.
_MAX_IDLE_DAYS = 400


class DurationUnit(StrEnum):
    """How a duration is counted."""

    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


_SUFFIXES = {DurationUnit.HOURS: "h", DurationUnit.WORKING_HOURS: "wh", DurationUnit.WORKING_DAYS: "wd"}
_UNITS = {suffix: unit for unit, suffix in _SUFFIXES.items()}
_DURATION_RE = re.compile(r"^(-?\d+)\s*([a-z]*)$")


@dataclass(frozen=True)
class Duration:
    """An amount of time such as 7 working days (7wd), 4 working hours (4wh) or 24 calendar hours (24h)."""

    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"duration amount must be a whole number, got {self.amount!r}")
        if self.amount < 0:
            raise ValueError(f"duration must not be negative, got {self.amount}")
        object.__setattr__(self, "unit", DurationUnit(self.unit))

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read the compact form: "7wd", "4wh" or "24h"."""
        cleaned = text.strip().lower()
        if not cleaned:
            raise ValueError("duration is empty; expected e.g. 7wd, 4wh or 24h")
        match = _DURATION_RE.match(cleaned)
        if match is None or match.group(2) not in _UNITS:
            raise ValueError(
                f"cannot read duration {text!r}; expected a whole number followed by "
                "wd (working days), wh (working hours) or h (calendar hours), e.g. 7wd"
            )
        return cls(int(match.group(1)), _UNITS[match.group(2)])

    def __str__(self) -> str:
        return f"{self.amount}{_SUFFIXES[self.unit]}"


class HolidaySource(Protocol):
    """Where the official working-day calendar comes from."""

    def is_working_day(self, day: date) -> bool | None:
        """True or False for a day the source knows; None when it has no data for that day."""
        ...


_OFFICE_HOURS_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class OfficeHours:
    """The daily opening and closing time, in the estate's local time."""

    opens: time = time(9, 0)
    closes: time = time(18, 0)

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours are local wall-clock times and must not carry a time zone")
        if self.opens >= self.closes:
            raise ValueError(f"office hours must open before they close, got {self}")

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Read "09:00-18:00"."""
        match = _OFFICE_HOURS_RE.match(text.strip())
        if match is None:
            raise ValueError(f"cannot read office hours {text!r}; expected HH:MM-HH:MM, e.g. 09:00-18:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        try:
            opens, closes = time(h1, m1), time(h2, m2)
        except ValueError as exc:
            raise ValueError(f"cannot read office hours {text!r}: {exc}") from None
        return cls(opens, closes)

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


class Deadline(NamedTuple):
    """When something is due; provisional when a day without calendar data was assumed Mon–Fri."""

    at: datetime
    provisional: bool


class _Trace:
    """Remembers whether a computation had to guess any day."""

    __slots__ = ("provisional",)

    def __init__(self) -> None:
        self.provisional = False


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment


class WorkCalendar:
    """Working days and office hours of one estate, with deadline arithmetic over them."""

    def __init__(
        self,
        source: HolidaySource,
        tz: ZoneInfo,
        office_hours: OfficeHours = OfficeHours(),
        overrides: Mapping[date, bool] | None = None,
        on_unknown: Callable[[date], None] | None = None,
    ) -> None:
        self.source = source
        self.tz = tz
        self.office_hours = office_hours
        self.overrides = dict(overrides or {})
        self._on_unknown = on_unknown
        self._reported_years: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on this local date: override, then source, then Mon–Fri."""
        return self._working(day, _Trace())

    def is_known(self, day: date) -> bool:
        """Whether an override or the source says something about this day."""
        return day in self.overrides or self.source.is_working_day(day) is not None

    def add_working_time(self, start: datetime, amount: Duration) -> Deadline:
        """The moment `amount` after `start`, counted in the duration's own unit."""
        start = _aware(start).astimezone(UTC)
        if amount.unit is DurationUnit.HOURS:
            return Deadline(start + timedelta(hours=amount.amount), False)
        trace = _Trace()
        if amount.unit is DurationUnit.WORKING_HOURS:
            due = self._add_working_hours(start, timedelta(hours=amount.amount), trace)
            return Deadline(due, trace.provisional)
        begin = self._next_working_start(start, trace).astimezone(self.tz)
        if amount.amount == 0:
            return Deadline(begin.astimezone(UTC), trace.provisional)
        day = self._add_working_days(begin.date(), amount.amount, trace)
        local_due = datetime.combine(day, begin.time(), tzinfo=self.tz)
        return Deadline(local_due.astimezone(UTC), trace.provisional)

    def add_working_delta(self, start: datetime, amount: timedelta) -> Deadline:
        """The moment `amount` of office time after `start` (for pauses measured in office time)."""
        start = _aware(start).astimezone(UTC)
        if amount <= timedelta(0):
            return Deadline(start, False)
        trace = _Trace()
        return Deadline(self._add_working_hours(start, amount, trace), trace.provisional)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time on working days between `a` and `b`; zero when `b` is not after `a`."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        total = timedelta(0)
        if b <= a:
            return total
        trace = _Trace()
        day, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while day <= last:
            if self._working(day, trace):
                opens, closes = self._window(day)
                overlap = min(b, closes) - max(a, opens)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def next_working_start(self, moment: datetime) -> datetime:
        """`moment` if it falls inside office hours on a working day, else the next opening."""
        return self._next_working_start(_aware(moment).astimezone(UTC), _Trace())

    def is_open(self, moment: datetime) -> bool:
        """Whether the office is open at `moment`: a working day, from opening to closing time (closing
        time included, as a deadline that lands on it belongs to that day)."""
        moment = _aware(moment).astimezone(UTC)
        day = moment.astimezone(self.tz).date()
        if not self._working(day, _Trace()):
            return False
        opens, closes = self._window(day)
        return opens <= moment <= closes

    def open_at(self, moment: datetime) -> datetime:
        """`moment` if the office is open then, else the next opening: when something that must not
        ping anybody outside office hours may go out."""
        return moment if self.is_open(moment) else self.next_working_start(moment)

    def start_of_working_day_after(self, moment: datetime) -> datetime:
        """Opening time of the first working day after `moment`'s local date."""
        local_day = _aware(moment).astimezone(self.tz).date()
        day = self._first_working_day(local_day + timedelta(days=1), _Trace())
        return self._window(day)[0]

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day`; for n == 0, `day` itself or the next working day."""
        return self._add_working_days(day, n, _Trace())

    def working_days_since(self, start: datetime, moment: datetime) -> int:
        """Whole working days from `start` to `moment`, counted as `add_working_time` counts them: the
        ladder's "3 working days after the deadline" is 3 here at that very moment, 2 just before."""
        start, moment = _aware(start).astimezone(UTC), _aware(moment).astimezone(UTC)
        if moment <= start:
            return 0
        trace = _Trace()
        begin = self._next_working_start(start, trace).astimezone(self.tz)
        day, days = begin.date(), 0
        while True:
            day = self._first_working_day(day + timedelta(days=1), trace)
            if datetime.combine(day, begin.time(), tzinfo=self.tz) > moment:
                return days
            days += 1

    def _working(self, day: date, trace: _Trace) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = self.source.is_working_day(day)
        if known is not None:
            return known
        trace.provisional = True
        if day.year not in self._reported_years:
            self._reported_years.add(day.year)
            if self._on_unknown is not None:
                self._on_unknown(day)
        return day.weekday() < 5

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.office_hours.opens, tzinfo=self.tz)
        closes = datetime.combine(day, self.office_hours.closes, tzinfo=self.tz)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def _first_working_day(self, first: date, trace: _Trace) -> date:
        for offset in range(_MAX_IDLE_DAYS):
            day = first + timedelta(days=offset)
            if self._working(day, trace):
                return day
        raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days from {first}; check the calendar")

    def _next_working_start(self, moment: datetime, trace: _Trace) -> datetime:
        day = moment.astimezone(self.tz).date()
        while True:
            day = self._first_working_day(day, trace)
            opens, closes = self._window(day)
            # Exactly at closing time counts as outside office hours.
            if moment < closes:
                return max(moment, opens)
            day += timedelta(days=1)

    def _add_working_hours(self, start: datetime, remaining: timedelta, trace: _Trace) -> datetime:
        moment = self._next_working_start(start, trace)
        while True:
            closes = self._window(moment.astimezone(self.tz).date())[1]
            # `<=` keeps a deadline that lands on closing time at closing time, not next morning.
            if remaining <= closes - moment:
                return moment + remaining
            remaining -= closes - moment
            moment = self._next_working_start(closes, trace)

    def _add_working_days(self, day: date, n: int, trace: _Trace) -> date:
        if n < 0:
            raise ValueError(f"number of working days must not be negative, got {n}")
        if n == 0:
            return self._first_working_day(day, trace)
        for _ in range(n):
            day = self._first_working_day(day + timedelta(days=1), trace)
        return day
