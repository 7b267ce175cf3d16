"""Files made to hurt a reader: spreadsheets and CSV for the revenue upload, YAML for `wuye load`.
Made here, in memory (openpyxl for the honest parts, zipfile by hand for the malicious ones), for the
tests and for bench/hostile_files.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable

from openpyxl import Workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook_bytes(fill: Callable[[Workbook], object] | None = None) -> bytes:
    book = Workbook()
    if fill is not None:
        fill(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_parts(xlsx: bytes, parts: dict[str, bytes], level: int = 6) -> bytes:
    """`xlsx` with some parts replaced or added, packed again (deflate at `level`)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    rest = dict(parts)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            data = rest.pop(info.filename) if info.filename in rest else source.read(info.filename)
            target.writestr(info.filename, data)
        for name, data in rest.items():
            target.writestr(name, data)
    return out.getvalue()


def with_sheet(sheet_xml: bytes, level: int = 6) -> bytes:
    """A workbook whose only sheet is `sheet_xml`, written by hand."""
    return with_parts(workbook_bytes(), {"xl/worksheets/sheet1.xml": sheet_xml}, level)


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None) -> bytes:
    head = f'<worksheet xmlns="{MAIN}">'.encode()
    if dimension is not None:
        head += f'<dimension ref="{dimension}"/>'.encode()
    return head + b"<sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"


# -- the files the issue names ---------------------------------------------------------------------------


def sparse_xlsx() -> bytes:
    """2 KB: cells at A1, XFD1 and A600, so the sheet spans 16,384 columns by 600 rows."""

    def fill(book: Workbook) -> None:
        sheet = book.active
        assert sheet is not None
        sheet["A1"], sheet["XFD1"], sheet["A600"] = 1, 1, 1

    return workbook_bytes(fill)


def zip_bomb_rows(rows: int = 200_000) -> bytes:
    """Half a megabyte that unpacks to a sheet of `rows` rows, with no dimension to warn of it."""
    body = (b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, rows + 1))
    return with_sheet(sheet_xml(body), level=9)


def many_rows_xlsx(rows: int = 50_000) -> bytes:
    """An honest workbook of `rows` rows of six cells, as openpyxl writes it."""

    def fill(book: Workbook) -> None:
        sheet = book.active
        assert sheet is not None
        for i in range(rows):
            sheet.append(["parking", "income", "停车费", 1000 + i, "合同-2026-01", ""])

    return workbook_bytes(fill)


def broken_sheet_xml() -> bytes:
    """A sound zip whose sheet XML stops in the middle of a tag."""
    return with_sheet(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s'.encode())


def csv_long_field(length: int = 200_000) -> bytes:
    """A CSV one of whose fields is `length` characters long (csv's own limit is 131,072)."""
    return b"code,amount\nparking," + b"9" * length + b"\n"


# -- more of the same kind ------------------------------------------------------------------------------


def wide_row_xlsx(cells: int = 1_000_000, level: int = 9) -> bytes:
    """One row of a million empty cells: openpyxl builds a row whole before handing it over."""
    return with_sheet(sheet_xml([b'<row r="1">' + b"<c/>" * cells + b"</row>"], "A1:A1"), level)


def entity_bomb_xlsx() -> bytes:
    """Billion laughs in the shared strings."""
    entities = '<!ENTITY a "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    strings = f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="{MAIN}"><si><t>&i;</t></si></sst>'
    return with_parts(workbook_bytes(), {"xl/sharedStrings.xml": strings.encode()})


def doctype_xlsx() -> bytes:
    """Shared strings with a DOCTYPE that declares nothing: harmless here, and still no spreadsheet's."""
    strings = f'<?xml version="1.0"?><!DOCTYPE sst><sst xmlns="{MAIN}"><si><t>x</t></si></sst>'
    return with_parts(workbook_bytes(), {"xl/sharedStrings.xml": strings.encode()})


def huge_cell_xlsx(chars: int = 5_000_000, level: int = 9) -> bytes:
    """One inline string of five million characters."""
    cell = b'<c r="A1" t="inlineStr"><is><t>' + b"x" * chars + b"</t></is></c>"
    return with_sheet(sheet_xml([b'<row r="1">' + cell + b"</row>"], "A1:A1"), level)


def many_attributes_xlsx(count: int = 1_000_000) -> bytes:
    """A cell with a million attributes: expat holds a whole tag before it is handed over."""
    attributes = b"".join(b' a%d=""' % i for i in range(count))
    return with_sheet(sheet_xml([b'<row r="1"><c r="A1"' + attributes + b"/></row>"], "A1:A1"), level=9)


def deep_xml_xlsx(depth: int = 100_000) -> bytes:
    return with_sheet(sheet_xml([b"<x>" * depth + b"</x>" * depth]), level=9)


def deep_cell_xlsx(depth: int = 1_000) -> bytes:
    """A cell nested 1,000 elements deep: few elements, one long chain."""
    cell = b'<c r="A1"><v>1</v>' + b"<x>" * depth + b"</x>" * depth + b"</c>"
    return with_sheet(sheet_xml([b'<row r="1">' + cell + b"</row>"], "A1"))


def shared_formula_xlsx(rows: int = 550, columns: int = 60, terms: int = 3_000) -> bytes:
    """One formula of 3,000 terms shared by 33,000 cells: openpyxl rewrites it for each of them."""
    from openpyxl.utils import get_column_letter

    master = "+".join(f"A{i}" for i in range(1, terms + 1)).encode()
    letters = [get_column_letter(c).encode() for c in range(2, columns + 2)]
    rows_xml = []
    for r in range(1, rows + 1):
        cells = b"".join(
            b'<c r="%s%d"><f t="shared" si="0"%s>%s</f></c>'
            % (x, r, b' ref="B1:B1"' if r == 1 and i == 0 else b"", master if r == 1 and i == 0 else b"")
            for i, x in enumerate(letters)
        )
        rows_xml.append(b'<row r="%d">' % r + cells + b"</row>")
    return with_sheet(sheet_xml(rows_xml, f"A1:{get_column_letter(columns + 1)}{rows}"), level=0)


def declared_rows_xlsx(rows: int = 100_000) -> bytes:
    """Three rows in a sheet that declares itself `rows` rows high."""
    body = [b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in (1, 2, 3)]
    return with_sheet(sheet_xml(body, f"A1:F{rows}"))


def column_formats_xlsx(count: int = 250_000) -> bytes:
    """A sheet whose head carries 250,000 column formats: openpyxl makes an object of each as it streams
    the sheet, and they are no rows or cells."""
    cols = (
        b"<cols>" + b"".join(b'<col min="%d" max="%d"/>' % (i, i) for i in range(1, count + 1)) + b"</cols>"
    )
    body = f'<worksheet xmlns="{MAIN}"><dimension ref="A1"/>'.encode() + cols + b"<sheetData/></worksheet>"
    return with_sheet(body)


def bare_formats_xlsx(count: int = 250_000) -> bytes:
    """A style sheet of 250,000 empty cell formats (<xf/>): fewer elements than the scan counts in all,
    far more than openpyxl should build objects from."""
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode() + b"<xf/>" * count + b"</cellXfs></styleSheet>"
    return with_parts(workbook_bytes(), {"xl/styles.xml": styles}, level=0)


def stuffed_row_xlsx(count: int = 250_000, rows: int = 1) -> bytes:
    """Rows of one cell that holds `count` elements openpyxl ignores but keeps until the row ends."""
    cell = b'<c r="A%d"><v>1</v>' + b"<x/>" * count + b"</c>"
    body = [b'<row r="%d">' % r + cell % r + b"</row>" for r in range(1, rows + 1)]
    return with_sheet(sheet_xml(body, f"A1:A{rows}"), level=0)


def at_every_limit_xlsx() -> bytes:
    """Just under every limit at once: 28,000 cell formats, 550 rows of 64 cells each with five elements
    openpyxl ignores, and a formula of 900 characters shared by a cell in every row."""
    from openpyxl.utils import get_column_letter

    xfs = b"".join(
        b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>' % (i % 50) for i in range(28_000)
    )
    styles = (
        (
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellXfs>'
        ).encode()
        + xfs
        + b"</cellXfs></styleSheet>"
    )
    master = "+".join(f"A{i}" for i in range(1, 180)).encode()
    letters = [get_column_letter(c).encode() for c in range(3, 65)]
    rows = []
    for r in range(1, 551):
        first = r == 1
        cells = b'<c r="B%d"><f t="shared" si="0"%s>%s</f></c>' % (
            r,
            b' ref="B1:B550"' if first else b"",
            master if first else b"",
        )
        cells += b"".join(b'<c r="%s%d"><v>1</v>%s</c>' % (x, r, b"<x/>" * 5) for x in letters)
        rows.append(b'<row r="%d">' % r + cells + b"</row>")
    sheet = sheet_xml(rows, "A1:BL550")
    return with_parts(workbook_bytes(), {"xl/styles.xml": styles, "xl/worksheets/sheet1.xml": sheet}, level=0)


def big_parts_xlsx(parts: int = 1, megabytes: int = 9) -> bytes:
    """`parts` XML parts of `megabytes` each, in elements whose attributes are 100 KB of text apiece:
    few elements, every tag short of the longest allowed."""
    import random

    rng = random.Random(2)
    value = "".join(rng.choice("0123456789abcdef") for _ in range(100_000))
    count = megabytes * 2**20 // (len(value) + 10)
    body = "".join(f'<x v="{value}"/>' for _ in range(count))
    xml = f'<styleSheet xmlns="{MAIN}">{body}</styleSheet>'.encode()
    if parts == 1:
        return with_parts(workbook_bytes(), {"xl/styles.xml": xml})
    return with_parts(workbook_bytes(), {f"customXml/item{i}.xml": xml for i in range(parts)})


def bzip2_xlsx() -> bytes:
    """A sheet packed with bzip2, which zipfile unpacks without a bound on what one read returns."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            kind = zipfile.ZIP_BZIP2 if info.filename.endswith("sheet1.xml") else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, source.read(info.filename), compress_type=kind)
    return out.getvalue()


def many_entries_zip(entries: int = 200_000) -> bytes:
    """A zip whose central directory lists 200,000 empty entries (a ZipInfo object each)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for i in range(entries):
            target.writestr(zipfile.ZipInfo(f"{i:x}"), b"")
    return out.getvalue()


def full_grid_xlsx(rows: int = 550, columns: int = 64) -> bytes:
    """The most a sheet may hold: every cell of 550 rows by 64 columns a number (accepted)."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    body = (
        b'<row r="%d">' % r
        + b"".join(b'<c r="%s%d"><v>%d.25</v></c>' % (x.encode(), r, r) for x in letters)
        + b"</row>"
        for r in range(1, rows + 1)
    )
    return with_sheet(sheet_xml(body, f"A1:{letters[-1]}{rows}"))


def _words(count: int, length: int, seed: int = 1) -> list[bytes]:
    """`count` different texts of `length` Chinese characters: text that packs as text does."""
    import random

    rng = random.Random(seed)
    return ["".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(length)).encode() for _ in range(count)]


def much_text_xlsx(rows: int = 60, chars: int = 32_000) -> bytes:
    """Sixty cells of 32,000 characters each: nearly all the text a file may hold (accepted)."""
    texts = _words(rows, chars)
    body = (
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (r, r, texts[r - 1])
        for r in range(1, rows + 1)
    )
    return with_sheet(sheet_xml(body, f"A1:A{rows}"))


def heavy_styles_xlsx(formats: int = 24_000, level: int = 0) -> bytes:
    """A style sheet of `formats` cell formats: openpyxl builds an object for every element of it."""
    xfs = b"".join(
        b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>' % (i % 50) for i in range(formats)
    )
    styles = (
        (
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            f'<cellXfs count="{formats}">'
        ).encode()
        + xfs
        + b"</cellXfs></styleSheet>"
    )
    return with_parts(workbook_bytes(), {"xl/styles.xml": styles}, level)


def shared_strings_xlsx(strings: int = 12_000, rows: int = 550, columns: int = 40) -> bytes:
    """`strings` shared strings of 80 characters, and a sheet of `rows` by `columns` cells using them."""
    from openpyxl.utils import get_column_letter

    texts = _words(strings, 80)
    table = (
        f'<sst xmlns="{MAIN}" count="{strings}" uniqueCount="{strings}">'.encode()
        + b"".join(b"<si><t>%s</t></si>" % t for t in texts)
        + b"</sst>"
    )
    letters = [get_column_letter(c).encode() for c in range(1, columns + 1)]
    body = (
        b'<row r="%d">' % r
        + b"".join(
            b'<c r="%s%d" t="s"><v>%d</v></c>' % (x, r, (r * columns + i) % strings)
            for i, x in enumerate(letters)
        )
        + b"</row>"
        for r in range(1, rows + 1)
    )
    book = with_sheet(sheet_xml(body, f"A1:{get_column_letter(columns)}{rows}"))
    types = (
        zipfile.ZipFile(io.BytesIO(book))
        .read("[Content_Types].xml")
        .replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    )
    return with_parts(book, {"xl/sharedStrings.xml": table, "[Content_Types].xml": types})


def many_sheets_xlsx(sheets: int = 40, rows: int = 500) -> bytes:
    """Forty sheets of 500 rows by 6 columns, each within the limits on its own."""

    def fill(book: Workbook) -> None:
        for n in range(sheets):
            sheet = book.active if n == 0 else book.create_sheet(f"s{n}")
            assert sheet is not None
            for i in range(rows):
                sheet.append([i, i, i, i, i, i])

    return workbook_bytes(fill)


def full_csv(rows: int = 550, columns: int = 64, chars: int = 50) -> bytes:
    """550 lines of 64 fields of 50 characters, GB18030 only in its last line: read as UTF-8 until there,
    then again (accepted)."""
    field = "x" * chars
    lines = [",".join([field] * columns) for _ in range(rows - 1)]
    return ("\r\n".join(lines) + "\r\n").encode() + "合计,0".encode("gb18030") + b"\r\n"


def wide_csv(columns: int = 65) -> bytes:
    return ("code," + ",".join(f"c{i}" for i in range(columns - 1)) + "\n").encode()


def wordy_csv(rows: int = 550, columns: int = 64, chars: int = 60) -> bytes:
    """550 lines of 64 fields of 60 characters: more text than a disclosure can hold."""
    return ("\n".join(",".join(["x" * chars] * columns) for _ in range(rows)) + "\n").encode()


def big_csv(megabytes: int = 19) -> bytes:
    """Honest-looking rows, far too many of them."""
    line = "parking,income,停车费,96000.00,合同-2026-01,\r\n".encode()
    return line * (megabytes * 2**20 // len(line))


def one_line_csv(megabytes: int = 19) -> bytes:
    """Nineteen megabytes without a line break, in one unquoted field."""
    return b"x" * (megabytes * 2**20)


def random_xlsx_named(megabytes: int = 19) -> bytes:
    """Noise behind a zip's first four bytes."""
    import random

    return b"PK\x03\x04" + random.Random(1).randbytes(megabytes * 2**20)


# -- setup files --------------------------------------------------------------------------------------


def billion_laughs_yaml() -> str:
    """Nine lines whose last stands for 9^9 values, each line an item of a section, as the reader walks
    them: `name` of the first office is nine strings, of the second nine times the first, and so on."""
    lines = ["offices:", '  - {key: a, name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]}']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"  - {{key: {name}, name: &{name} [" + ",".join([f"*{prev}"] * 9) + "]}")
    return "\n".join(lines) + "\n"


def deep_yaml(depth: int = 10_000) -> str:
    return "offices:\n  - " + "[" * depth + "]" * depth + "\n"


def oversized_yaml(megabytes: float = 1.5) -> str:
    item = "  - {key: office-%d, name: 某某街道办事处, kind: street}\n"
    lines = ["offices:\n"]
    size, i = 0, 0
    while size < megabytes * 2**20:
        line = item % i
        lines.append(line)
        size += len(line.encode())
        i += 1
    return "".join(lines)
