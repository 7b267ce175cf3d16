"""A streaming SpreadsheetML (XLSX) writer for what wuye sends: a few sheets of a title line, a note, a
bold header frozen under them and then rows of text and numbers, as many as come.

Each worksheet's XML is written straight into its zip entry as the rows come (in batches), so a sheet of
100,000 rows is never held whole, and nothing but the compressed package grows. openpyxl's write-only
mode did the same through et_xmlfile, which in pure Python spent about 60 % of a 100,000-row ledger
(bench/ledger.py); here a row is one string.

Every text is an inline string (`t="inlineStr"`): a cell that starts with `=`, `+`, `-` or `@` is text,
never a formula. Characters XML 1.0 cannot carry (control characters other than tab and line breaks,
lone surrogates, U+FFFE and U+FFFF) are dropped and a text is cut at Excel's 32,767 characters, as
openpyxl did. Every zip entry carries one given time and the parts are written in a fixed order, so the
same sheets and time give the same bytes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from handlers.ports import Cell
from handlers.services.revenue_import import column_letter

MAX_TEXT = 32_767  # characters in a cell (Excel's limit)
MAX_SHEET_NAME = 31
BATCH = 200  # rows joined into one write to the zip entry
# zlib's level: 3 compresses 100,000 rows (127 MB of XML) to 8.7 MB in a third of a second; the default
# 6 to 7.9 MB in 0.9 s, 1 to 9.5 MB in 0.26 s.
LEVEL = 3
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_BAD = re.compile(f"[{_FORBIDDEN}]")
_SPECIAL = re.compile(f"[&<>{_FORBIDDEN}]")
_NOT_IN_NAME = re.compile(r"[\[\]:*?/\\]")  # characters a sheet's name may not hold

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006"
REL = f"{OFFICE}/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PLAIN, BOLD = 0, 1  # the two cell formats of styles.xml


def clean(text: str) -> str:
    """Text as a cell can hold it: without the characters XML 1.0 forbids, at most 32,767 characters."""
    return _BAD.sub("", text)[:MAX_TEXT]


def escape(text: str) -> str:
    """Clean text, escaped for an XML text node (`attribute` for a double-quoted attribute)."""
    if _SPECIAL.search(text) is None and len(text) <= MAX_TEXT:
        return text
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def sheet_name(name: str) -> str:
    """A tab's name as Excel allows it: without []:*?/\\, at most 31 characters, not blank."""
    return _NOT_IN_NAME.sub("", clean(name))[:MAX_SHEET_NAME].strip("'") or "Sheet"


def _number(value: object) -> str | None:
    """A number as <v> holds it; None for what is not a finite number (written as text instead)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


class Columns:
    """Column letters, worked out once: A, B, ... as far as a row reaches."""

    def __init__(self) -> None:
        self.letters: list[str] = []

    def upto(self, n: int) -> list[str]:
        while len(self.letters) < n:
            self.letters.append(column_letter(len(self.letters)))
        return self.letters


def _text(value: str) -> str:
    """A text cell's XML (the slow way: escaped, cleaned, cut; whitespace at its ends kept)."""
    value = escape(value)
    if not value:
        return ""
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'


def row_xml(r: int, values: Sequence[Cell], letters: Sequence[str], style: int = PLAIN) -> str:
    """One <row>: text inline, numbers as numbers; empty cells (None, "") left out. A row is a few
    microseconds a cell here, the hottest loop of a ledger: text that needs no escaping (almost all)
    is written as it is."""
    rs = f'{r}" s="{style}"' if style else f'{r}"'
    parts = [f'<row r="{r}">']
    append = parts.append
    for letter, value in zip(letters, values, strict=False):
        if value.__class__ is str:
            if not value:
                continue
            plain = _SPECIAL.search(value) is None and len(value) <= MAX_TEXT
            if plain and not value[0].isspace() and not value[-1].isspace():
                append(f'<c r="{letter}{rs} t="inlineStr"><is><t>{value}</t></is></c>')
                continue
            tail = _text(value)
            if tail:
                append(f'<c r="{letter}{rs}{tail}')
        elif value is None:
            continue
        else:
            number = _number(value)
            if number is not None:
                append(f'<c r="{letter}{rs}><v>{number}</v></c>')
            else:
                tail = _text(str(value))
                if tail:
                    append(f'<c r="{letter}{rs}{tail}')
    append("</row>")
    return "".join(parts)


@dataclass(frozen=True)
class SheetTop:
    """What stands above a sheet's rows: the title (bold), a note, the header (bold, frozen with
    everything above it), the columns' widths in characters."""

    title: str
    header: Sequence[str]
    widths: Sequence[int] = ()
    note: str = ""


def write_sheet(
    part: IO[bytes], top: SheetTop, rows: Iterable[Sequence[Cell]], empty: str = "", selected: bool = False
) -> int:
    """The worksheet XML of `top` and then `rows` as they come (or the `empty` line when none came),
    written to `part` in batches; how many rows came."""
    columns = Columns()
    first = 3 if top.note else 2  # the header's row
    pane = (
        f'<pane ySplit="{first}" topLeftCell="A{first + 1}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{first + 1}" sqref="A{first + 1}"/>'
    )
    selected_mark = ' tabSelected="1"' if selected else ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(top.widths, 1)
    )
    head = [
        HEAD,
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">',
        f'<sheetViews><sheetView{selected_mark} workbookViewId="0">{pane}</sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>",
        row_xml(1, [top.title], columns.upto(1), BOLD),
    ]
    if top.note:
        head.append(row_xml(2, [top.note], columns.upto(1)))
    head.append(row_xml(first, list(top.header), columns.upto(len(top.header)), BOLD))
    part.write("".join(head).encode())
    count, batch = 0, []
    for count, row in enumerate(rows, 1):  # noqa: B007 (count is read after the loop)
        letters = columns.letters if len(row) <= len(columns.letters) else columns.upto(len(row))
        batch.append(row_xml(first + count, row, letters))
        if len(batch) == BATCH:
            part.write("".join(batch).encode())
            batch = []
    if count == 0 and empty:
        batch.append(row_xml(first + 1, [empty], columns.upto(1)))
    batch.append(
        '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        "</worksheet>"
    )
    part.write("".join(batch).encode())
    return count


# ---- the package around the sheets -------------------------------------------------------------------
_CT = "application/vnd.openxmlformats-officedocument"
_STYLES = (
    f'{HEAD}<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _content_types(sheets: int) -> str:
    parts = [
        ("/xl/workbook.xml", f"{_CT}.spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", f"{_CT}.spreadsheetml.styles+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", f"{_CT}.extended-properties+xml"),
    ]
    parts += [
        (f"/xl/worksheets/sheet{n}.xml", f"{_CT}.spreadsheetml.worksheet+xml") for n in range(1, sheets + 1)
    ]
    return (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts)
        + "</Types>"
    )


def _rels(targets: Sequence[tuple[str, str]]) -> str:
    return (
        f'{HEAD}<Relationships xmlns="{PKG_REL}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{t}" Target="{p}"/>' for i, (t, p) in enumerate(targets, 1)
        )
        + "</Relationships>"
    )


def _core(when: str, creator: str) -> str:
    w3c = 'xsi:type="dcterms:W3CDTF"'
    return (
        f"{HEAD}<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>{escape(creator)}</dc:creator>"
        f"<dcterms:created {w3c}>{when}</dcterms:created><dcterms:modified {w3c}>{when}</dcterms:modified>"
        "</cp:coreProperties>"
    )


def _workbook(names: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{attribute(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1)
    )
    return (
        f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


class Package:
    """An XLSX being written to `out` (seekable): `sheet` opens each worksheet's entry in turn; `close`
    adds the parts that name them. Every entry carries `built_at` (as UTC), so the same contents give
    the same bytes."""

    def __init__(self, out: IO[bytes], built_at: datetime, creator: str = "wuye") -> None:
        self.stamp = built_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        self.creator = creator
        self.zip = ZipFile(out, "w", ZIP_DEFLATED)
        self.names: list[str] = []

    def _entry(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=self.stamp.timetuple()[:6])
        info.compress_type = ZIP_DEFLATED
        info._compresslevel = LEVEL  # type: ignore[attr-defined]  # as ZipFile.writestr sets it
        info.external_attr = 0o600 << 16
        return info

    def sheet(self, name: str) -> IO[bytes]:
        """The next worksheet's entry, to write its XML into and close."""
        taken = {n.casefold() for n in self.names}
        base = sheet_name(name)
        unique, n = base, 1
        while unique.casefold() in taken:  # Excel refuses two tabs of one name
            n += 1
            unique = f"{base[: MAX_SHEET_NAME - len(str(n)) - 1]}-{n}"
        self.names.append(unique)
        return self.zip.open(self._entry(f"xl/worksheets/sheet{len(self.names)}.xml"), "w")

    def close(self) -> None:
        n = len(self.names)
        parts = {
            "[Content_Types].xml": _content_types(n),
            "_rels/.rels": _rels(
                [
                    (f"{REL}/officeDocument", "xl/workbook.xml"),
                    (f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"),
                    (f"{REL}/extended-properties", "docProps/app.xml"),
                ]
            ),
            "docProps/core.xml": _core(f"{self.stamp:%Y-%m-%dT%H:%M:%SZ}", self.creator),
            "docProps/app.xml": (
                f'{HEAD}<Properties xmlns="{OFFICE}/extended-properties">'
                f"<Application>{escape(self.creator)}</Application></Properties>"
            ),
            "xl/workbook.xml": _workbook(self.names),
            "xl/_rels/workbook.xml.rels": _rels(
                [(f"{REL}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n + 1)]
                + [(f"{REL}/styles", "styles.xml")]
            ),
            "xl/styles.xml": _STYLES,
        }
        for name, text in parts.items():
            self.zip.writestr(self._entry(name), text.encode())
        self.zip.close()
