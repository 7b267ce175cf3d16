"""Disclosure files: XLSX (bot/documents/xlsx_read.py) and CSV (UTF-8 with or without BOM, GB18030/GBK) into
plain rows, and the XLSX template written in the manager's language. The core checks the rows
(handlers/services/revenue_import.py); this module only reads and writes files. Reading is bounded: the
limits are checked as a file is read, so a hostile one is refused in well under a second and a few
tens of megabytes (bench/hostile_files.py); bot/documents/sheet_worker.py adds hard limits around it."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from bot.documents.xlsx_read import read_xlsx
from handlers.conversations import revenue_text as rt
from handlers.ports import Cell, Grid, Sheet, Translator, WorkbookFiles
from handlers.rules import revenue as rules
from handlers.services.revenue_import import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_READ_ROWS,
    MAX_ROWS,
    MAX_TEXT_CHARS,
    FileProblem,
    RevenueFileError,
    column_letter,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls, and other Office formats
# One CSV line can be no longer than its cells: longer, it is refused before csv splits it.
MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)


def _refuse(code: str, row: int | None = None, **params: object) -> RevenueFileError:
    return RevenueFileError([FileProblem(code, row, params=params)])


def read_grid(data: bytes, filename: str | None = None) -> Grid:
    """Rows of plain cells (str, int, Decimal or None) from an XLSX or CSV file."""
    if len(data) > MAX_FILE_BYTES:
        raise _refuse("too_large", size=len(data) // 2**20, limit=MAX_FILE_BYTES // 2**20)
    if not data or data.isspace():
        raise _refuse("empty")
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    if data.startswith(OLE_MAGIC) or b"\x00" in data[:4096]:
        raise _refuse("not_a_spreadsheet")
    name = (filename or "").lower()
    if name and not name.endswith((".csv", ".txt", ".tsv")):
        raise _refuse("not_a_spreadsheet")
    return _read_csv(data)


def _read_csv(data: bytes) -> Grid:
    """A UTF-8 file (a BOM says so for certain), else GB18030 (a superset of GBK and GB2312: what Excel
    saves on Chinese Windows), decoded as it is read: never more than a line at a time."""
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return _csv_rows(data, encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("encoding")


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise _refuse("too_complex")
        yield line


def _csv_rows(data: bytes, encoding: str) -> Grid:
    head = data[:32_768].decode(encoding, errors="ignore")[:8192]
    # Excel writes commas, or semicolons where the comma is the decimal mark; "Unicode text" uses tabs.
    delimiter = max(",;\t", key=lambda d: (head.count(d), d == ","))
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="strict", newline="")
    grid: Grid = []
    problems: list[FileProblem] = []
    chars = 0
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        for r, row in enumerate(reader, start=1):
            if r > MAX_READ_ROWS:
                raise _refuse("too_many_rows", maximum=MAX_ROWS)
            if len(row) > MAX_COLUMNS:
                raise _refuse("too_many_columns", maximum=MAX_COLUMNS)
            cells: list[Cell] = []
            for i, value in enumerate(row):
                if len(value) > MAX_CELL_CHARS:
                    raise _refuse("too_long_cell", r, maximum=MAX_CELL_CHARS)
                chars += len(value)
                if chars > MAX_TEXT_CHARS:
                    raise _refuse("too_complex")
                if value.startswith("="):
                    problems.append(FileProblem("formula", r, column_letter(i), {"formula": value[:40]}))
                cells.append(value if value.strip() else None)
            grid.append(cells)
    except csv.Error as exc:  # a field beyond csv's own limit (131,072 characters), a NUL
        if "field larger than field limit" in str(exc):
            raise _refuse("too_long_cell", len(grid) + 1, maximum=MAX_CELL_CHARS) from None
        raise _refuse("not_a_spreadsheet") from None
    if problems:
        raise RevenueFileError(problems)
    return grid


# -- the template ----------------------------------------------------------------------------------

COLUMNS = ("code", "section", "item", "amount", "reference", "note")


def _header(tr: Translator, code: str) -> str:
    return f"{tr.gettext(rt.FIELD_LABELS[code])} [{code}]"


def template_rows(
    tr: Translator,
    kind: rules.DisclosureKind,
    *,
    quarter: str = "",
    bank: str = "",
    account: str = "",
    opening: str = "",
    closing: str = "",
    amounts: dict[str, tuple[str, str]] | None = None,  # item → (amount, reference)
) -> list[list[str]]:
    """The template's rows; filled in when values are given (the examples are made this way)."""
    amounts = amounts or {}
    rows: list[list[str]] = [
        [tr.gettext(rt.KIND_LABELS[kind.value])],
        [_header(tr, "quarter"), quarter],
        [_header(tr, "kind"), kind.value],
        [_header(tr, "bank"), bank],
        [_header(tr, "account"), account],
        [_header(tr, "opening"), opening],
        [_header(tr, "closing"), closing],
        [],
        [_header(tr, c) for c in COLUMNS],
    ]
    for section, items in rules.ITEMS[kind].items():
        for item in items:
            amount, reference = amounts.get(item, ("", ""))
            rows.append(
                [
                    item,
                    tr.gettext(rt.SECTION_LABELS[section.value]),
                    rt.item_label(tr, item),
                    amount,
                    reference,
                    "",
                ]
            )
    return rows


def write_xlsx(rows: list[list[str]]) -> bytes:
    # openpyxl (and numpy, which it loads when it is there) only when a template is written: a third of a
    # second that every process opening the database paid at start-up for a file few of them write.
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "disclosure"
    for row in rows:
        sheet.append([_typed(v) for v in row])
    bold = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    header = next(i for i, row in enumerate(rows, start=1) if row and row[0].endswith("[code]"))
    for cell in sheet[header]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for letter, width in zip("ABCDEF", (22, 14, 40, 16, 28, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header + 1, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _typed(value: str) -> str | Decimal:
    """Amounts go into the workbook as numbers, the rest as text."""
    try:
        return Decimal(value) if value and value.replace(".", "", 1).isdigit() else value
    except ArithmeticError:
        return value


def write_csv(rows: list[list[str]], encoding: str = "gbk") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


class RevenueDocuments:
    """The `DocumentTools` the conversations use: read a file, write the template or a ledger's
    workbook (bot/documents/ledger_files.py), draw the revenue chart and the /stats chart."""

    def read_grid(self, data: bytes, filename: str | None) -> Grid:
        return read_grid(data, filename)

    def template(self, tr: Translator, kind: rules.DisclosureKind) -> bytes:
        return write_xlsx(template_rows(tr, kind))

    def workbook(self, sheets: Sequence[Sheet], built_at: datetime) -> WorkbookFiles:
        from bot.documents.ledger_files import write_workbook

        return write_workbook(sheets, built_at)

    def chart(self, spec: object) -> bytes:
        from bot.documents.revenue_chart import render_chart

        assert isinstance(spec, rt.ChartSpec)
        return render_chart(spec)

    def rates_chart(self, spec: object) -> bytes:
        from bot.documents.rates_chart import kept_rates_chart
        from handlers.conversations.stats_text import RatesChart

        assert isinstance(spec, RatesChart)
        return kept_rates_chart(spec)
