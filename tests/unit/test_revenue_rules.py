"""The pure rules of quarterly disclosures: reconciliation, warnings, due dates, ranking."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.rules import revenue as r
from handlers.rules.revenue import Disclosure, DisclosureKind, Line, Quarter, Section, Timeliness

Q3 = Quarter(2026, 3)


def disclosure(*lines: Line, opening: int = 100_000, closing: int | None = None) -> Disclosure:
    d = Disclosure(DisclosureKind.REVENUE, Q3, "工商银行", "****1234", opening, 0, tuple(lines))
    expected = d.expected_closing_fen
    return Disclosure(
        DisclosureKind.REVENUE,
        Q3,
        "工商银行",
        "****1234",
        opening,
        expected if closing is None else closing,
        tuple(lines),
    )


INCOME = Line(Section.INCOME, "parking", 1_000_000, "合同 P-1")
SHARE = Line(Section.COST, "management_share", 150_000, "合同 §12")
FUND = Line(Section.USE, "to_maintenance_fund", 500_000)


def test_a_quarter_is_parsed_in_the_ways_people_write_it_and_refused_otherwise() -> None:
    assert Quarter.parse("2026Q3") == Quarter.parse("2026-q3") == Quarter.parse(" 2026 Q3 ") == Q3
    for bad in ("2026Q5", "Q3 2026", "2026", "", "2026Q0"):
        with pytest.raises(ValueError):
            Quarter.parse(bad)
    assert str(Q3) == "2026Q3"
    assert (Q3.first_day, Q3.last_day) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Quarter(2026, 4).next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == Quarter(2026, 4)


def test_the_due_date_is_the_15th_of_the_month_after_the_quarter_and_configurable() -> None:
    assert r.DEFAULT_RULES.due_date(Q3) == date(2026, 10, 15)
    assert r.DEFAULT_RULES.due_date(Quarter(2026, 4)) == date(2027, 1, 15)
    assert r.DisclosureRules(due_day=20).due_date(Q3) == date(2026, 10, 20)


def test_a_disclosure_that_adds_up_has_no_problems_and_its_totals_are_exact() -> None:
    d = disclosure(INCOME, SHARE, FUND)
    assert r.problems(d) == []
    assert (d.income_fen, d.costs_fen, d.net_fen, d.uses_fen) == (1_000_000, 150_000, 850_000, 500_000)
    assert d.closing_fen == 100_000 + 1_000_000 - 150_000 - 500_000


def test_a_disclosure_that_does_not_reconcile_is_refused_with_the_difference() -> None:
    d = disclosure(INCOME, SHARE, FUND, closing=450_001)
    [finding] = r.problems(d)
    assert finding.code == "does_not_reconcile"
    assert finding.params == {"expected": 450_000, "declared": 450_001, "difference": 1}


def test_duplicates_negative_amounts_unknown_items_and_undecided_spending_are_refused() -> None:
    d = disclosure(
        INCOME,
        INCOME,
        Line(Section.COST, "tax", -5),
        Line(Section.INCOME, "tax", 10),
        Line(Section.USE, "assembly_approved", 1000, reference=""),
    )
    codes = {f.code for f in r.problems(d)}
    assert {"duplicate_item", "negative_amount", "unknown_item", "use_without_decision"} <= codes
    ok = disclosure(INCOME, Line(Section.USE, "assembly_approved", 1000, reference="业主大会决议 2026-3号"))
    assert r.problems(ok) == []


def test_a_missing_dedicated_account_is_refused() -> None:
    d = Disclosure(DisclosureKind.REVENUE, Q3, "", "", 0, 0, ())
    assert [f.code for f in r.problems(d)] == ["no_account"]


def test_a_management_share_above_the_cap_is_a_warning_and_the_cap_is_configurable() -> None:
    high = Line(Section.COST, "management_share", 310_000, "合同")
    d = disclosure(INCOME, high, Line(Section.USE, "to_maintenance_fund", 400_000))
    [w] = [w for w in r.warnings(d) if w.code == "management_share_high"]
    assert w.params == {"percent": "31.0", "cap": 30}
    relaxed = r.DisclosureRules(management_share_cap=35)
    assert "management_share_high" not in {w.code for w in r.warnings(d, relaxed)}
    assert "management_share_high" not in {w.code for w in r.warnings(disclosure(INCOME, SHARE, FUND))}


def test_income_without_a_contract_and_too_little_for_the_maintenance_fund_are_warnings() -> None:
    no_contract = Line(Section.INCOME, "ads_lift", 20_000, reference=" ")
    d = disclosure(INCOME, no_contract, SHARE, Line(Section.USE, "to_maintenance_fund", 100))
    codes = {w.code for w in r.warnings(d)}
    assert {"income_without_contract", "maintenance_fund_low"} <= codes
    interest = Line(Section.INCOME, "interest", 500)  # interest has no contract to cite
    assert "income_without_contract" not in {w.code for w in r.warnings(disclosure(interest))}


def test_percentages_are_computed_exactly_and_rounded_half_up() -> None:
    assert r.percent(1, 3) == "33.3"
    assert r.percent(2, 3) == "66.7"
    assert r.percent(1, 8) == "12.5"
    assert r.percent(0, 0) == "0.0"


def test_bank_accounts_are_masked_to_the_last_four_digits() -> None:
    assert r.mask_account("6222 0210 0101 2345") == "****2345"
    assert r.mask_account("****2345") == "****2345"


@pytest.mark.parametrize(
    ("published", "today", "expected"),
    [
        (date(2026, 10, 15), date(2026, 11, 1), Timeliness.ON_TIME),
        (date(2026, 10, 16), date(2026, 11, 1), Timeliness.LATE),
        (None, date(2026, 10, 16), Timeliness.MISSING),
        (None, date(2026, 10, 15), Timeliness.PENDING),
    ],
)
def test_timeliness_against_the_due_date(published: date | None, today: date, expected: Timeliness) -> None:
    assert r.timeliness(date(2026, 10, 15), published, today) is expected


def test_changes_between_revisions_list_every_amount_that_moved() -> None:
    before = disclosure(INCOME, SHARE, FUND)
    after = disclosure(Line(Section.INCOME, "parking", 1_000_100, "合同 P-1"), SHARE, FUND)
    assert r.changes(before, after) == [("parking", 1_000_000, 1_000_100), ("closing", 450_000, 450_100)]
    assert r.changes(before, before) == []


def test_ranking_orders_by_on_time_rate_and_ignores_quarters_not_yet_due() -> None:
    T, L, M, P = Timeliness.ON_TIME, Timeliness.LATE, Timeliness.MISSING, Timeliness.PENDING
    quarters = [Quarter(2026, q) for q in (1, 2, 3)]
    records = [
        *(r.Record(1, 10, q, s) for q, s in zip(quarters, (T, T, P), strict=True)),  # 2/2
        *(r.Record(2, 10, q, s) for q, s in zip(quarters, (T, L, M), strict=True)),  # 1/3
        *(r.Record(3, 20, q, s) for q, s in zip(quarters, (T, T, L), strict=True)),  # 2/3
    ]
    estates = r.ranking(records, "estate")
    assert [(x.subject_id, x.on_time, x.due) for x in estates] == [(1, 2, 2), (3, 2, 3), (2, 1, 3)]
    companies = r.ranking(records, "company")
    assert [(x.subject_id, x.on_time, x.due) for x in companies] == [(20, 2, 3), (10, 3, 5)]


def test_maintenance_fund_and_shared_utilities_disclosures_reconcile_the_same_way() -> None:
    fund = Disclosure(
        DisclosureKind.MAINTENANCE_FUND,
        Q3,
        "建设银行",
        "****9999",
        5_000_000,
        5_000_000 + 800_000 + 20_000 - 300_000,
        (
            Line(Section.INCOME, "owner_deposits", 800_000),
            Line(Section.INCOME, "fund_interest", 20_000),
            Line(Section.USE, "repairs_approved", 300_000, "业主大会决议 2026-5号"),
        ),
    )
    assert r.problems(fund) == []
    utilities = Disclosure(
        DisclosureKind.SHARED_UTILITIES,
        Q3,
        "建设银行",
        "****9999",
        0,
        1_000,
        (
            Line(Section.INCOME, "collected_from_owners", 51_000),
            Line(Section.COST, "lift_power", 30_000),
            Line(Section.COST, "common_power", 20_000),
        ),
    )
    assert r.problems(utilities) == []
    assert [w.code for w in r.warnings(utilities)] == ["collected_more_than_paid"]
    parking_in_fund = Disclosure(
        DisclosureKind.MAINTENANCE_FUND, Q3, "b", "****1", 0, 5, (Line(Section.INCOME, "parking", 5),)
    )
    assert [f.code for f in r.problems(parking_in_fund)] == ["unknown_item"]


def test_reminder_days_count_back_working_days() -> None:
    due = date(2026, 10, 15)  # a Thursday
    working = [date(2026, 10, d) for d in (8, 9, 12, 13, 14)]  # 10, 11 a weekend (调休 aside)
    assert r.reminder_days(due, (5, 1), working) == {5: date(2026, 10, 8), 1: date(2026, 10, 14)}
