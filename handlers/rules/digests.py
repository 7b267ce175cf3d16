"""When the digests are due, and which days each covers: the weekly round (每周调度) on the first working
day of each week, the monthly bulletin (每月通报) on the first working day of each month, both from the
office's opening time. Local dates and times (Asia/Shanghai); the working calendar decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from handlers.rules.periods import Period
from handlers.rules.worktime import WorkCalendar

MAX_WEEKS_BACK = 8  # a week without a working day is rare (the Spring Festival); eight is far beyond it


class DigestKind(StrEnum):
    WEEKLY = "weekly"  # new, closed, overdue and newly supervised cases of the weeks since the last one
    MONTHLY = "monthly"  # estates and companies ranked by the previous month's figures


@dataclass(frozen=True)
class DigestDue:
    kind: DigestKind
    tag: str  # which one, for the outbox's key: the week's Monday or the month (sent once per tag)
    period: Period  # the local days it covers
    day: date  # the working day it is due on


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_working_day(calendar: WorkCalendar, first: date, last: date) -> date | None:
    """The first working day from `first` to `last` (both included), if there is one."""
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return None


def weekly_period(calendar: WorkCalendar, monday: date) -> Period:
    """The days the digest of `monday`'s week covers: from the Monday of the last week before it that
    had a working day (and so a digest of its own, which covered up to that Monday) to the Sunday
    before `monday`. Usually the week before; after a week without any working day, two weeks, so
    that week is told in the next digest rather than lost."""
    start = monday - timedelta(days=7)
    for _ in range(MAX_WEEKS_BACK):
        if first_working_day(calendar, start, start + timedelta(days=6)) is not None:
            break
        start -= timedelta(days=7)
    return Period.days(start, monday - timedelta(days=1))


def _opened(day: date, local: datetime, opens: time) -> bool:
    return local.date() > day or (local.date() == day and local.time() >= opens)


def due_digests(calendar: WorkCalendar, local: datetime, opens: time) -> list[DigestDue]:
    """The digests due at the local moment `local` (a digest stays due until the week or month it
    belongs to ends, so a bot that was down on the day sends it when it is back)."""
    found: list[DigestDue] = []
    monday = monday_of(local.date())
    day = first_working_day(calendar, monday, monday + timedelta(days=6))
    if day is not None and _opened(day, local, opens):
        found.append(DigestDue(DigestKind.WEEKLY, monday.isoformat(), weekly_period(calendar, monday), day))
    first = local.date().replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    day = first_working_day(calendar, first, after - timedelta(days=1))
    if day is not None and _opened(day, local, opens):
        previous = first - timedelta(days=1)
        period = Period.month(previous.year, previous.month)
        found.append(DigestDue(DigestKind.MONTHLY, str(period), period, day))
    return found
