"""Disclosure files: every accepted format reads to the same disclosure; every bad input is named by row
and column, and nothing comes out of it."""

from __future__ import annotations

import codecs
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from bot.demo.revenue_examples import example_rows
from bot.documents.revenue_files import read_grid, template_rows, write_csv, write_xlsx
from handlers.conversations import revenue_text as rt
from handlers.rules.revenue import DisclosureKind, Quarter
from handlers.services.revenue_import import (
    MAX_FILE_BYTES,
    RevenueFileError,
    disclosure_from_grid,
    parse_amount,
)
from handlers.text import NullTranslator

TR = NullTranslator()
ROWS = example_rows(TR)


def csv_text(rows: list[list[str]]) -> str:
    return write_csv(rows, encoding="utf-8").decode("utf-8")


def problems_of(data: bytes, name: str, **kw: object) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(RevenueFileError) as caught:
        disclosure_from_grid(read_grid(data, name), **kw)  # type: ignore[arg-type]
    for p in caught.value.problems:  # every problem has a message, in each language's template
        assert rt.file_problem_text(TR, p) != p.code
    return [(p.code, p.row, p.column) for p in caught.value.problems]


def xlsx_from(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edited(change: dict[tuple[int, int], str]) -> list[list[str]]:
    """The example rows with cells replaced: (1-based row, 0-based column) → text."""
    rows = [list(r) for r in ROWS]
    for (row, col), value in change.items():
        while len(rows[row - 1]) <= col:
            rows[row - 1].append("")
        rows[row - 1][col] = value
    return rows


def row_of(code: str) -> int:
    return next(i for i, row in enumerate(ROWS, start=1) if row and row[0] == code)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("q3.xlsx", write_xlsx(ROWS)),
        ("q3.csv", csv_text(ROWS).encode("utf-8")),
        ("q3.csv", codecs.BOM_UTF8 + csv_text(ROWS).encode("utf-8")),
        ("q3.csv", csv_text(ROWS).encode("gbk")),
        ("q3.csv", csv_text(ROWS).encode("gb18030")),
        ("q3.csv", csv_text(ROWS).replace(",", "\t").encode("utf-8")),
    ],
    ids=["xlsx", "utf8", "utf8-bom", "gbk", "gb18030", "tabs"],
)
def test_every_accepted_format_reads_to_the_same_disclosure(name: str, data: bytes) -> None:
    d = disclosure_from_grid(read_grid(data, name), expected_quarter=Quarter(2026, 3))
    assert d.quarter == Quarter(2026, 3)
    assert d.account_bank == "中国工商银行厦门莲前支行" and d.account_number == "****6789"
    assert (d.opening_fen, d.income_fen, d.costs_fen, d.uses_fen, d.closing_fen) == (
        21_500_000,
        18_640_000,
        5_278_000,
        7_000_000,
        27_862_000,
    )
    parking = next(x for x in d.lines if x.item == "parking")
    assert parking.reference == "HB-TC-2024-003 地面停车位租赁合同"


def test_plain_chinese_headers_written_by_hand_in_gbk_are_understood() -> None:
    handmade = "\n".join(
        [
            "季度,2026Q3",
            "开户银行,建设银行",
            "专户账号,6222021001012345",
            "期初余额,1000",
            "期末余额,1500",
            "代码,项目,金额（元）,合同或决议,备注",
            "parking,停车,500,合同一,",
        ]
    ).encode("gbk")
    d = disclosure_from_grid(read_grid(handmade, "手工.csv"))
    assert (d.opening_fen, d.income_fen, d.closing_fen, d.account_number) == (
        100_000,
        50_000,
        150_000,
        "****2345",
    )


def test_an_empty_template_is_refused_for_its_missing_balances() -> None:
    codes = [c for c, _, _ in problems_of(write_xlsx(template_rows(TR, DisclosureKind.REVENUE)), "t.xlsx")]
    assert codes.count("missing_field") == 5  # quarter, bank, account, opening, closing


def test_a_renamed_column_is_named() -> None:
    header = row_of("Code [code]")
    rows = edited({(header, 3): "Sum"})  # "Amount (yuan) [amount]" renamed
    assert problems_of(write_xlsx(rows), "q.xlsx") == [("missing_column", header, None)]


def test_a_missing_header_row_is_refused() -> None:
    rows = [r for r in ROWS if not (r and r[0] == "Code [code]")]
    assert [c for c, _, _ in problems_of(csv_text(rows).encode(), "q.csv")] == ["no_table_header"]


def test_text_in_an_amount_cell_is_named_by_row_and_column() -> None:
    r = row_of("ads_lift")
    assert problems_of(write_xlsx(edited({(r, 3): "三万六"})), "q.xlsx") == [("amount_text", r, "D")]


def test_a_negative_amount_is_named_by_row_and_column() -> None:
    r = row_of("tax")
    assert problems_of(csv_text(edited({(r, 3): "-10250"})).encode(), "q.csv") == [
        ("amount_negative", r, "D")
    ]


def test_more_than_two_decimals_is_refused() -> None:
    r = row_of("tax")
    assert problems_of(csv_text(edited({(r, 3): "10250.001"})).encode(), "q.csv") == [
        ("amount_precision", r, "D")
    ]


def test_a_duplicate_item_is_named_with_its_first_row() -> None:
    rows = [list(x) for x in ROWS] + [["parking", "", "", "100", "合同", ""]]
    found = problems_of(csv_text(rows).encode(), "q.csv")
    assert found == [("duplicate_item", len(rows), "A")]


def test_an_unknown_item_code_is_named() -> None:
    rows = [list(x) for x in ROWS] + [["bitcoin", "", "", "100", "", ""]]
    assert problems_of(csv_text(rows).encode(), "q.csv") == [("unknown_item", len(rows), "A")]


def test_the_wrong_quarter_is_refused_and_a_quarter_not_yet_over_too() -> None:
    assert problems_of(write_xlsx(ROWS), "q.xlsx", expected_quarter=Quarter(2026, 2)) == [
        ("wrong_quarter", 2, "B")
    ]
    from datetime import date

    assert problems_of(write_xlsx(ROWS), "q.xlsx", today=date(2026, 9, 30)) == [("quarter_not_over", 2, "B")]
    assert problems_of(write_xlsx(edited({(2, 1): "2026 third"})), "q.xlsx") == [("bad_quarter", 2, "B")]


def test_a_formula_in_an_xlsx_is_refused_even_with_a_cached_value() -> None:
    rows: list[list[object]] = [list(x) for x in ROWS]
    r = row_of("parking")
    rows[r - 1][3] = "=SUM(1,2)"
    data = xlsx_from(rows)
    assert load_workbook(io.BytesIO(data))["Sheet"].cell(r, 4).data_type == "f"
    assert problems_of(data, "q.xlsx") == [("formula", r, "D")]


def test_a_formula_in_a_csv_is_refused() -> None:
    r = row_of("parking")
    assert problems_of(csv_text(edited({(r, 3): "=96000"})).encode(), "q.csv") == [("formula", r, "D")]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("photo.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 20),
        ("broken.xlsx", b"PK\x03\x04 this is not really a zip"),
    ],
)
def test_what_is_not_a_spreadsheet_is_refused(name: str, data: bytes) -> None:
    assert [c for c, _, _ in problems_of(data, name)] == ["not_a_spreadsheet"]


def test_text_in_neither_utf8_nor_gb18030_is_refused() -> None:
    assert [c for c, _, _ in problems_of(b"\x81\x20\xff\xfe\x81\x20", "x.csv")] == ["encoding"]


def test_a_file_over_the_size_limit_is_refused_without_reading_it() -> None:
    assert [c for c, _, _ in problems_of(b"x" * (MAX_FILE_BYTES + 1), "big.csv")] == ["too_large"]


def test_amounts_are_decimals_of_yuan_never_floats() -> None:
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("¥96000元") == Decimal("96000")
    assert parse_amount(Decimal("0.1")) == Decimal("0.1")
    for bad, reason in (("abc", "text"), ("-1", "negative"), ("NaN", "text"), ("0.001", "precision")):
        with pytest.raises(ValueError, match=reason):
            parse_amount(bad)


@pytest.mark.parametrize("name", ["revenue-2026Q3.xlsx", "revenue-2026Q3-gbk.csv"])
def test_the_shipped_examples_read_and_reconcile(name: str) -> None:
    from pathlib import Path

    from handlers.rules.revenue import problems

    path = Path(__file__).resolve().parents[2] / "examples" / name
    if name.endswith(".csv"):
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really GBK, as Excel on Chinese Windows saves it
    d = disclosure_from_grid(read_grid(path.read_bytes(), name), expected_quarter=Quarter(2026, 3))
    assert problems(d) == [] and d.closing_fen == 27_862_000 and len(d.lines) == 14


def test_thousands_separators_are_read_only_where_they_belong() -> None:
    assert parse_amount("1,234,567.89") == Decimal("1234567.89")
    assert parse_amount("¥96,000.00") == Decimal("96000.00") and parse_amount("96，000") == Decimal("96000")
    for typo in ("1,23.45", "12,34", "1,2345.00", ",123", "123,"):
        with pytest.raises(ValueError, match="grouping"):
            parse_amount(typo)
    r = row_of("ads_lift")
    assert problems_of(write_xlsx(edited({(r, 3): "3,60.00"})), "q.xlsx") == [("amount_grouping", r, "D")]


def with_totals(income: str, costs: str) -> list[list[str]]:
    """The example with a 合计 row under the income lines and a Total row under the costs."""
    rows = [list(r) for r in ROWS]
    costs_end = row_of("other_cost")
    rows.insert(costs_end, ["", "", "Total", costs, "", ""])
    rows.insert(row_of("other_income"), ["合计", "", "", income, "", ""])
    return rows


def test_a_total_row_is_accepted_when_it_adds_up() -> None:
    plain = disclosure_from_grid(read_grid(write_xlsx([list(r) for r in ROWS]), "q.xlsx"))
    both = disclosure_from_grid(read_grid(write_xlsx(with_totals("186,400.00", "52780.00")), "q.xlsx"))
    assert both == plain


def test_a_total_row_that_does_not_add_up_is_named_with_the_sum() -> None:
    data = write_xlsx(with_totals("186400.00", "52000.00"))
    with pytest.raises(RevenueFileError) as caught:
        disclosure_from_grid(read_grid(data, "q.xlsx"))
    [problem] = caught.value.problems
    assert (problem.code, problem.params["sum"]) == ("total_mismatch", "52780.00")
    assert "52780.00" in rt.file_problem_text(TR, problem) and "delete the total row" in rt.file_problem_text(
        TR, problem
    )
