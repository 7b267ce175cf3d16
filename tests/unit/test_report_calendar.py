"""The report calendar's rules: due days moved off holidays (the Spring Festival of 2026, a weekend, a
holiday right after the period), the draft three working days before, the cycle due at a moment, and the
setup file's `reports:` lines refused with one line naming the problem."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.holidays import ChineseCalendarSource
from bot.setup_file import read_setup
from handlers.rules.periods import Period
from handlers.rules.report_calendar import (
    DEFAULT_SCHEDULES,
    Cadence,
    ReportKind,
    Schedule,
    ScheduleError,
    current_cycle,
    cycle,
    due_cycles,
    schedule_from,
)
from handlers.rules.worktime import OfficeHours, WorkCalendar
from handlers.services.setup_document import SetupError, validate

SH = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar(ChineseCalendarSource(), SH, OfficeHours.parse("09:00-18:00"))
STREET, BUREAU = DEFAULT_SCHEDULES


def test_the_defaults_are_the_street_offices_by_the_20th_and_the_bureau_by_the_23rd() -> None:
    assert [(s.office_kind, s.report, s.due) for s in DEFAULT_SCHEDULES] == [
        ("street", ReportKind.LEDGER, 20),
        ("bureau", ReportKind.LEDGER, 23),
    ]


def test_a_due_day_in_the_spring_festival_moves_to_the_working_day_before_a_make_up_saturday() -> None:
    # 2026: 15–23 February off; Saturday the 14th a make-up working day (调休)
    january = Period.month(2026, 1)
    street, bureau = cycle(CALENDAR, STREET, january), cycle(CALENDAR, BUREAU, january)
    assert (street.nominal, street.due_on) == (date(2026, 2, 20), date(2026, 2, 14))
    assert (bureau.nominal, bureau.due_on) == (date(2026, 2, 23), date(2026, 2, 14))
    # three working days before the 14th: the 13th, 12th and 11th
    assert street.draft_on == date(2026, 2, 11)
    assert street.draft_at == datetime(2026, 2, 11, 9, tzinfo=SH)
    assert street.send_at == datetime(2026, 2, 14, 18, tzinfo=SH)


def test_a_due_day_on_a_sunday_moves_to_the_friday_and_the_draft_counts_working_days() -> None:
    november = Period.month(2026, 11)
    street, bureau = cycle(CALENDAR, STREET, november), cycle(CALENDAR, BUREAU, november)
    assert (street.due_on, street.draft_on) == (date(2026, 12, 18), date(2026, 12, 15))  # 20th: a Sunday
    assert (bureau.due_on, bureau.draft_on) == (date(2026, 12, 23), date(2026, 12, 18))  # over the weekend


def test_a_holiday_right_after_the_period_moves_the_due_day_after_it_never_into_the_period() -> None:
    early = Schedule("street", ReportKind.LEDGER, 3)  # September's, due 3 October: National Day
    september = cycle(CALENDAR, early, Period.month(2026, 9))
    assert september.due_on == date(2026, 10, 8)  # not 30 September, before the month is over
    assert september.draft_on == date(2026, 10, 8)  # no working day between the month's end and it
    assert september.draft_at < september.send_at


def test_the_cycle_due_is_the_last_periods_once_its_draft_day_has_come() -> None:
    before = current_cycle(CALENDAR, STREET, datetime(2026, 12, 15, 8, 59, tzinfo=SH))
    at = current_cycle(CALENDAR, STREET, datetime(2026, 12, 15, 9, 0, tzinfo=SH))
    assert str(before.period) == "2026-10" and str(at.period) == "2026-11"
    assert str(current_cycle(CALENDAR, STREET, datetime(2027, 1, 2, 9, tzinfo=SH)).period) == "2026-11"


# ---- the setup file ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"office": "department", "report": "ledger", "due": 20}, "office", "'department' is not an office"),
        ({"office": "street", "report": "rent", "due": 20}, "report", "'rent' is not a report"),
        ({"office": "street", "report": "ledger", "due": 29}, "due", "from 1 to 28 (it is 29)"),
        ({"office": "street", "report": "ledger", "due": 0}, "due", "from 1 to 28 (it is 0)"),
        ({"office": "street", "report": "ledger", "due": True}, "due", "(it is True)"),
        ({"office": "street", "report": "ledger", "due": "20"}, "due", "(it is '20')"),
    ],
)
def test_a_schedule_that_cannot_be_names_its_field(data: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule_from(data)
    assert caught.value.field == field and message in str(caught.value)


def setup_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "reports:\n  - {office: street, report: ledger, due: 20}\n"
            "  - {office: street, report: ledger, due: 25}\n",
            "line 3: reports.report: duplicate 'street ledger' (first on line 2)",
        ),
        (
            "reports:\n  - office: district\n    report: ledger\n    due: 20\n",
            "line 2: reports.office: 'district' is not an office kind that sends reports "
            "(community, street, bureau)",
        ),
        (
            "reports:\n  - {office: bureau, report: ledger, due: 31}\n",
            "line 2: reports.due: the day of the month after the month, from 1 to 28 (it is 31)",
        ),
        ("reports:\n  - {office: bureau, report: ledger}\n", "line 2: reports.due: missing"),
        (
            "reports:\n  - {office: bureau, report: ledger, due: 5, day: 3}\n",
            "line 2: reports.day: unknown field",
        ),
    ],
)
def test_a_bad_reports_line_is_one_line_naming_the_problem(tmp_path: Path, text: str, expected: str) -> None:
    doc = read_setup(setup_file(tmp_path, text))
    with pytest.raises(SetupError) as caught:
        validate(doc)
    assert str(caught.value) == expected


def test_a_good_reports_section_passes(tmp_path: Path) -> None:
    text = (
        "reports:\n  - {office: street, report: ledger, due: 15}\n"
        "  - {office: community, report: ledger, due: 10}\n"
    )
    doc = read_setup(setup_file(tmp_path, text))
    validate(doc)
    assert [schedule_from(e.data).due for e in doc["reports"]] == [15, 10]


# ---- quarters -------------------------------------------------------------------------------------------
QUARTERLY = Schedule("street", ReportKind.LEDGER, 5, Cadence.QUARTER)


def test_a_quarters_due_day_on_qingming_moves_to_the_friday_and_the_draft_waits_for_the_quarters_end() -> (
    None
):
    first = cycle(CALENDAR, QUARTERLY, Period.quarter(2026, 1))
    assert (first.nominal, first.due_on) == (date(2026, 4, 5), date(2026, 4, 3))  # 4–6 April off
    assert first.draft_on == date(2026, 4, 1)  # only two working days after the quarter: the first one
    third = cycle(CALENDAR, QUARTERLY, Period.quarter(2026, 3))
    assert third.due_on == date(2026, 10, 8)  # National Day right after the quarter: after it, not back


def test_the_quarterly_cycle_due_is_the_last_quarters_once_its_draft_day_has_come() -> None:
    assert str(current_cycle(CALENDAR, QUARTERLY, datetime(2026, 3, 31, 18, tzinfo=SH)).period) == "2025Q4"
    assert str(current_cycle(CALENDAR, QUARTERLY, datetime(2026, 4, 1, 9, tzinfo=SH)).period) == "2026Q1"


def test_a_bot_catches_up_at_most_a_year_of_periods_newest_first() -> None:
    months = [str(c.period) for c in due_cycles(CALENDAR, STREET, datetime(2026, 12, 15, 9, tzinfo=SH))]
    assert months[:3] == ["2026-11", "2026-10", "2026-09"] and len(months) == 12
    quarters = [str(c.period) for c in due_cycles(CALENDAR, QUARTERLY, datetime(2026, 12, 7, 9, tzinfo=SH))]
    assert quarters == ["2026Q3", "2026Q2", "2026Q1", "2025Q4"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"office": "street", "report": "ledger", "due": 25, "every": "year"}, "every", "'year' is not how"),
        ({"office": "street", "report": "ledger", "due": 29, "every": "quarter"}, "due", "after the quarter"),
    ],
)
def test_a_quarterly_line_that_cannot_be_names_its_field(
    data: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule_from(data)
    assert caught.value.field == field and message in str(caught.value)


def test_a_monthly_and_a_quarterly_line_of_one_office_kind_may_stand_together_but_not_twice(
    tmp_path: Path,
) -> None:
    both = (
        "reports:\n  - {office: street, report: ledger, due: 20}\n"
        "  - {office: street, report: ledger, due: 25, every: quarter}\n"
    )
    doc = read_setup(setup_file(tmp_path, both))
    validate(doc)
    found = [schedule_from(e.data) for e in doc["reports"]]
    assert [(s.cadence, s.due) for s in found] == [(Cadence.MONTH, 20), (Cadence.QUARTER, 25)]
    assert found[1].as_dict() == {"office": "street", "report": "ledger", "due": 25, "every": "quarter"}
    twice = both + "  - {office: street, report: ledger, due: 10, every: quarter}\n"
    with pytest.raises(SetupError) as caught:
        validate(read_setup(setup_file(tmp_path, twice)))
    assert str(caught.value) == (
        "line 4: reports.report: duplicate 'street ledger every quarter' (first on line 3)"
    )
    bad = "reports:\n  - {office: street, report: ledger, due: 25, every: year}\n"
    with pytest.raises(SetupError) as refused:
        validate(read_setup(setup_file(tmp_path, bad)))
    assert str(refused.value) == (
        "line 2: reports.every: 'year' is not how often a report is due (known: month, quarter)"
    )
