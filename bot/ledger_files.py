"""Workbooks written as their rows come (openpyxl's write-only mode), the same bytes for the same sheets
and build time, and the first sheet again as a GBK CSV: what the monthly ledger (台账) is sent as."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from handlers.ports import Cell, Sheet, WorkbookFiles

# What a spreadsheet reads as the start of a formula (or of a DDE payload, in a CSV opened by Excel).
FORMULA_STARTS = ("=", "+", "-", "@")
_BOLD = Font(bold=True)


class _FixedTimeZip(ZipFile):
    """A zip whose every entry carries one given time instead of the clock's or a temporary file's: with
    the same contents, the same bytes."""

    def __init__(self, file: io.BytesIO, when: datetime) -> None:
        super().__init__(file, "w", ZIP_DEFLATED, allowZip64=True)
        self.when = when.timetuple()[:6]

    def _info(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=self.when)
        info.compress_type = ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, ZipInfo) else zinfo_or_arcname
        super().writestr(self._info(name), data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        # openpyxl's write-only sheets come from temporary files: copied in pieces, never read whole.
        with open(filename, "rb") as source, self.open(self._info(arcname or filename), "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


def safe_text(value: str) -> str:
    """Text a worksheet can hold (no control characters openpyxl refuses)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _cell(ws: WriteOnlyWorksheet, value: Cell) -> Any:
    """A value as openpyxl writes it; text that looks like a formula is kept as text, unchanged."""
    if isinstance(value, str):
        value = safe_text(value)
        if value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            return cell
    return value


def _styled(ws: WriteOnlyWorksheet, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, safe_text(value))
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def csv_text(value: Cell) -> str:
    """A CSV field: text a spreadsheet would read as a formula gets a leading apostrophe, as Excel
    itself marks text (a CSV has no cell types to say so otherwise)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def write_workbook(sheets: Sequence[Sheet], built_at: datetime) -> WorkbookFiles:
    """The XLSX of `sheets` (title line, header frozen under it, rows as they come, or the sheet's
    `empty` line) with `built_at` as its created and modified time and every zip entry's; and the
    first sheet's header and rows as GBK CSV (a character GBK lacks becomes '?')."""
    book = Workbook(write_only=True)
    stamp = built_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = "wuye"
    table = io.StringIO()
    out = csv.writer(table, lineterminator="\r\n")
    first_rows = 0
    for n, sheet in enumerate(sheets):
        ws = book.create_sheet(sheet.name[:31])
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        top = 3 if sheet.note else 2
        ws.freeze_panes = f"A{top + 1}"
        ws.append([_styled(ws, sheet.title, _BOLD)])
        if sheet.note:
            ws.append([_styled(ws, sheet.note)])
        ws.append([_styled(ws, h, _BOLD) for h in sheet.header])
        if n == 0:
            out.writerow([csv_text(h) for h in sheet.header])
        count = 0
        for row in sheet.rows:
            ws.append([_cell(ws, v) for v in row])
            if n == 0:
                out.writerow([csv_text(v) for v in row])
            count += 1
        if count == 0 and sheet.empty:
            ws.append([_styled(ws, sheet.empty)])
            if n == 0:
                out.writerow([csv_text(sheet.empty)])
        if n == 0:
            first_rows = count
    data = io.BytesIO()
    ExcelWriter(book, _FixedTimeZip(data, stamp)).save()
    return WorkbookFiles(data.getvalue(), table.getvalue().encode("gbk", errors="replace"), first_rows)
