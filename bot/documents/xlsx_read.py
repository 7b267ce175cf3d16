"""An uploaded XLSX into plain rows, its size and shape measured before openpyxl loads any of it.

openpyxl trusts a file: cells at A1 and XFD600 become ten million cells, a zip of half a megabyte unpacks
to hundreds, a row of a million empty cells is built whole, an XML entity can expand itself
exponentially. So, in order, each step refusing as soon as a limit is met:

1. the zip's end record and central directory: how many entries, how big each says it unpacks to (zipfile
   never unpacks more than that), how much smaller it is packed, and only the two compressions a
   spreadsheet uses;
2. every XML part streamed once through expat, keeping nothing but counters (bot/documents/xlsx_scan.py):
   no DOCTYPE (so no entities), bounded depth, elements, bytes between tags; in a worksheet its rows,
   columns, cells and each cell's length, counted as openpyxl will see them;
3. then openpyxl, read-only and not `data_only` (a formula must be seen as a formula), streaming the
   first sheet within the extent step 2 measured, counting again as it goes.

A file that breaks a parser on the way is "not a spreadsheet", never an exception.
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime
from decimal import Decimal

from bot.documents.xlsx_scan import MeasuredSheet, refusal, scan_parts
from handlers.ports import Cell, Grid
from handlers.services.revenue_import import (
    MAX_COLUMNS,
    MAX_READ_ROWS,
    MAX_ROWS,
    MAX_TEXT_CHARS,
    FileProblem,
    RevenueFileError,
    column_letter,
)

MAX_ENTRIES = 1_000  # a workbook has a dozen or two
MAX_DIRECTORY_BYTES = 1 << 20
MAX_ENTRY_BYTES = 32 << 20  # unpacked, as the central directory declares it
MAX_UNPACKED_BYTES = 64 << 20  # all entries together
MAX_RATIO = 100  # unpacked / packed, for an entry of over a megabyte (spreadsheet XML packs 5-30 times)


def read_xlsx(data: bytes) -> Grid:
    """The first worksheet's rows; RevenueFileError when a limit is met or the file is no workbook."""
    try:
        archive = _open_zip(data)
        sheets = scan_parts(archive)
        return _read_first_sheet(data, sheets)
    except RevenueFileError:
        raise
    except MemoryError:
        raise refusal("too_complex") from None
    except Exception:  # zipfile, expat, openpyxl: a broken file fails in many ways, all of them this one
        raise refusal("not_a_spreadsheet") from None


# -- 1. the zip ------------------------------------------------------------------------------------------

_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_LOCATOR64 = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


def _directory_extent(data: bytes) -> tuple[int, int]:
    """(entries, bytes) of the central directory, read from the same end record zipfile will use, before
    zipfile builds an object for each entry: a 20 MB file could otherwise declare 400,000 of them."""
    at = len(data) - _END.size
    if not (at >= 0 and data[at : at + 4] == b"PK\x05\x06" and data[-2:] == b"\0\0"):
        at = data.rfind(b"PK\x05\x06", max(0, len(data) - _END.size - 65_535))
    if at < 0 or at + _END.size > len(data):
        raise refusal("not_a_spreadsheet")
    end = _END.unpack_from(data, at)
    entries, size = end[4], end[5]
    locator = at - _LOCATOR64.size
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        record = locator - _END64.size
        if record < 0 or data[record : record + 4] != b"PK\x06\x06":
            raise refusal("not_a_spreadsheet")
        end64 = _END64.unpack_from(data, record)
        entries, size = end64[7], end64[8]
    return entries, size


def _open_zip(data: bytes) -> zipfile.ZipFile:
    entries, size = _directory_extent(data)
    if entries > MAX_ENTRIES or size > MAX_DIRECTORY_BYTES:
        raise refusal("too_complex")
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise refusal("too_complex")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refusal("not_a_spreadsheet")  # encrypted, or bzip2/lzma: zipfile unpacks those unbounded
        packed = max(info.compress_size, 1)
        if info.file_size > MAX_ENTRY_BYTES or (
            info.file_size > 1 << 20 and info.file_size > MAX_RATIO * packed
        ):
            raise refusal("too_complex")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise refusal("too_complex")
    return archive


# -- 3. openpyxl -----------------------------------------------------------------------------------------


def _read_first_sheet(data: bytes, sheets: dict[str, MeasuredSheet]) -> Grid:
    # openpyxl only here (revenue_files.write_xlsx says why); the sheet worker's child loads it anyway.
    from openpyxl import load_workbook
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    # Not data_only: a formula must be seen as a formula, not as whatever value Excel cached.
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        sheet = book.worksheets[0]
        measured = sheets.get(getattr(sheet, "_worksheet_path", ""))
        if measured is None:
            raise refusal("not_a_spreadsheet")
        if measured.problem is not None:
            raise RevenueFileError([measured.problem])
        if (sheet.max_row or 0) > MAX_READ_ROWS:  # the extent the sheet declares
            raise refusal("too_many_rows", maximum=MAX_ROWS)
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise refusal("too_many_columns", maximum=MAX_COLUMNS)
        if measured.max_row == 0 or measured.max_column == 0:
            return []
        grid: Grid = []
        problems: list[FileProblem] = []
        chars = 0
        rows = sheet.iter_rows(min_row=1, max_row=measured.max_row, min_col=1, max_col=measured.max_column)
        for r, row in enumerate(rows, start=1):
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
                plain = _plain(value)
                if isinstance(plain, str):
                    chars += len(plain)
                    if chars > MAX_TEXT_CHARS:
                        raise refusal("too_complex")
                cells.append(plain)
            grid.append(cells)
    finally:
        book.close()
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
