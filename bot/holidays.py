"""Holiday sources for the working-time clock: the official PRC calendar, and plain Mon–Fri."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants


class ChineseCalendarSource:
    """The State Council's holidays and make-up working days (调休), via the `chinesecalendar` package."""

    def is_working_day(self, day: date) -> bool | None:
        """Whether the official calendar makes this a working day; None for a year the package lacks."""
        if isinstance(day, datetime):
            day = day.date()
        return _official(day)


@lru_cache(maxsize=4096)
def _official(day: date) -> bool | None:
    # Memoised: deadlines ask about the same few weeks of days over and over, and the package
    # validates its tables on every call.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


class WeekdaySource:
    """Monday to Friday are working days, always; for tests and as an explicit fallback."""

    def is_working_day(self, day: date) -> bool:
        """Whether `day` falls on Monday to Friday."""
        return day.weekday() < 5


def known_years() -> range:
    """The years the installed `chinesecalendar` package has official data for."""
    return range(min(constants.holidays).year, max(constants.holidays).year + 1)
