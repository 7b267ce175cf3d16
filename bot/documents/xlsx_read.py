"""An uploaded XLSX into plain rows, its size and shape measured before openpyxl loads any of it.

openpyxl trusts a file: cells at A1 and XFD600 become ten million cells, a zip of half a megabyte unpacks
to hundreds, a row of a million empty cells is built whole, an XML entity can expand itself
exponentially. So, in order, each step refusing as soon as a limit is met:

1. the zip's end record and central directory: how many entries, how big each says it unpacks to (zipfile
   never unpacks more than that), how much smaller it is packed, and only the two compressions a
   spreadsheet uses;
2. every XML part streamed once through expat, keeping nothing but counters: no DOCTYPE (so no
   entities), bounded depth, elements, bytes between tags; in a worksheet its rows, columns, cells and
   each cell's length, counted as openpyxl will see them;
3. then openpyxl, read-only and not `data_only` (a formula must be seen as a formula), streaming the
   first sheet within the extent step 2 measured, counting again as it goes.

A file that breaks a parser on the way is "not a spreadsheet", never an exception.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from handlers.ports import Cell, Grid
from handlers.services.revenue_import import (
    MAX_CELL_CHARS,
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
MAX_PART_BYTES = 8 << 20  # one XML part but a worksheet, which its rows and cells bound
MAX_XML_BYTES = 24 << 20  # read from all XML parts together
MAX_ELEMENTS = 300_000  # in all XML parts: expat counts some 3 million a second
MAX_OBJECT_ELEMENTS = 30_000  # that openpyxl builds objects from (all but a sheet's rows): ~13 µs each
MAX_ROW_ELEMENTS = 4_096  # in one row: 64 cells with rich text
MAX_FORMULA_COPIES = 500_000  # characters of shared formulas openpyxl rewrites for each cell: ~0.3 µs each
MAX_DEPTH = 64
MAX_GAP = 160 << 10  # bytes from one '<' to the next: one tag with its attributes, or one cell's text
CHUNK = 64 << 10

_COORDINATE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def _refuse(
    code: str, row: int | None = None, column: str | None = None, **params: object
) -> RevenueFileError:
    return RevenueFileError([FileProblem(code, row, column, params)])


def read_xlsx(data: bytes) -> Grid:
    """The first worksheet's rows; RevenueFileError when a limit is met or the file is no workbook."""
    try:
        archive = _open_zip(data)
        sheets = _scan_parts(archive)
        return _read_first_sheet(data, sheets)
    except RevenueFileError:
        raise
    except MemoryError:
        raise _refuse("too_complex") from None
    except Exception:  # zipfile, expat, openpyxl: a broken file fails in many ways, all of them this one
        raise _refuse("not_a_spreadsheet") from None


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
        raise _refuse("not_a_spreadsheet")
    end = _END.unpack_from(data, at)
    entries, size = end[4], end[5]
    locator = at - _LOCATOR64.size
    if locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        record = locator - _END64.size
        if record < 0 or data[record : record + 4] != b"PK\x06\x06":
            raise _refuse("not_a_spreadsheet")
        end64 = _END64.unpack_from(data, record)
        entries, size = end64[7], end64[8]
    return entries, size


def _open_zip(data: bytes) -> zipfile.ZipFile:
    entries, size = _directory_extent(data)
    if entries > MAX_ENTRIES or size > MAX_DIRECTORY_BYTES:
        raise _refuse("too_complex")
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse("too_complex")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse("not_a_spreadsheet")  # encrypted, or bzip2/lzma: zipfile unpacks those unbounded
        packed = max(info.compress_size, 1)
        if info.file_size > MAX_ENTRY_BYTES or (
            info.file_size > 1 << 20 and info.file_size > MAX_RATIO * packed
        ):
            raise _refuse("too_complex")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise _refuse("too_complex")
    return archive


# -- 2. the scan -----------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """What a worksheet part holds, as openpyxl will read it; `problem` when a limit was met."""

    max_row: int = 0
    max_column: int = 0
    dimension_first: bool = False  # openpyxl then reads no further than it when loading the workbook
    problem: FileProblem | None = None


class _Stop(Exception):
    """A worksheet met a limit: the rest of the part need not be read."""


@dataclass
class _Budget:
    """What all the parts of one file may spend together."""

    xml_bytes: int = 0
    elements: int = 0
    object_elements: int = 0


@dataclass
class _Row:
    depth: int
    number: int
    cells: int = 0
    column: int = 0


@dataclass
class _PartScan:
    budget: _Budget
    depth: int = 0
    root: str = ""
    sheet: _Sheet | None = None
    in_data: bool = False
    rows: list[_Row] = field(default_factory=list)  # the <row> elements open around this point
    row_elements: int = 0  # in the outermost open row
    row_count: int = 0
    last_row: int = 0
    cell_depth: int = 0  # of the open cell, 0 outside one
    cell_chars: int = 0
    cell_at: tuple[int, int] = (0, 0)
    formula: tuple[int, str, int] | None = None  # the open shared <f>: depth, its group, chars so far
    shared: dict[str, int] = field(default_factory=dict)  # a shared formula's group → its length
    copied: int = 0

    def doctype(self, *_: object) -> None:
        raise _refuse("not_a_spreadsheet")  # no spreadsheet part has one; without it, no entities

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        budget = self.budget
        budget.elements += 1
        if self.depth > MAX_DEPTH or budget.elements > MAX_ELEMENTS:
            raise _refuse("too_complex")
        local = name.rpartition(" ")[2]
        if self.depth == 1:
            self.root = local
            if local == "worksheet":
                self.sheet = _Sheet()
        if self.sheet is None:
            self._object_element()
            return
        if self.rows and self.depth == self.rows[-1].depth + 1:
            self._cell(self.rows[-1], attrs)  # openpyxl takes every child of a row for a cell
        if local == "f" and self.cell_depth and attrs.get("t") == "shared":
            self.formula = (self.depth, attrs.get("si", ""), 0)
        if local == "row":
            self._row(attrs)
        elif local == "dimension" and not self.in_data:
            self.sheet.dimension_first = True
        elif local == "sheetData":
            self.in_data = True
        if not self.rows:
            self._object_element()  # a sheet's head: column formats, merged cells, validations, links
            return
        self.row_elements += 1  # openpyxl holds a row whole, whatever it holds, before handing it over
        if self.row_elements > MAX_ROW_ELEMENTS:
            self._stop(FileProblem("too_complex"))

    def _object_element(self) -> None:
        self.budget.object_elements += 1
        if self.budget.object_elements > MAX_OBJECT_ELEMENTS:
            raise _refuse("too_complex")

    def _row(self, attrs: dict[str, str]) -> None:
        number = _row_number(attrs["r"]) if "r" in attrs else self.last_row + 1
        self.last_row = number
        if not self.rows:
            self.row_elements = 0
        self.row_count += 1
        self.rows.append(_Row(self.depth, number))
        assert self.sheet is not None
        self.sheet.max_row = max(self.sheet.max_row, number)
        if number > MAX_READ_ROWS or self.row_count > MAX_READ_ROWS:
            self._stop(FileProblem("too_many_rows", params={"maximum": MAX_ROWS}))

    def _cell(self, row: _Row, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        row.column = _column_number(ref) if ref else row.column + 1
        row.cells += 1
        assert self.sheet is not None
        self.sheet.max_column = max(self.sheet.max_column, row.column)
        if row.column > MAX_COLUMNS or row.cells > MAX_COLUMNS:
            self._stop(FileProblem("too_many_columns", params={"maximum": MAX_COLUMNS}))
        self.cell_depth, self.cell_chars, self.cell_at = self.depth, 0, (row.number, row.column)

    def end(self, name: str) -> None:
        if self.formula is not None and self.depth == self.formula[0]:
            self._shared_formula(*self.formula[1:])
        if self.rows and self.depth == self.rows[-1].depth:
            self.rows.pop()
        if self.depth == self.cell_depth:
            self.cell_depth = 0
        if self.depth == 2 and name.rpartition(" ")[2] == "sheetData":
            self.in_data = False
        self.depth -= 1

    def _shared_formula(self, group: str, chars: int) -> None:
        """openpyxl rewrites the first formula of a group for every later cell of it (as Excel shows it)."""
        self.formula = None
        if group in self.shared:
            self.copied += self.shared[group]
            if self.copied > MAX_FORMULA_COPIES:
                self._stop(FileProblem("too_complex"))
        elif chars:
            self.shared[group] = chars

    def text(self, data: str) -> None:
        if self.formula is not None:
            depth, group, chars = self.formula
            self.formula = (depth, group, chars + len(data))
        if self.cell_depth:
            self.cell_chars += len(data)
            if self.cell_chars > MAX_CELL_CHARS:
                row, column = self.cell_at
                self._stop(
                    FileProblem("too_long_cell", row, column_letter(column - 1), {"maximum": MAX_CELL_CHARS})
                )

    def _stop(self, problem: FileProblem) -> None:
        assert self.sheet is not None
        self.sheet.problem = problem
        if not self.sheet.dimension_first:  # openpyxl would read all of it just to load the workbook
            raise RevenueFileError([problem])
        raise _Stop


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)  # openpyxl accepts "7.0"
        if not number.is_integer():
            raise
        return int(number)


def _column_number(ref: str) -> int:
    match = _COORDINATE.fullmatch(ref)
    if match is None:
        raise _refuse("not_a_spreadsheet")
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _is_xml(head: bytes) -> bool:
    """Whether a part is XML that openpyxl could parse; XML in any encoding but UTF-8 is refused."""
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if stripped.startswith(b"<"):
        return True
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\0", b"\0<"):
        raise _refuse("not_a_spreadsheet")
    return False  # a picture, printer settings: openpyxl reads none of them as XML


def _scan_parts(archive: zipfile.ZipFile) -> dict[str, _Sheet]:
    """Every XML part streamed through expat once; the worksheets' measures by part name."""
    budget = _Budget()
    sheets: dict[str, _Sheet] = {}
    for info in archive.infolist():
        if info.is_dir() or info.file_size == 0:
            continue
        with archive.open(info) as stream:
            head = stream.read(CHUNK)
            if not _is_xml(head):
                continue
            sheet = _scan(stream, head, budget)
        if sheet is not None:
            sheets[info.filename] = sheet
    return sheets


def _scan(stream: IO[bytes], head: bytes, budget: _Budget) -> _Sheet | None:
    part = _PartScan(budget)
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = part.doctype
    parser.StartElementHandler = part.start
    parser.EndElementHandler = part.end
    parser.CharacterDataHandler = part.text
    gap = 0  # bytes since the last '<'
    size = 0
    chunk = head
    try:
        while chunk:
            first = chunk.find(b"<")
            if first < 0:
                gap += len(chunk)
            else:
                gap += first
                if gap <= MAX_GAP:
                    gap = len(chunk) - 1 - chunk.rfind(b"<")  # gaps inside one chunk are shorter than it
            if gap > MAX_GAP:
                raise _refuse("too_complex")
            parser.Parse(chunk, False)
            # A worksheet is bounded by its rows and cells; any other part openpyxl parses whole.
            size += len(chunk)
            budget.xml_bytes += len(chunk)
            if budget.xml_bytes > MAX_XML_BYTES or (part.sheet is None and size > MAX_PART_BYTES):
                raise _refuse("too_complex")
            chunk = stream.read(CHUNK)
        parser.Parse(b"", True)
    except _Stop:
        pass
    return part.sheet


# -- 3. openpyxl -----------------------------------------------------------------------------------------


def _read_first_sheet(data: bytes, sheets: dict[str, _Sheet]) -> Grid:
    # Not data_only: a formula must be seen as a formula, not as whatever value Excel cached.
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        sheet = book.worksheets[0]
        measured = sheets.get(getattr(sheet, "_worksheet_path", ""))
        if measured is None:
            raise _refuse("not_a_spreadsheet")
        if measured.problem is not None:
            raise RevenueFileError([measured.problem])
        if (sheet.max_row or 0) > MAX_READ_ROWS:  # the extent the sheet declares
            raise _refuse("too_many_rows", maximum=MAX_ROWS)
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise _refuse("too_many_columns", maximum=MAX_COLUMNS)
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
                        raise _refuse("too_complex")
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
