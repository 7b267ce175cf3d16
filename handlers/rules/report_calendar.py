"""The report calendar: which office kind sends which report upward, by which day, and when its draft
and its automatic sending come (README "The report calendar").

A report covers a period (the monthly ledger: a month) and is due on a day of the month (or quarter)
after it. A due day that is not a working day moves to the working day before, but never into the
period it reports on (then to the first working day after the holiday instead). The draft comes three
working days before the due day, from the office's opening, never before the period is over; what is
not sent by the office's closing time on the due day goes up automatically. Local dates (Asia/Shanghai);
the working calendar decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from handlers.rules.periods import Period
from handlers.rules.revenue import Quarter
from handlers.rules.worktime import WorkCalendar

DRAFT_WORKING_DAYS = 3  # the draft comes this many working days before the due day
OFFICE_KINDS = ("community", "street", "bureau")  # who keeps a ledger (handlers.domain.OfficeKind)
MAX_IDLE = 40  # days searched for a working day; the longest holiday is nine


class ReportKind(StrEnum):
    LEDGER = "ledger"  # the monthly ledger (台账)


class Cadence(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


CADENCE = {ReportKind.LEDGER: Cadence.MONTH}
# The due day counts from the first day after the period: a month's 1–28 (every month has them), a
# quarter's 1–90 (the first quarter of a common year has 90 days).
LAST_DUE_DAY = {Cadence.MONTH: 28, Cadence.QUARTER: 90}


class ScheduleError(ValueError):
    """A line of the calendar that cannot be: `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Schedule:
    """An office kind owes a report of each period, due on a day after it."""

    office_kind: str  # community | street | bureau
    report: ReportKind
    due: int  # the day of the month (or quarter) after the period

    @property
    def cadence(self) -> Cadence:
        return CADENCE[self.report]

    def as_dict(self) -> dict[str, Any]:
        return {"office": self.office_kind, "report": self.report.value, "due": self.due}


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
    due = data.get("due")
    last = LAST_DUE_DAY[CADENCE[report]]
    if isinstance(due, bool) or not isinstance(due, int) or not 1 <= due <= last:
        where = "month" if CADENCE[report] is Cadence.MONTH else "quarter"
        raise ScheduleError(
            "due", f"the day of the {where} after the period, from 1 to {last} (it is {due!r})"
        )
    return Schedule(office, report, due)


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
    day has come, else the one before (sent by now, or to be sent at once: a bot that was down catches
    up on the last report, never on older ones)."""
    local = now.astimezone(calendar.tz)
    latest = cycle(calendar, schedule, previous_period(schedule.cadence, local.date()))
    if now >= latest.draft_at:
        return latest
    before = previous_period(schedule.cadence, latest.period.first)
    return cycle(calendar, schedule, before)
