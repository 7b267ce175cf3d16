"""How disclosures read in each language: item names, findings, file problems, summaries."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.conversations import labels
from handlers.ports import Translator
from handlers.rules import revenue as rules
from handlers.services.revenue_import import FileProblem
from handlers.text import N_

ITEM_LABELS: dict[str, str] = {
    "parking": N_("Parking on common land"),
    "ads_lift": N_("Advertising in lifts"),
    "ads_hall": N_("Advertising in halls"),
    "ads_corridor": N_("Advertising in corridors"),
    "ads_wall": N_("Advertising on outer walls"),
    "ads_barrier": N_("Advertising on barrier arms"),
    "venue_rent": N_("Venue and premises rent"),
    "express_lockers": N_("Express lockers"),
    "vending": N_("Water and vending machines"),
    "base_station": N_("Telecom base stations"),
    "interest": N_("Interest"),
    "other_income": N_("Other income"),
    "tax": N_("Tax"),
    "energy": N_("Energy"),
    "labour": N_("Labour"),
    "management_share": N_("The company's agreed management share"),
    "other_cost": N_("Other costs"),
    "to_maintenance_fund": N_("Transfer to the maintenance fund"),
    "assembly_approved": N_("Spending approved by the owners' assembly"),
    "owner_deposits": N_("Owners' deposits"),
    "revenue_transfer": N_("Transfer from public revenue"),
    "fund_interest": N_("Interest on the fund"),
    "bank_fees": N_("Bank fees"),
    "repairs_approved": N_("Repairs approved by the owners' assembly"),
    "collected_from_owners": N_("Collected from owners"),
    "common_power": N_("Electricity of common areas"),
    "lift_power": N_("Electricity of lifts"),
    "pump_water": N_("Water pumps"),
    "common_water": N_("Water of common areas"),
}
SECTION_LABELS: dict[str, str] = {
    "income": N_("Income"),
    "cost": N_("Costs"),
    "use": N_("Use of the money"),
}
KIND_LABELS: dict[str, str] = {
    "revenue": N_("Public revenue"),
    "maintenance_fund": N_("Maintenance fund"),
    "shared_utilities": N_("Shared water and power"),
}
# A quarter as people write it: "Q3 2026", 2026年第三季度 (the files keep the compact 2026Q3).
QUARTER_LABELS: dict[int, str] = {
    1: N_("Q1 {year}"),
    2: N_("Q2 {year}"),
    3: N_("Q3 {year}"),
    4: N_("Q4 {year}"),
}
FIELD_LABELS: dict[str, str] = {
    "quarter": N_("Quarter"),
    "kind": N_("Kind"),
    "bank": N_("Account bank"),
    "account": N_("Dedicated account number"),
    "opening": N_("Opening balance"),
    "closing": N_("Closing balance"),
    "code": N_("Code"),
    "section": N_("Section"),
    "item": N_("Item"),
    "amount": N_("Amount (yuan)"),
    "reference": N_("Contract / decision"),
    "note": N_("Note"),
}
TIMELINESS: dict[str, str] = {
    "on_time": N_("published on time"),
    "late": N_("published late"),
    "missing": N_("not published, overdue"),
    "pending": N_("not published yet"),
}
FINDINGS: dict[str, str] = {
    "no_account": N_("The dedicated account (bank and number) is missing."),
    "unknown_item": N_("“{item}” is not an item of this disclosure."),
    "negative_amount": N_("The amount of “{item}” is negative."),
    "duplicate_item": N_("“{item}” appears twice."),
    "use_without_decision": N_(
        "“{item}” needs the owners' assembly decision it rests on (column reference)."
    ),
    "does_not_reconcile": N_(
        "It does not add up: opening + income − costs − uses = {expected}, but the closing balance "
        "says {declared} (difference {difference})."
    ),
    "negative_balance": N_("The closing balance is negative: {closing}."),
    "management_share_high": N_(
        "The company's management share is {percent}% of income, above the agreed cap of {cap}%."
    ),
    "maintenance_fund_low": N_(
        "Only {percent}% of net revenue goes to the maintenance fund; at least {minimum}% is expected."
    ),
    "costs_exceed_income": N_("Costs exceed income by {loss}."),
    "income_without_contract": N_("“{item}” names no contract."),
    "collected_more_than_paid": N_(
        "{excess} more was collected from owners than was paid for water and power."
    ),
}
MONEY_PARAMS = frozenset({"expected", "declared", "difference", "closing", "loss", "excess"})
FILE_PROBLEMS: dict[str, str] = {
    "too_large": N_("The file is {size} MB; the limit is {limit} MB. Nothing was read."),
    "not_a_spreadsheet": N_("This is not a spreadsheet. Send the filled template as .xlsx or .csv."),
    "formula": N_("Cell {column}{row} holds a formula ({formula}). Please type the amount itself."),
    "encoding": N_("The CSV file is neither UTF-8 nor GB18030/GBK text."),
    "empty": N_("The file is empty."),
    "too_many_rows": N_("The file has more than {maximum} rows."),
    "no_table_header": N_("No table header found: a row must name the columns {columns}."),
    "missing_column": N_("Row {row}: the column “{name}” is missing or was renamed."),
    "missing_field": N_("“{name}” is missing (row {row})."),
    "bad_kind": N_("Row {row}, column {column}: “{value}” is not a kind of disclosure."),
    "wrong_kind": N_("Row {row}, column {column}: this upload expects a {expected} disclosure."),
    "bad_quarter": N_("Row {row}, column {column}: “{value}” is not a quarter; write it like 2026Q3."),
    "wrong_quarter": N_("Row {row}, column {column}: the file is for {value}, but {expected} was expected."),
    "quarter_not_over": N_("Row {row}, column {column}: {value} is not over yet."),
    "amount_text": N_("Row {row}, column {column}: “{value}” is not an amount."),
    "amount_grouping": N_(
        "Row {row}, column {column}: “{value}” has its thousands separators in the wrong places "
        "(write it like 1,234.56 or 1234.56)."
    ),
    "total_mismatch": N_(
        "Row {row}, column {column}: the total {value} is not the sum of the lines above it ({sum}). "
        "Correct it, or delete the total row."
    ),
    "too_many_columns": N_("The file has more than {maximum} columns."),
    "too_long_cell": N_("Row {row}: a cell holds more than {maximum} characters."),
    "too_complex": N_(
        "The file is too large or too complex to read. Send the filled template itself (.xlsx or .csv)."
    ),
    "amount_negative": N_("Row {row}, column {column}: the amount {value} is negative."),
    "amount_precision": N_("Row {row}, column {column}: {value} has more than two decimals (fen)."),
    "missing_code": N_("Row {row}, column {column}: an amount without an item code."),
    "unknown_item": N_("Row {row}, column {column}: “{value}” is not a known item."),
    "duplicate_item": N_("Row {row}, column {column}: “{value}” appears again (first in row {first})."),
}


def item_label(tr: Translator, item: str) -> str:
    return tr.gettext(ITEM_LABELS[item]) if item in ITEM_LABELS else item


def finding_text(tr: Translator, f: rules.Finding) -> str:
    template = FINDINGS.get(f.code)
    if template is None:
        return f.code
    params: dict[str, object] = {}
    for key, value in f.params.items():
        if key == "item":
            params[key] = item_label(tr, str(value))
        elif key in MONEY_PARAMS and isinstance(value, int):
            params[key] = tr.format_money(value)
        else:
            params[key] = value
    return tr.gettext(template).format(**params)


def file_problem_text(tr: Translator, p: FileProblem) -> str:
    template = FILE_PROBLEMS.get(p.code)
    if template is None:
        return p.code
    params: dict[str, object] = {"row": p.row if p.row is not None else "—", "column": p.column or "—"}
    for key, value in p.params.items():
        params[key] = (
            tr.gettext(FIELD_LABELS[str(value)]) if key == "name" and value in FIELD_LABELS else value
        )
    return tr.gettext(template).format(**params)


def figures_text(tr: Translator, d: rules.Disclosure) -> str:
    """The disclosure as a statement: account, opening, each line by section, net, closing."""
    money = tr.format_money
    out = [
        tr.gettext("Dedicated account: {bank} {number}").format(bank=d.account_bank, number=d.account_number),
        tr.gettext("Opening balance: {amount}").format(amount=money(d.opening_fen)),
    ]
    for section in rules.Section:
        lines = [x for x in d.lines if x.section is section]
        if not lines and section is rules.Section.USE:
            continue
        out.append("")
        section_label = tr.gettext(SECTION_LABELS[section.value])
        out.append(amount_line(tr, section_label, money(d.total(section))))
        for x in lines:
            note = f" — {x.note}" if x.note else ""  # the manager's own word on the line
            out.append(
                "  · " + amount_line(tr, item_label(tr, x.item), money(x.amount_fen), x.reference) + note
            )
        if section is rules.Section.COST:
            out.append("")
            out.append(tr.gettext("Net: {amount}").format(amount=money(d.net_fen)))
    out.append("")
    out.append(tr.gettext("Closing balance: {amount}").format(amount=money(d.closing_fen)))
    return "\n".join(out)


def changes_text(tr: Translator, changes: list[tuple[str, int, int]]) -> str:
    named = {"opening": FIELD_LABELS["opening"], "closing": FIELD_LABELS["closing"]}
    out = []
    for item, old, new in changes:
        label = tr.gettext(named[item]) if item in named else item_label(tr, item)
        # Translators: a changed amount in a corrected disclosure, old → new
        change = tr.gettext("{label}: {old} → {new}")
        out.append("  · " + change.format(label=label, old=tr.format_money(old), new=tr.format_money(new)))
    return "\n".join(out)


def amount_line(tr: Translator, label: str, amount: str, reference: str | None = None) -> str:
    """A labelled amount, with the contract or decision it rests on when there is one."""
    if reference:
        # Translators: an item of a disclosure, its amount and the contract or decision it rests on
        return tr.gettext("{label}: {amount} ({reference})").format(
            label=label, amount=amount, reference=reference
        )
    # Translators: an item or a section of a disclosure and its amount
    return tr.gettext("{label}: {amount}").format(label=label, amount=amount)


def quarter_label(tr: Translator, quarter: str | rules.Quarter) -> str:
    """The quarter in the reader's words ("Q3 2026", 2026年第三季度); text that is no quarter as it is."""
    try:
        q = quarter if isinstance(quarter, rules.Quarter) else rules.Quarter.parse(quarter)
    except ValueError:
        return str(quarter)
    return tr.gettext(QUARTER_LABELS[q.q]).format(year=q.year)


def title(tr: Translator, kind: str, estate: str, quarter: str | rules.Quarter) -> str:
    return tr.gettext("{kind} of {estate}, {quarter}").format(
        kind=labels.label(tr, KIND_LABELS, kind), estate=estate, quarter=quarter_label(tr, quarter)
    )


# The trend panel's title by how many quarters it compares; one quarter gets no trend panel.
QUARTERS_TITLE: dict[int, str] = {
    2: N_("The last two quarters"),
    3: N_("The last three quarters"),
    4: N_("The last four quarters"),
}


@dataclass(frozen=True)
class ChartSpec:
    """What the owner's chart shows, already in the reader's language; drawn by
    bot/documents/revenue_chart.py."""

    title: str
    items: list[tuple[str, int, str]]  # (label, fen, section code: income | cost | use)
    quarters: list[tuple[str, int, int, int]]  # (quarter, income, costs, net), oldest first
    labels: dict[str, str]  # by_item, quarters, income, costs, uses, net, yuan, first_quarter
    balances: tuple[str, ...] = ()  # "Opening balance: ¥…", "Closing balance: ¥…", formatted


def chart_spec(
    tr: Translator, estate: str, current: rules.Disclosure, history: list[rules.Disclosure]
) -> ChartSpec:
    """Income, costs and uses (the transfer to the maintenance fund among them) of ``current``, its
    opening and closing balances, and up to four quarters of ``history`` side by side."""
    items = [
        (item_label(tr, x.item), x.amount_fen, x.section.value) for x in current.lines if x.amount_fen > 0
    ]
    recent = sorted(history, key=lambda d: (d.quarter.year, d.quarter.q))[-4:]
    has_uses = any(section == rules.Section.USE.value for _, _, section in items)
    return ChartSpec(
        title=title(tr, current.kind.value, estate, current.quarter),
        items=items,
        quarters=[(quarter_label(tr, d.quarter), d.income_fen, d.costs_fen, d.net_fen) for d in recent],
        labels={
            "by_item": tr.gettext("Income, costs and use of the money by item")
            if has_uses
            else tr.gettext("Income and costs by item"),
            "quarters": tr.gettext(QUARTERS_TITLE[len(recent)]) if len(recent) in QUARTERS_TITLE else "",
            "income": tr.gettext(SECTION_LABELS[rules.Section.INCOME.value]),
            "costs": tr.gettext(SECTION_LABELS[rules.Section.COST.value]),
            "uses": tr.gettext(SECTION_LABELS[rules.Section.USE.value]),
            "net": tr.gettext("Net"),
            "yuan": tr.gettext("yuan"),
            "first_quarter": tr.gettext(
                "First quarter published: the comparison with earlier quarters starts next quarter."
            ),
        },
        balances=(
            tr.gettext("Opening balance: {amount}").format(amount=tr.format_money(current.opening_fen)),
            tr.gettext("Closing balance: {amount}").format(amount=tr.format_money(current.closing_fen)),
        ),
    )
