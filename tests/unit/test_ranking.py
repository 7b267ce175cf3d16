"""Rates, the ranking that leaves small samples unranked, reporting periods, and the minimum sample as
the setup file sets it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.documents.setup_file import SetupFileError, read_setup
from handlers.rules.periods import Period
from handlers.rules.ranking import Rate, check_min_sample, rank
from handlers.services.setup_document import SetupError, validate

SH = ZoneInfo("Asia/Shanghai")


# ---- ranking ----------------------------------------------------------------------------------------
def test_ranked_by_rate_then_by_more_cases() -> None:
    ranking = rank([("a", Rate(8, 10)), ("b", Rate(9, 10)), ("c", Rate(16, 20)), ("d", Rate(5, 5))])
    assert [(p.position, p.subject) for p in ranking.ranked] == [(1, "d"), (2, "b"), (3, "c"), (4, "a")]
    assert ranking.unranked == []


def test_one_of_one_is_shown_but_never_ranked_first() -> None:
    ranking = rank([("lucky", Rate(1, 1)), ("steady", Rate(9, 10)), ("new", Rate(0, 0)), ("few", Rate(3, 4))])
    assert [(p.position, p.subject) for p in ranking.ranked] == [(1, "steady")]
    assert [(p.position, p.subject, p.rate.cases) for p in ranking.unranked] == [
        (None, "few", 4),
        (None, "lucky", 1),
        (None, "new", 0),
    ]


def test_equal_rates_over_equal_cases_share_a_place_in_the_order_given() -> None:
    ranking = rank([("x", Rate(4, 5)), ("y", Rate(5, 5)), ("z", Rate(8, 10)), ("w", Rate(4, 5))])
    assert [(p.position, p.subject) for p in ranking.ranked] == [(1, "y"), (2, "z"), (3, "x"), (3, "w")]


def test_rates_are_compared_exactly_not_as_rounded_percentages() -> None:
    close = rank([("a", Rate(666, 1000)), ("b", Rate(2, 3, 1))])
    assert [p.subject for p in close.ranked] == ["b", "a"]  # 0.6667 > 0.666, both shown as 67%
    assert Rate(2, 3).percent == Rate(666, 1000).percent == 67


def test_the_minimum_sample_travels_with_the_rate() -> None:
    assert Rate(1, 1, min_sample=1).ranked and not Rate(1, 1).ranked
    assert not Rate(0, 0, min_sample=1).ranked  # no case is never a rate
    with pytest.raises(ValueError):
        Rate(3, 2)


# ---- the minimum sample in the setup file -------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "5", None, 10_001])
def test_a_minimum_sample_that_is_not_a_whole_number_from_one_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="must be a whole number from 1"):
        check_min_sample(bad)


def setup_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_setup_file_sets_the_minimum_sample_as_one_mapping(tmp_path: Path) -> None:
    doc = read_setup(setup_file(tmp_path, "calendar:\nsupervision: {min_sample: 3}\n"))
    validate(doc)
    [entry] = doc["supervision"]
    assert (entry.data, entry.line_of("min_sample")) == ({"min_sample": 3}, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "supervision:\n  min_sample: 0\n",
            "line 2: supervision.min_sample: must be a whole number from 1 to 10000 (it is 0)",
        ),
        (
            "supervision: {min_sample: -3}\n",
            "line 1: supervision.min_sample: must be a whole number from 1 to 10000 (it is -3)",
        ),
        ("supervision:\n  min_samples: 5\n", "line 2: supervision.min_samples: unknown field"),
    ],
)
def test_a_bad_minimum_sample_is_one_line_naming_the_field(tmp_path: Path, text: str, expected: str) -> None:
    doc = read_setup(setup_file(tmp_path, text))
    with pytest.raises(SetupError) as caught:
        validate(doc)
    assert str(caught.value) == expected


def test_supervision_written_as_a_list_is_refused_with_the_form_to_use(tmp_path: Path) -> None:
    path = setup_file(tmp_path, "supervision:\n  - min_sample: 5\n")
    with pytest.raises(SetupFileError) as caught:
        read_setup(path)
    assert str(caught.value) == f"{path}:2: supervision: must be a mapping like `min_sample: 5`"


# ---- periods ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "first", "last", "written"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("2026年2月", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
        ("2026年第三季度", date(2026, 7, 1), date(2026, 9, 30), "2026Q3"),
        ("2026年第4季度", date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15), "2026-11-01..2026-11-15"),
        ("2026-12-25 至 2027-01-03", date(2026, 12, 25), date(2027, 1, 3), "2026-12-25..2027-01-03"),
    ],
)
def test_a_period_is_a_month_a_quarter_or_a_run_of_days(
    text: str, first: date, last: date, written: str
) -> None:
    period = Period.parse(text)
    assert (period.first, period.last, str(period)) == (first, last, written)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026Q5",
        "2026年第五季度",
        "2026年第0季度",
        "2026-11-31..2026-12-01",
        "2026-12-01..2026-11-01",
        "next month",
        "",
    ],
)
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_a_quarter_spans_shanghai_midnights() -> None:
    start, end = Period.quarter(2026, 4).span(SH)
    assert (start, end) == (datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
