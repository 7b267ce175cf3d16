"""Step 2 of reading an uploaded XLSX (bot/documents/xlsx_read.py): every XML part of the workbook streamed
once through expat, keeping nothing but counters, before openpyxl sees any of it: no DOCTYPE (so no
entities), bounded depth, elements, bytes between tags; in a worksheet its rows, columns, cells and each
cell's length, counted as openpyxl will see them."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

from handlers.services.revenue_import import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_READ_ROWS,
    MAX_ROWS,
    FileProblem,
    RevenueFileError,
    column_letter,
)

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


def refusal(
    code: str, row: int | None = None, column: str | None = None, **params: object
) -> RevenueFileError:
    """The error that refuses a file for one problem."""
    return RevenueFileError([FileProblem(code, row, column, params)])


@dataclass
class MeasuredSheet:
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
    sheet: MeasuredSheet | None = None
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
        raise refusal("not_a_spreadsheet")  # no spreadsheet part has one; without it, no entities

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        budget = self.budget
        budget.elements += 1
        if self.depth > MAX_DEPTH or budget.elements > MAX_ELEMENTS:
            raise refusal("too_complex")
        local = name.rpartition(" ")[2]
        if self.depth == 1:
            self.root = local
            if local == "worksheet":
                self.sheet = MeasuredSheet()
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
            raise refusal("too_complex")

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
        raise refusal("not_a_spreadsheet")
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
        raise refusal("not_a_spreadsheet")
    return False  # a picture, printer settings: openpyxl reads none of them as XML


def scan_parts(archive: zipfile.ZipFile) -> dict[str, MeasuredSheet]:
    """Every XML part streamed through expat once; the worksheets' measures by part name."""
    budget = _Budget()
    sheets: dict[str, MeasuredSheet] = {}
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


def _scan(stream: IO[bytes], head: bytes, budget: _Budget) -> MeasuredSheet | None:
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
                raise refusal("too_complex")
            parser.Parse(chunk, False)
            # A worksheet is bounded by its rows and cells; any other part openpyxl parses whole.
            size += len(chunk)
            budget.xml_bytes += len(chunk)
            if budget.xml_bytes > MAX_XML_BYTES or (part.sheet is None and size > MAX_PART_BYTES):
                raise refusal("too_complex")
            chunk = stream.read(CHUNK)
        parser.Parse(b"", True)
    except _Stop:
        pass
    return part.sheet
