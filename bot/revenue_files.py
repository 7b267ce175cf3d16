"""Disclosure files: XLSX (openpyxl) and CSV (UTF-8 with or without BOM, GB18030/GBK) into plain rows,
and the XLSX template written in the manager's language. The core checks the rows
(handlers/services/revenue_import.py); this module only reads and writes files."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from handlers.conversations import revenue_text as rt
from handlers.rules import revenue as rules
from handlers.services.revenue_import import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    Cell,
    FileProblem,
    Grid,
    RevenueFileError,
    column_letter,
)
from handlers.text import Translator

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls, and other Office formats


def _refuse(code: str, **params: object) -> RevenueFileError:
    return RevenueFileError([FileProblem(code, params=params)])


def read_grid(data: bytes, filename: str | None = None) -> Grid:
    """Rows of plain cells (str, int, Decimal or None) from an XLSX or CSV file."""
    if len(data) > MAX_FILE_BYTES:
        return _raise(_refuse("too_large", size=len(data) // 2**20, limit=MAX_FILE_BYTES // 2**20))
    if not data.strip():
        return _raise(_refuse("empty"))
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC) or b"\x00" in data[:4096]:
        return _raise(_refuse("not_a_spreadsheet"))
    name = (filename or "").lower()
    if name and not name.endswith((".csv", ".txt", ".tsv")):
        return _raise(_refuse("not_a_spreadsheet"))
    return _read_csv(data)


def _raise(exc: Exception) -> Grid:
    raise exc


def _read_xlsx(data: bytes) -> Grid:
    try:
        # Not data_only: a formula must be seen as a formula, not as whatever value Excel cached.
        book = load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _refuse("not_a_spreadsheet") from None
    sheet = book.worksheets[0]
    grid: Grid = []
    problems: list[FileProblem] = []
    for r, row in enumerate(sheet.iter_rows(), start=1):
        if r > MAX_ROWS + 50:
            raise _refuse("too_many_rows", maximum=MAX_ROWS)
        cells: list[Cell] = []
        for i, cell in enumerate(row):
            value = cell.value
            if (
                cell.data_type == "f"
                or isinstance(value, ArrayFormula | DataTableFormula)
                or (isinstance(value, str) and value.startswith("="))
            ):
                text = value.text if isinstance(value, ArrayFormula) else str(value)
                problems.append(FileProblem("formula", r, column_letter(i), {"formula": text[:40]}))
                cells.append(None)
                continue
            cells.append(_plain(value))
        grid.append(cells)
    if problems:
        raise RevenueFileError(problems)
    return grid


def _plain(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that is this float: 1234.5, not 1234.4999…
    if isinstance(value, Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK and GB2312: what Excel saves on Chinese Windows
    except UnicodeDecodeError:
        raise _refuse("encoding") from None


def _read_csv(data: bytes) -> Grid:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise _refuse("encoding") from None
    head = text[:8192]
    # Excel writes commas, or semicolons where the comma is the decimal mark; "Unicode text" uses tabs.
    delimiter = max(",;\t", key=lambda d: (head.count(d), d == ","))
    grid: Grid = []
    problems: list[FileProblem] = []
    for r, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if r > MAX_ROWS + 50:
            raise _refuse("too_many_rows", maximum=MAX_ROWS)
        cells: list[Cell] = []
        for i, value in enumerate(row):
            if value.startswith("="):
                problems.append(FileProblem("formula", r, column_letter(i), {"formula": value[:40]}))
            cells.append(value if value.strip() else None)
        grid.append(cells)
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
    """The `DocumentTools` the conversations use: read a file, write the template, draw a chart."""

    def read_grid(self, data: bytes, filename: str | None) -> Grid:
        return read_grid(data, filename)

    def template(self, tr: Translator, kind: rules.DisclosureKind) -> bytes:
        return write_xlsx(template_rows(tr, kind))

    def chart(self, spec: object) -> bytes:
        from bot.revenue_chart import render_chart

        assert isinstance(spec, rt.ChartSpec)
        return render_chart(spec)
