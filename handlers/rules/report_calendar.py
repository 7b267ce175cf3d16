"""The report calendar: which office kind sends which report upward, by which day, and when its draft
and its automatic sending come (README "The report calendar").

A report covers a period (the ledger: a month, or a quarter for a line with `every: quarter`) and is
due on a day of the month after it. A due day that is not a working day moves to the working day
before, but never into the period it reports on (then to the first working day after the holiday
instead). The draft comes three working days before the due day, from the office's opening, never
before the period is over; what is not sent by the office's closing time on the due day goes up
automatically, and a bot that was down across several due days sends each missed one, oldest first.
Local dates (Asia/Shanghai); the working calendar decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from handlers.rules.periods import Period
from handlers.rules.revenue import Quarter
from handlers.rules.worktime import WorkCalendar

DRAFT_WORKING_DAYS = 3  # the draft comes this many working days before the due day
# who keeps a ledger (handlers.domain.organisations.OfficeKind)
OFFICE_KINDS = ("community", "street", "bureau")
MAX_IDLE = 40  # days searched for a working day; the longest holiday is nine
# How far back a bot that was down catches up: a year of periods (older ones are not sent by themselves).
CATCH_UP = {"month": 12, "quarter": 4}


class ReportKind(StrEnum):
    LEDGER = "ledger"  # the ledger (台账) of the period


class Cadence(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


# The due day is a day of the month after the period (a month, or a quarter): 1–28, which every month has.
LAST_DUE_DAY = 28


class ScheduleError(ValueError):
    """A line of the calendar that cannot be: `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Schedule:
    """An office kind owes a report of each period (each month, or each quarter), due on a day of the
    month after it."""

    office_kind: str  # community | street | bureau
    report: ReportKind
    due: int  # the day of the month after the period
    cadence: Cadence = Cadence.MONTH
    since: datetime | None = None  # when the line was first loaded (None: not known, or the defaults)

    @property
    def line(self) -> tuple[str, ReportKind, Cadence]:
        """What makes two lines the same line (the due day may change)."""
        return (self.office_kind, self.report, self.cadence)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"office": self.office_kind, "report": self.report.value, "due": self.due}
        if self.cadence is not Cadence.MONTH:
            found["every"] = self.cadence.value
        if self.since is not None:
            found["since"] = self.since.isoformat()
        return found


# Without a `reports:` section: the street offices' ledger by the 20th, the bureau's by the 23rd.
DEFAULT_SCHEDULES = (
    Schedule("street", ReportKind.LEDGER, 20),
    Schedule("bureau", ReportKind.LEDGER, 23),
)


def schedule_from(data: dict[str, Any]) -> Schedule:
    """One line of the `reports:` section; ScheduleError naming the field otherwise."""
    office = data.get("office")
    if office not in OFFICE_KINDS:
        raise ScheduleError(
            "office", f"{office!r} is not an office kind that sends reports ({', '.join(OFFICE_KINDS)})"
        )
    raw = data.get("report")
    if raw not in {k.value for k in ReportKind}:
        known = ", ".join(k.value for k in ReportKind)
        raise ScheduleError("report", f"{raw!r} is not a report (known: {known})")
    report = ReportKind(raw)
    every = data.get("every", Cadence.MONTH.value)
    if every not in {c.value for c in Cadence}:
        known = ", ".join(c.value for c in Cadence)
        raise ScheduleError("every", f"{every!r} is not how often a report is due (known: {known})")
    cadence = Cadence(every)
    due = data.get("due")
    if isinstance(due, bool) or not isinstance(due, int) or not 1 <= due <= LAST_DUE_DAY:
        raise ScheduleError(
            "due",
            f"the day of the month after the {cadence.value}, from 1 to {LAST_DUE_DAY} (it is {due!r})",
        )
    return Schedule(office, report, due, cadence, _since(data.get("since")))


def _since(value: Any) -> datetime | None:
    """A stored line's start (the setup file has no such field); None when absent or unreadable."""
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo is not None else None


@dataclass(frozen=True)
class Cycle:
    """One period's report of a schedule: the period, the day it is due (moved off holidays), the day
    its draft comes, and the moments (UTC-aware) of the draft and of the automatic sending."""

    schedule: Schedule
    period: Period
    nominal: date  # the due day as the calendar says it
    due_on: date  # the working day it is due
    draft_on: date
    draft_at: datetime
    send_at: datetime


def _period(cadence: Cadence, day: date) -> Period:
    """The period of this cadence that contains `day`."""
    if cadence is Cadence.MONTH:
        return Period.month(day.year, day.month)
    q = Quarter.containing(day)
    return Period.quarter(q.year, q.q)


def _working_before(calendar: WorkCalendar, day: date) -> date | None:
    for back in range(MAX_IDLE):
        candidate = day - timedelta(days=back)
        if calendar.is_working_day(candidate):
            return candidate
    return None


def _working_from(calendar: WorkCalendar, day: date) -> date:
    for ahead in range(MAX_IDLE):
        candidate = day + timedelta(days=ahead)
        if calendar.is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within {MAX_IDLE} days from {day}; check the calendar")


def cycle(calendar: WorkCalendar, schedule: Schedule, period: Period) -> Cycle:
    """When the report of `period` is due, and when its draft comes."""
    after = period.last + timedelta(days=1)
    nominal = after + timedelta(days=schedule.due - 1)
    due_on = _working_before(calendar, nominal)
    if due_on is None or due_on <= period.last:  # a holiday right after the period: not before it ends
        due_on = _working_from(calendar, nominal)
    draft_on = due_on
    for _ in range(DRAFT_WORKING_DAYS):
        earlier = _working_before(calendar, draft_on - timedelta(days=1))
        if earlier is None or earlier <= period.last:
            break
        draft_on = earlier
    tz, hours = calendar.tz, calendar.office_hours
    return Cycle(
        schedule,
        period,
        nominal,
        due_on,
        draft_on,
        _moment(draft_on, hours.opens, tz),
        _moment(due_on, hours.closes, tz),
    )


def _moment(day: date, at: time, tz: Any) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def previous_period(cadence: Cadence, today: date) -> Period:
    """The last whole period before today's."""
    current = _period(cadence, today)
    return _period(cadence, current.first - timedelta(days=1))


def current_cycle(calendar: WorkCalendar, schedule: Schedule, now: datetime) -> Cycle:
    """The latest cycle whose draft has come by `now` (UTC-aware): the previous period's once its draft
    day has come, else the one before (sent by now, or to be sent at once)."""
    local = now.astimezone(calendar.tz)
    latest = cycle(calendar, schedule, previous_period(schedule.cadence, local.date()))
    if now >= latest.draft_at:
        return latest
    before = previous_period(schedule.cadence, latest.period.first)
    return cycle(calendar, schedule, before)


def due_cycles(calendar: WorkCalendar, schedule: Schedule, now: datetime) -> list[Cycle]:
    """The cycles a bot looking at `now` may owe, newest first: the current one, then the ones before it
    (their due days passed: sent by now, or missed while the bot was down), a year of periods back."""
    found = [current_cycle(calendar, schedule, now)]
    for _ in range(CATCH_UP[schedule.cadence.value] - 1):
        before = previous_period(schedule.cadence, found[-1].period.first)
        found.append(cycle(calendar, schedule, before))
    return found
