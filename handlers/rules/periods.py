"""Reporting periods: a month, a quarter or a run of days, in local dates, and the stored (UTC) moments
they span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from handlers.rules.revenue import Quarter

_MONTH = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*")
_DAY = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_RANGE = re.compile(rf"\s*{_DAY}\s*(?:\.\.|~|–|—|至|to)\s*{_DAY}\s*")
# A quarter as Chinese writes it: 2026年第三季度 (also 第3季度, and 季 for 季度).
_QUARTER_ZH = re.compile(r"\s*(\d{4})\s*年\s*第?\s*([1-4一二三四])\s*季度?\s*")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}
MAX_DAYS = 3 * 366  # a longer run of days is a typing slip, not a reporting period


class PeriodKind(StrEnum):
    """What a period is, and so how it is written back and named."""

    MONTH = "month"  # 2026-11
    QUARTER = "quarter"  # 2026Q3
    RANGE = "range"  # 2026-11-01..2026-11-15


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both included, as dates where the estates are (Asia/Shanghai)."""

    first: date
    last: date
    kind: PeriodKind = PeriodKind.RANGE

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period cannot end ({self.last}) before it starts ({self.first})")
        if (self.last - self.first).days >= MAX_DAYS:
            raise ValueError(f"a period of at most {MAX_DAYS} days, not {self.first} to {self.last}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        _check_year(year)
        first = date(year, month, 1)
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(first, after - timedelta(days=1), PeriodKind.MONTH)

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        _check_year(year)
        if not 1 <= q <= 4:
            raise ValueError(f"a quarter is 1 to 4, not {q}")
        quarter = Quarter(year, q)
        return cls(quarter.first_day, quarter.last_day, PeriodKind.QUARTER)

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        return cls(first, last, PeriodKind.RANGE)

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026-11' (a month), '2026Q4' or '2026年第四季度' (a quarter) or '2026-11-01..2026-11-15' (days,
        both included); ValueError otherwise."""
        raw = text or ""
        if m := _RANGE.fullmatch(raw):
            y1, m1, d1, y2, m2, d2 = (int(g) for g in m.groups())
            return cls.days(_date(raw, y1, m1, d1), _date(raw, y2, m2, d2))
        if m := _MONTH.fullmatch(raw):
            year, month = int(m.group(1)), int(m.group(2))
            return cls.month(*_month(raw, year, month))
        if m := _QUARTER_ZH.fullmatch(raw):
            q = m.group(2)
            return cls.quarter(int(m.group(1)), _NUMERALS.get(q) or int(q))
        try:
            quarter = Quarter.parse(raw)
            return cls.quarter(quarter.year, quarter.q)
        except ValueError:
            raise _not_a_period(raw) from None

    def span(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The UTC moments [start, end): local midnight of `first` to local midnight after `last`."""
        start = datetime.combine(self.first, time(0), tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def __str__(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return str(Quarter.containing(self.first))
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def _not_a_period(raw: str) -> ValueError:
    return ValueError(f"not a period: {raw!r} (write 2026-11, 2026Q4 or 2026-11-01..2026-11-15)")


def _check_year(year: int) -> None:
    if not 1 <= year <= 9998:
        raise ValueError(f"a year from 1 to 9998, not {year}")


def _month(raw: str, year: int, month: int) -> tuple[int, int]:
    if not 1 <= month <= 12 or not 1 <= year <= 9998:
        raise _not_a_period(raw)
    return year, month


def _date(raw: str, year: int, month: int, day: int) -> date:
    try:
        _check_year(year)
        return date(year, month, day)
    except ValueError:
        raise _not_a_period(raw) from None
