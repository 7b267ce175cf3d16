"""The working-time clock: deadlines over weekends, statutory holidays, make-up days and unknown years."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.holidays import ChineseCalendarSource, WeekdaySource, known_years
from handlers.rules.worktime import (
    Deadline,
    Duration,
    DurationUnit,
    OfficeHours,
    WorkCalendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


class YearsOnlySource:
    """Knows Mon–Fri for the given years and nothing else, like a package that stops at some year."""

    def __init__(self, *years: int) -> None:
        self.years = set(years)

    def is_working_day(self, day: date) -> bool | None:
        return day.weekday() < 5 if day.year in self.years else None


class NeverWorkingSource:
    def is_working_day(self, day: date) -> bool | None:
        return False


def weekdays(**kwargs: object) -> WorkCalendar:
    return WorkCalendar(WeekdaySource(), SHANGHAI, **kwargs)  # type: ignore[arg-type]


def official(**kwargs: object) -> WorkCalendar:
    return WorkCalendar(ChineseCalendarSource(), SHANGHAI, **kwargs)  # type: ignore[arg-type]


WD, WH, H = DurationUnit.WORKING_DAYS, DurationUnit.WORKING_HOURS, DurationUnit.HOURS


# --- Duration and OfficeHours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7wd", Duration(7, WD)),
        ("15wd", Duration(15, WD)),
        ("24h", Duration(24, H)),
        ("4wh", Duration(4, WH)),
        (" 2H ", Duration(2, H)),
        ("0wd", Duration(0, WD)),
    ],
)
def test_a_duration_is_read_from_its_compact_form(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["7wd", "15wd", "24h", "4wh", "0h"])
def test_a_duration_prints_back_in_the_same_compact_form(text: str) -> None:
    assert str(Duration.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-3wd", "negative"),
        ("7", "wd"),
        ("7d", "wd"),
        ("wd", "wd"),
        ("7.5h", "wd"),
        ("7 weeks", "wd"),
    ],
)
def test_a_bad_duration_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Duration.parse(text)


def test_a_negative_duration_cannot_be_built_directly() -> None:
    with pytest.raises(ValueError, match="negative"):
        Duration(-1, H)


def test_office_hours_are_read_from_a_range() -> None:
    assert OfficeHours.parse("09:00-18:00") == OfficeHours(time(9), time(18))
    assert OfficeHours.parse("8:30 - 17:30") == OfficeHours(time(8, 30), time(17, 30))
    assert str(OfficeHours.parse("8:30-17:30")) == "08:30-17:30"


@pytest.mark.parametrize("text", ["", "18:00-09:00", "09:00-09:00", "25:00-26:00", "09:70-18:00", "9-18"])
def test_bad_office_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="office hours"):
        OfficeHours.parse(text)


def test_office_hours_must_open_before_they_close() -> None:
    with pytest.raises(ValueError, match="open before"):
        OfficeHours(time(18), time(9))


# --- the official calendar as the package ships it -------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 4), True),  # Sunday, make-up day for New Year
        (date(2026, 2, 14), True),  # Saturday, make-up day for Spring Festival
        (date(2026, 2, 28), True),  # Saturday, make-up day for Spring Festival
        (date(2026, 5, 9), True),  # Saturday, make-up day for Labour Day
        (date(2026, 9, 20), True),  # Sunday, make-up day for National Day
        (date(2026, 10, 10), True),  # Saturday, make-up day for National Day
        (date(2026, 2, 16), False),  # Spring Festival runs 15–23 February
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 9, 25), False),  # Mid-autumn, Friday
        (date(2026, 10, 1), False),  # National Day runs 1–7 October
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 3), False),
        (date(2026, 3, 2), True),  # an ordinary Monday
        (date(2026, 3, 7), False),  # an ordinary Saturday
    ],
)
def test_the_package_knows_the_2026_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert ChineseCalendarSource().is_working_day(day) is working


def test_the_package_has_no_data_outside_its_years() -> None:
    years = known_years()
    assert years.start == 2004 and 2026 in years
    source = ChineseCalendarSource()
    for day in (date(1990, 5, 1), date(2003, 12, 31), date(2030, 10, 1)):
        assert day.year not in years
        assert source.is_working_day(day) is None


def test_the_weekday_source_works_monday_to_friday() -> None:
    assert [WeekdaySource().is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


# --- working days ----------------------------------------------------------------------------------


def test_seven_working_days_from_a_monday_morning_is_the_wednesday_after_next() -> None:
    monday = sh(2026, 3, 2, 10)
    assert weekdays().add_working_time(monday, Duration(7, WD)) == Deadline(sh(2026, 3, 11, 10), False)


def test_a_working_day_from_friday_skips_the_weekend() -> None:
    assert weekdays().add_working_time(sh(2026, 3, 6, 10), Duration(1, WD)).at == sh(2026, 3, 9, 10)


def test_a_friday_evening_start_counts_from_monday_morning() -> None:
    assert weekdays().add_working_time(sh(2026, 3, 6, 20), Duration(1, WD)).at == sh(2026, 3, 10, 9)


def test_a_start_exactly_at_closing_time_counts_from_the_next_morning() -> None:
    cal = weekdays()
    assert cal.next_working_start(sh(2026, 3, 3, 18)) == sh(2026, 3, 4, 9)
    assert cal.add_working_time(sh(2026, 3, 3, 18), Duration(1, WD)).at == sh(2026, 3, 5, 9)


def test_golden_week_is_skipped_when_counting_working_days() -> None:
    cal = official()
    start = sh(2026, 9, 30, 10)
    assert cal.add_working_time(start, Duration(1, WD)) == Deadline(sh(2026, 10, 8, 10), False)
    assert cal.add_working_time(start, Duration(2, WD)).at == sh(2026, 10, 9, 10)
    assert cal.add_working_time(start, Duration(4, WD)).at == sh(2026, 10, 12, 10)


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    cal = official()
    assert cal.add_working_time(sh(2026, 10, 9, 10), Duration(1, WD)).at == sh(2026, 10, 10, 10)
    assert cal.add_working_time(sh(2026, 2, 13, 10), Duration(1, WD)).at == sh(2026, 2, 14, 10)


def test_spring_festival_pushes_a_deadline_past_the_whole_break() -> None:
    assert official().add_working_time(sh(2026, 2, 14, 10), Duration(1, WD)).at == sh(2026, 2, 24, 10)


def test_a_start_on_a_holiday_counts_from_the_first_morning_after_it() -> None:
    cal = official()
    assert cal.next_working_start(sh(2026, 10, 3, 10)) == sh(2026, 10, 8, 9)
    assert cal.add_working_time(sh(2026, 10, 3, 10), Duration(1, WD)).at == sh(2026, 10, 9, 9)


def test_a_make_up_sunday_opens_the_office() -> None:
    assert official().next_working_start(sh(2026, 9, 19, 12)) == sh(2026, 9, 20, 9)


def test_counting_working_days_over_dates() -> None:
    cal = weekdays()
    assert cal.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 9), 0) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert official().add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(date(2026, 3, 6), -1)


# --- working hours ---------------------------------------------------------------------------------


def test_working_hours_carry_over_the_weekend() -> None:
    assert weekdays().add_working_time(sh(2026, 3, 6, 16), Duration(4, WH)).at == sh(2026, 3, 9, 11)


def test_working_hours_from_early_morning_start_at_opening() -> None:
    cal = weekdays()
    assert cal.next_working_start(sh(2026, 3, 3, 7)) == sh(2026, 3, 3, 9)
    assert cal.add_working_time(sh(2026, 3, 3, 7), Duration(2, WH)).at == sh(2026, 3, 3, 11)


def test_working_hours_from_the_evening_start_next_morning() -> None:
    assert weekdays().add_working_time(sh(2026, 3, 3, 19), Duration(2, WH)).at == sh(2026, 3, 4, 11)


def test_working_hours_that_end_at_closing_time_stay_at_closing_time() -> None:
    cal = weekdays()
    assert cal.add_working_time(sh(2026, 3, 3, 17), Duration(1, WH)).at == sh(2026, 3, 3, 18)
    assert cal.add_working_time(sh(2026, 3, 3, 9), Duration(9, WH)).at == sh(2026, 3, 3, 18)


def test_working_hours_skip_golden_week() -> None:
    assert official().add_working_time(sh(2026, 9, 30, 17), Duration(2, WH)).at == sh(2026, 10, 8, 10)


def test_working_hours_land_on_a_make_up_saturday() -> None:
    assert official().add_working_time(sh(2026, 2, 13, 17), Duration(3, WH)).at == sh(2026, 2, 14, 11)


def test_custom_office_hours_are_honoured() -> None:
    cal = weekdays(office_hours=OfficeHours.parse("08:30-17:00"))
    assert cal.next_working_start(sh(2026, 3, 3, 8)) == sh(2026, 3, 3, 8, 30)
    assert cal.add_working_time(sh(2026, 3, 3, 16), Duration(2, WH)).at == sh(2026, 3, 4, 9, 30)


def test_working_time_between_leaves_out_the_weekend() -> None:
    cal = weekdays()
    assert cal.working_time_between(sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)) == timedelta(hours=2)
    assert cal.working_time_between(sh(2026, 3, 2, 9), sh(2026, 3, 9, 9)) == timedelta(hours=45)


def test_working_time_between_leaves_out_a_holiday() -> None:
    assert official().working_time_between(sh(2026, 9, 30, 17), sh(2026, 10, 8, 10)) == timedelta(hours=2)


def test_working_time_between_is_zero_when_the_end_is_not_after_the_start() -> None:
    cal = weekdays()
    assert cal.working_time_between(sh(2026, 3, 3, 12), sh(2026, 3, 3, 12)) == timedelta(0)
    assert cal.working_time_between(sh(2026, 3, 3, 12), sh(2026, 3, 2, 12)) == timedelta(0)


@pytest.mark.parametrize("make", [weekdays, official])
def test_working_time_between_undoes_adding_working_hours(make: object) -> None:
    cal = make()  # type: ignore[operator]
    first = sh(2026, 9, 24)  # Mid-autumn, a make-up Sunday and Golden Week all fall in the next 3 weeks
    starts = [first + timedelta(minutes=37 * i) for i in range(21 * 24 * 60 // 37)]
    starts += [sh(2026, 9, 30, 9), sh(2026, 9, 30, 18), sh(2026, 10, 9, 17, 59)]
    for start in starts:
        for hours in (1, 5, 9, 10, 23):
            due = cal.add_working_time(start, Duration(hours, WH)).at
            assert cal.working_time_between(start, due) == timedelta(hours=hours), (start, hours)
            local = due.astimezone(SHANGHAI)
            assert cal.is_working_day(local.date()) and time(9) < local.time() <= time(18), (start, hours)


def test_a_working_day_from_inside_office_hours_is_one_full_office_day_of_time() -> None:
    cal = official()
    for start in (sh(2026, 9, 30, 10), sh(2026, 10, 9, 17, 30), sh(2026, 2, 13, 9)):
        due = cal.add_working_time(start, Duration(3, WD)).at
        assert cal.working_time_between(start, due) == timedelta(hours=27)


# --- calendar hours, zero amounts, misconfiguration -----------------------------------------------


def test_calendar_hours_ignore_weekends_holidays_and_unknown_years() -> None:
    cal = official()
    assert cal.add_working_time(sh(2026, 10, 2, 20), Duration(24, H)) == Deadline(sh(2026, 10, 3, 20), False)
    assert cal.add_working_time(sh(2030, 6, 1, 20), Duration(2, H)) == Deadline(sh(2030, 6, 1, 22), False)


def test_a_zero_amount_means_the_next_working_start() -> None:
    cal = weekdays()
    saturday = sh(2026, 3, 7, 10)
    assert cal.add_working_time(saturday, Duration(0, WD)).at == sh(2026, 3, 9, 9)
    assert cal.add_working_time(saturday, Duration(0, WH)).at == sh(2026, 3, 9, 9)
    assert cal.add_working_time(saturday, Duration(0, H)).at == saturday


def test_a_calendar_with_no_working_days_fails_instead_of_hanging() -> None:
    cal = WorkCalendar(NeverWorkingSource(), SHANGHAI)
    with pytest.raises(ValueError, match="no working day"):
        cal.add_working_time(sh(2026, 3, 2, 10), Duration(1, WD))


# --- start of the next working day -----------------------------------------------------------------


def test_the_start_of_the_next_working_day_skips_the_weekend_and_holidays() -> None:
    assert weekdays().start_of_working_day_after(sh(2026, 3, 6, 10)) == sh(2026, 3, 9, 9)
    assert official().start_of_working_day_after(sh(2026, 9, 30, 10)) == sh(2026, 10, 8, 9)
    assert official().start_of_working_day_after(sh(2026, 10, 9, 23)) == sh(2026, 10, 10, 9)


def test_the_start_of_the_next_working_day_is_strictly_after_today_even_before_opening() -> None:
    assert weekdays().start_of_working_day_after(sh(2026, 3, 2, 2)) == sh(2026, 3, 3, 9)


# --- years the source does not know -----------------------------------------------------------------


def test_a_deadline_running_into_an_unknown_year_falls_back_to_weekdays_and_is_provisional() -> None:
    cal = WorkCalendar(YearsOnlySource(2026), SHANGHAI)
    assert cal.add_working_time(sh(2026, 12, 30, 10), Duration(1, WD)) == (sh(2026, 12, 31, 10), False)
    # 1 January 2027 is a Friday; without data it is assumed a working day.
    assert cal.add_working_time(sh(2026, 12, 31, 10), Duration(3, WD)) == Deadline(sh(2027, 1, 5, 10), True)
    assert cal.add_working_time(sh(2026, 12, 31, 17), Duration(2, WH)) == Deadline(sh(2027, 1, 1, 10), True)


def test_the_unknown_year_is_reported_once_per_year() -> None:
    seen: list[date] = []
    cal = WorkCalendar(YearsOnlySource(2026), SHANGHAI, on_unknown=seen.append)
    for _ in range(3):
        cal.add_working_time(sh(2026, 12, 31, 10), Duration(15, WD))
        cal.is_working_day(date(2027, 6, 1))
    assert [day.year for day in seen] == [2027]
    cal.add_working_time(sh(2028, 3, 1, 10), Duration(1, WD))
    assert [day.year for day in seen] == [2027, 2028]


def test_the_real_package_does_not_crash_past_its_last_year() -> None:
    seen: list[date] = []
    cal = official(on_unknown=seen.append)
    last = max(known_years())
    deadline = cal.add_working_time(sh(last, 12, 31, 10), Duration(10, WD))
    assert deadline.provisional and deadline.at.astimezone(SHANGHAI).year == last + 1
    assert [day.year for day in seen] == [last + 1]


@pytest.mark.parametrize("start", [sh(1990, 5, 2, 10), sh(2030, 10, 1, 10)])
def test_far_past_and_far_future_dates_fall_back_to_weekdays(start: datetime) -> None:
    cal = official()
    deadline = cal.add_working_time(start, Duration(7, WD))
    assert deadline.provisional
    assert deadline.at == WorkCalendar(WeekdaySource(), SHANGHAI).add_working_time(start, Duration(7, WD)).at
    assert cal.working_time_between(start, deadline.at) == timedelta(hours=63)


def test_a_day_is_known_from_the_source_or_an_override() -> None:
    cal = official(overrides={date(2030, 1, 2): False})
    assert cal.is_known(date(2026, 10, 1))
    assert not cal.is_known(date(2030, 1, 1))
    assert cal.is_known(date(2030, 1, 2))


# --- overrides --------------------------------------------------------------------------------------


def test_an_override_can_open_the_office_on_a_holiday() -> None:
    cal = official(overrides={date(2026, 10, 5): True})
    assert cal.is_working_day(date(2026, 10, 5))
    assert cal.add_working_time(sh(2026, 9, 30, 10), Duration(1, WD)).at == sh(2026, 10, 5, 10)


def test_an_override_can_close_the_office_on_a_working_day() -> None:
    cal = official(overrides={date(2026, 10, 8): False})  # e.g. a typhoon closure
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.add_working_time(sh(2026, 9, 30, 10), Duration(1, WD)).at == sh(2026, 10, 9, 10)


def test_an_override_in_an_unknown_year_is_not_provisional() -> None:
    seen: list[date] = []
    new_year_open = {date(2027, 1, 1): True}
    cal = WorkCalendar(YearsOnlySource(2026), SHANGHAI, overrides=new_year_open, on_unknown=seen.append)
    assert cal.add_working_time(sh(2026, 12, 31, 10), Duration(1, WD)) == Deadline(sh(2027, 1, 1, 10), False)
    assert seen == []


# --- time zones ---------------------------------------------------------------------------------------


def test_results_are_in_utc_whatever_zone_the_input_is_in() -> None:
    cal = weekdays()
    due = cal.add_working_time(datetime(2026, 3, 2, 2, tzinfo=UTC), Duration(1, WD))  # 10:00 in Shanghai
    assert due.at.tzinfo is UTC and due.at == datetime(2026, 3, 3, 2, tzinfo=UTC)
    assert cal.next_working_start(datetime(2026, 3, 2, 10, tzinfo=UTC)).tzinfo is UTC
    assert cal.start_of_working_day_after(datetime(2026, 3, 1, 20, tzinfo=UTC)) == sh(2026, 3, 3, 9)


def test_a_utc_input_at_shanghai_closing_time_counts_from_the_next_morning() -> None:
    assert weekdays().next_working_start(datetime(2026, 3, 2, 10, tzinfo=UTC)) == sh(2026, 3, 3, 9)


def test_an_estate_outside_shanghai_uses_its_own_office_hours() -> None:
    cal = WorkCalendar(WeekdaySource(), BERLIN)
    start = datetime(2026, 3, 2, 10, tzinfo=BERLIN)
    assert cal.add_working_time(start, Duration(4, WH)).at == datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert cal.next_working_start(datetime(2026, 3, 2, 7, tzinfo=UTC)) == datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_working_days_keep_the_local_time_across_a_daylight_saving_change() -> None:
    cal = WorkCalendar(WeekdaySource(), BERLIN)
    friday = datetime(2026, 3, 27, 10, tzinfo=BERLIN)  # clocks go forward on Sunday 29 March
    assert cal.add_working_time(friday, Duration(1, WD)).at == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert cal.working_time_between(friday, datetime(2026, 3, 30, 10, tzinfo=BERLIN)) == timedelta(hours=9)


def test_naive_datetimes_are_refused() -> None:
    cal = weekdays()
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_time(naive, Duration(1, WD))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_time(naive, Duration(1, H))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_time_between(naive, sh(2026, 3, 3))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_working_start(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.start_of_working_day_after(naive)


def test_working_days_since_counts_as_the_ladder_adds_them() -> None:
    cal = official()
    due = sh(2026, 9, 29, 10)
    for n in range(8):
        at = cal.add_working_time(due, Duration(n, WD)).at
        assert cal.working_days_since(due, at) == n  # exactly n working days on, golden week or not
        assert cal.working_days_since(due, at - timedelta(minutes=1)) == max(n - 1, 0)
    assert cal.working_days_since(due, due - timedelta(days=3)) == 0  # not yet due
    assert cal.working_days_since(sh(2026, 3, 6, 20), sh(2026, 3, 10, 9)) == 1  # from Monday's opening
