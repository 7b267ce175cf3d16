"""Quarterly disclosures of an estate's money (公共收益, 专项维修资金, 公摊水电): pure rules.

Amounts are integer fen. A disclosure reconciles when opening + income − costs − uses = closing;
otherwise it is refused with the difference. Warnings do not stop publication but are shown in
the preview and to owners. Codes only: labels live with the conversations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DisclosureKind(StrEnum):
    REVENUE = "revenue"  # 公共收益
    MAINTENANCE_FUND = "maintenance_fund"  # 专项维修资金
    SHARED_UTILITIES = "shared_utilities"  # 公摊水电


class DisclosureStatus(StrEnum):
    """Where a disclosure stands: a draft until published, or discarded for a newer draft."""

    DRAFT = "draft"
    PUBLISHED = "published"
    DISCARDED = "discarded"


class Section(StrEnum):
    INCOME = "income"
    COST = "cost"
    USE = "use"


# What each kind of disclosure may hold, per section, in the order it is shown.
ITEMS: dict[DisclosureKind, dict[Section, tuple[str, ...]]] = {
    DisclosureKind.REVENUE: {
        Section.INCOME: (
            "parking",  # parking on common land
            "ads_lift",
            "ads_hall",
            "ads_corridor",
            "ads_wall",
            "ads_barrier",
            "venue_rent",
            "express_lockers",
            "vending",
            "base_station",
            "interest",
            "other_income",
        ),
        Section.COST: ("tax", "energy", "labour", "management_share", "other_cost"),
        Section.USE: ("to_maintenance_fund", "assembly_approved"),
    },
    DisclosureKind.MAINTENANCE_FUND: {
        Section.INCOME: ("owner_deposits", "revenue_transfer", "fund_interest", "other_income"),
        Section.COST: ("bank_fees", "other_cost"),
        Section.USE: ("repairs_approved",),
    },
    DisclosureKind.SHARED_UTILITIES: {
        Section.INCOME: ("collected_from_owners", "other_income"),
        Section.COST: ("common_power", "lift_power", "pump_water", "common_water", "other_cost"),
        Section.USE: (),
    },
}

# Uses that spend owners' money need the owners' assembly decision (业主大会决定) they rest on.
NEEDS_DECISION = frozenset({"assembly_approved", "repairs_approved"})
# Income from a contract (a lease, an advertising deal, a base-station agreement) should cite it.
NEEDS_CONTRACT = frozenset(
    {
        "parking",
        "ads_lift",
        "ads_hall",
        "ads_corridor",
        "ads_wall",
        "ads_barrier",
        "venue_rent",
        "express_lockers",
        "vending",
        "base_station",
    }
)


def section_of(kind: DisclosureKind, item: str) -> Section | None:
    for section, items in ITEMS[kind].items():
        if item in items:
            return section
    return None


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q3', '2026-Q3', '2026 q3' → Quarter(2026, 3); ValueError otherwise."""
        m = re.fullmatch(r"\s*(\d{4})\s*[-_ ]?\s*[Qq]\s*([1-4])\s*", text or "")
        if m is None:
            raise ValueError(f"not a quarter: {text!r} (write it like 2026Q3)")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def last_day(self) -> date:
        nxt = self.next()
        return date.fromordinal(nxt.first_day.toordinal() - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class DisclosureRules:
    """Configurable figures; defaults from Shanghai's 2025 rule, the most precise found."""

    due_day: int = 15  # of the first month after the quarter
    management_share_cap: int = 30  # percent of income the company may keep as its agreed share
    maintenance_fund_min: int = 50  # percent of net revenue that should go to the maintenance fund
    remind_days_before: tuple[int, ...] = (5, 1)  # working days before the due date

    def due_date(self, quarter: Quarter) -> date:
        after = quarter.next().first_day
        return after.replace(day=min(max(self.due_day, 1), 28))


DEFAULT_RULES = DisclosureRules()


@dataclass(frozen=True)
class Line:
    section: Section
    item: str
    amount_fen: int
    reference: str = ""  # contract for income, owners' assembly decision for a use
    note: str = ""


@dataclass(frozen=True)
class Disclosure:
    kind: DisclosureKind
    quarter: Quarter
    account_bank: str
    account_number: str  # stored masked
    opening_fen: int
    closing_fen: int
    lines: tuple[Line, ...] = ()

    def total(self, section: Section) -> int:
        return sum(line.amount_fen for line in self.lines if line.section is section)

    @property
    def income_fen(self) -> int:
        return self.total(Section.INCOME)

    @property
    def costs_fen(self) -> int:
        return self.total(Section.COST)

    @property
    def net_fen(self) -> int:
        return self.income_fen - self.costs_fen

    @property
    def uses_fen(self) -> int:
        return self.total(Section.USE)

    @property
    def expected_closing_fen(self) -> int:
        return self.opening_fen + self.income_fen - self.costs_fen - self.uses_fen

    @property
    def difference_fen(self) -> int:
        """Declared closing minus what the lines add up to; 0 when it reconciles."""
        return self.closing_fen - self.expected_closing_fen

    def amount(self, item: str) -> int:
        return sum(line.amount_fen for line in self.lines if line.item == item)


@dataclass(frozen=True)
class Finding:
    """A problem (refuses publication) or a warning (shown, does not refuse); codes and numbers only."""

    code: str
    params: dict[str, object] = field(default_factory=dict)


def mask_account(number: str) -> str:
    """Keep the last four digits of a bank account: '6222 0210 0101 2345' → '****2345'."""
    digits = re.sub(r"\D", "", number or "")
    if not digits:
        return (number or "").strip()
    return "****" + digits[-4:]


def problems(d: Disclosure) -> list[Finding]:
    """Why a disclosure may not be published; empty when it may."""
    found: list[Finding] = []
    if not d.account_bank.strip() or not d.account_number.strip():
        found.append(Finding("no_account"))
    seen: set[tuple[Section, str]] = set()
    for line in d.lines:
        if section_of(d.kind, line.item) is not line.section:
            found.append(Finding("unknown_item", {"item": line.item, "section": line.section.value}))
        if line.amount_fen < 0:
            found.append(Finding("negative_amount", {"item": line.item}))
        if (line.section, line.item) in seen:
            found.append(Finding("duplicate_item", {"item": line.item}))
        seen.add((line.section, line.item))
        if line.item in NEEDS_DECISION and line.amount_fen > 0 and not line.reference.strip():
            found.append(Finding("use_without_decision", {"item": line.item}))
    if d.difference_fen != 0:
        found.append(
            Finding(
                "does_not_reconcile",
                {
                    "expected": d.expected_closing_fen,
                    "declared": d.closing_fen,
                    "difference": d.difference_fen,
                },
            )
        )
    if d.closing_fen < 0:
        found.append(Finding("negative_balance", {"closing": d.closing_fen}))
    return found


def warnings(d: Disclosure, rules: DisclosureRules = DEFAULT_RULES) -> list[Finding]:
    """What owners and officials should look at twice; publication goes ahead."""
    found: list[Finding] = []
    if d.kind is DisclosureKind.REVENUE:
        share = d.amount("management_share")
        if d.income_fen > 0 and share * 100 > d.income_fen * rules.management_share_cap:
            found.append(
                Finding(
                    "management_share_high",
                    {"percent": percent(share, d.income_fen), "cap": rules.management_share_cap},
                )
            )
        fund = d.amount("to_maintenance_fund")
        if d.net_fen > 0 and fund * 100 < d.net_fen * rules.maintenance_fund_min:
            found.append(
                Finding(
                    "maintenance_fund_low",
                    {"percent": percent(fund, d.net_fen), "minimum": rules.maintenance_fund_min},
                )
            )
        if d.net_fen < 0:
            found.append(Finding("costs_exceed_income", {"loss": -d.net_fen}))
    for line in d.lines:
        if line.item in NEEDS_CONTRACT and line.amount_fen > 0 and not line.reference.strip():
            found.append(Finding("income_without_contract", {"item": line.item}))
    if d.kind is DisclosureKind.SHARED_UTILITIES and d.income_fen > d.costs_fen:
        found.append(Finding("collected_more_than_paid", {"excess": d.income_fen - d.costs_fen}))
    return found


def percent(part: int, whole: int) -> str:
    """A percentage with one decimal, computed exactly ('33.3')."""
    if whole == 0:
        return "0.0"
    tenths = (part * 1000 * 2 + whole) // (2 * whole)  # round half up, integers only
    return f"{tenths // 10}.{tenths % 10}"


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # due date passed, nothing published
    PENDING = "pending"  # not due yet, nothing published


def timeliness(due: date, published_on: date | None, today: date) -> Timeliness:
    if published_on is not None:
        return Timeliness.ON_TIME if published_on <= due else Timeliness.LATE
    return Timeliness.MISSING if today > due else Timeliness.PENDING


def changes(before: Disclosure, after: Disclosure) -> list[tuple[str, int, int]]:
    """What a revision changed: (item or field, old fen, new fen) for every amount that differs."""
    out: list[tuple[str, int, int]] = []
    if before.opening_fen != after.opening_fen:
        out.append(("opening", before.opening_fen, after.opening_fen))
    keys: list[tuple[Section, str]] = []
    for line in (*before.lines, *after.lines):
        if (line.section, line.item) not in keys:
            keys.append((line.section, line.item))
    old = {(x.section, x.item): x.amount_fen for x in before.lines}
    new = {(x.section, x.item): x.amount_fen for x in after.lines}
    for key in keys:
        if old.get(key, 0) != new.get(key, 0):
            out.append((key[1], old.get(key, 0), new.get(key, 0)))
    if before.closing_fen != after.closing_fen:
        out.append(("closing", before.closing_fen, after.closing_fen))
    return out


@dataclass(frozen=True)
class Record:
    """One estate's result for one quarter, for the ranking."""

    estate_id: int
    company_id: int
    quarter: Quarter
    status: Timeliness


@dataclass(frozen=True)
class Rank:
    subject_id: int
    on_time: int
    due: int  # quarters whose due date has passed (or that were published)


def ranking(records: Iterable[Record], by: str = "estate") -> list[Rank]:
    """On-time rate per estate or company, best first; quarters not yet due are not counted."""
    tallies: dict[int, list[int]] = {}
    for r in records:
        if r.status is Timeliness.PENDING:
            continue
        subject = r.estate_id if by == "estate" else r.company_id
        tally = tallies.setdefault(subject, [0, 0])
        tally[1] += 1
        if r.status is Timeliness.ON_TIME:
            tally[0] += 1
    ranks = [Rank(subject, t[0], t[1]) for subject, t in tallies.items()]
    # Exact comparison of rates a/b by cross-multiplication; ties broken by more quarters, then id.
    from functools import cmp_to_key

    def compare(a: Rank, b: Rank) -> int:
        left, right = a.on_time * b.due, b.on_time * a.due
        if left != right:
            return -1 if left > right else 1
        if a.due != b.due:
            return -1 if a.due > b.due else 1
        return -1 if a.subject_id < b.subject_id else (1 if a.subject_id > b.subject_id else 0)

    return sorted(ranks, key=cmp_to_key(compare))


def reminder_days(due: date, working_days_before: Sequence[int], working: Iterable[date]) -> dict[int, date]:
    """For each 'n working days before the due date', the day it falls on, from the working days
    given (ascending, before the due date)."""
    days = sorted(d for d in working if d < due)
    out: dict[int, date] = {}
    for n in working_days_before:
        if 0 < n <= len(days):
            out[n] = days[-n]
    return out
