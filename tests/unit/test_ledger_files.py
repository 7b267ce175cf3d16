"""The ledger's workbook as bot/documents/xlsx_write.py streams it: every part well-formed XML whatever a
hostile description holds (control characters, lone surrogates, markup, formula-looking text, a text longer
than a cell), the workbook opening in openpyxl with its sheets, frozen header, widths, bold lines and values,
and the same sheets and build time giving the same bytes. The ledger's own cells are checked one by one
in tests/service/test_ledger.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest

from bot.documents.ledger_files import write_workbook
from bot.documents.xlsx_write import MAX_TEXT
from handlers.ports import Cell, Sheet

BUILT = datetime(2026, 12, 5, 10, tzinfo=UTC)
HOSTILE = (
    "a\x00b\x01c\x07d\x08e\x0bf\x0cg\x0eh\x1bi\x1fj"  # control characters XML 1.0 forbids
    "\ud800k\udfffl\ufffem\uffffn"  # lone surrogates and the two non-characters
    "<o>&p;\"q'r]]>s"  # markup
)
HOSTILE_SHOWN = "abcdefghij" + "klmn" + "<o>&p;\"q'r]]>s"
FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-3楼车库漏水", "@SUM(A1:A9)", "=1"]


def problems(rows: Sequence[Sequence[Cell]]) -> Iterator[Sequence[Cell]]:
    yield from rows  # a generator, as the ledger hands its rows


def book_of(rows: Sequence[Sequence[Cell]], built: datetime = BUILT, empty: str = "") -> bytes:
    sheets = [
        Sheet(
            "问题台账",
            "嘉莲街道办事处问题台账（2026年11月，第 1 版）",
            ["编号", "问题描述", "位置", "重新打开次数"],
            problems(rows),
            [18, 40, 16, 8],
            empty=empty,
            note="截至 2026-12-05 10:00",
        ),
        Sheet("成果指标", "成果指标", ["范围", "受理数"], [["嘉莲街道办事处", 5]], [22, 8]),
        Sheet("典型案例", "典型案例", ["编号"], [], [18], empty="本月没有标记为典型案例的工单。"),
    ]
    return write_workbook(sheets, built).xlsx


def cells(data: bytes, sheet: str = "问题台账") -> list[list[Cell]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_every_part_is_well_formed_xml_whatever_the_text_holds() -> None:
    data = book_of([["HB-1", HOSTILE, HOSTILE, 0], ["HB-2", "x" * (MAX_TEXT + 10), "\t 前后空格 \n", 1]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(z.read(name))  # raises on a character or markup out of place
    rows = cells(data)
    assert rows[3] == ["HB-1", HOSTILE_SHOWN, HOSTILE_SHOWN, 0]
    assert rows[4] == ["HB-2", "x" * MAX_TEXT, "\t 前后空格 \n", 1]  # cut at Excel's limit; ends kept


def test_text_that_looks_like_a_formula_is_text_in_the_workbook_and_marked_in_the_csv() -> None:
    sheets = [Sheet("问题台账", "t", ["编号", "问题描述"], problems([[f, f] for f in FORMULAS]), [18, 40])]
    files = write_workbook(sheets, BUILT)
    ws = openpyxl.load_workbook(io.BytesIO(files.xlsx))["问题台账"]
    found = [c for row in ws.iter_rows(min_row=3) for c in row]
    assert [c.value for c in found] == [f for f in FORMULAS for _ in (0, 1)]
    assert {c.data_type for c in found} == {"s"}  # no formula ("f") anywhere
    with zipfile.ZipFile(io.BytesIO(files.xlsx)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    lines = files.csv.decode("gbk").split("\r\n")
    assert (
        lines[1]
        == '"\'=HYPERLINK(""http://evil.example"",""点我"")","\'=HYPERLINK(""http://evil.example"",""点我"")"'
    )
    assert lines[2:6] == [
        "'+1+1,'+1+1",
        "'-3楼车库漏水,'-3楼车库漏水",
        "'@SUM(A1:A9),'@SUM(A1:A9)",
        "'=1,'=1",
    ]


def test_the_workbook_opens_with_its_sheets_frozen_header_widths_bold_lines_and_values() -> None:
    data = book_of([["HB-1", "电梯门关不上", None, 2], ["HB-2", "", "3栋", Decimal("1.5")]])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["问题台账", "成果指标", "典型案例"]
    ws = book["问题台账"]
    assert ws.freeze_panes == "A4"  # title, note and header stay in view
    pane = ws.sheet_view.pane
    assert (pane.ySplit, pane.topLeftCell, pane.state, pane.activePane) == (3, "A4", "frozen", "bottomLeft")
    assert book["典型案例"].freeze_panes == "A3"  # no note: title and header
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth}
    assert widths == {"A": 18, "B": 40, "C": 16, "D": 8}
    assert ws["A1"].font.b and ws["A3"].font.b and ws["D3"].font.b  # title and header bold
    assert not ws["A2"].font.b and not ws["A4"].font.b
    assert cells(data) == [
        ["嘉莲街道办事处问题台账（2026年11月，第 1 版）", None, None, None],
        ["截至 2026-12-05 10:00", None, None, None],
        ["编号", "问题描述", "位置", "重新打开次数"],
        ["HB-1", "电梯门关不上", None, 2],
        ["HB-2", None, "3栋", 1.5],
    ]
    assert (ws["D4"].data_type, ws["A4"].data_type) == ("n", "s")
    assert cells(data, "成果指标")[1:] == [["范围", "受理数"], ["嘉莲街道办事处", 5]]
    assert cells(data, "典型案例")[1:] == [["编号"], ["本月没有标记为典型案例的工单。"]]
    assert book.properties.created == book.properties.modified == datetime(2026, 12, 5, 10)


def test_an_empty_sheet_has_its_header_and_its_line_in_the_workbook_and_the_csv() -> None:
    sheets = [Sheet("问题台账", "t", ["编号", "小区"], problems([]), [18], empty="本月没有案件。", note="n")]
    files = write_workbook(sheets, BUILT)
    assert files.rows == 0
    assert cells(files.xlsx)[2:] == [["编号", "小区"], ["本月没有案件。", None]]
    assert files.csv.decode("gbk") == "编号,小区\r\n本月没有案件。\r\n"


def test_the_csv_is_gbk_with_a_question_mark_for_what_gbk_lacks() -> None:
    sheets = [
        Sheet("问题台账", "t", ["编号", "问题描述"], problems([["HB-1", "漏水😀€"], ["HB-2", 3]]), [18])
    ]
    files = write_workbook(sheets, BUILT)
    assert files.csv == "编号,问题描述\r\nHB-1,漏水??\r\nHB-2,3\r\n".encode("gbk")
    assert files.rows == 2


@pytest.mark.parametrize("rows", [[], [["HB-1", HOSTILE, "3栋", 1]] * 450], ids=["empty", "450 rows"])
def test_the_same_sheets_and_build_time_give_the_same_bytes(rows: list[list[Cell]]) -> None:
    first = book_of(rows, empty="本月没有案件。")
    assert book_of(rows, empty="本月没有案件。") == first
    later = book_of(rows, datetime(2026, 12, 6, 10, tzinfo=UTC), empty="本月没有案件。")
    assert later != first and cells(later) == cells(first)  # only the time differs
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 12, 5, 10, 0, 0)}
        names = z.namelist()
    assert names[0] == "xl/worksheets/sheet1.xml" and "[Content_Types].xml" in names
