"""The monthly ledger's (台账) files: the workbook written as its rows come (bot/documents/xlsx_write.py), the
same bytes for the same sheets and build time, and the first sheet again as a GBK CSV, written in the same
pass over its rows."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

from bot.documents.xlsx_write import Package, SheetTop, write_sheet
from handlers.ports import Cell, Sheet, WorkbookFiles

# What a spreadsheet reads as the start of a formula (or of a DDE payload, in a CSV opened by Excel).
FORMULA_STARTS = ("=", "+", "-", "@")


def csv_text(value: Cell) -> str:
    """A CSV field: text a spreadsheet would read as a formula gets a leading apostrophe, as Excel
    itself marks text (a CSV has no cell types to say so otherwise)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def _also_csv(rows: Iterable[Sequence[Cell]], out: Any) -> Iterator[Sequence[Cell]]:
    """The rows, each written to the CSV as it passes (csv_text, inlined: 2.4 million cells a ledger)."""
    for row in rows:
        out.writerow(["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in row])
        yield row


def write_workbook(sheets: Sequence[Sheet], built_at: datetime) -> WorkbookFiles:
    """The XLSX of `sheets` (title line, header frozen under it, rows as they come, or the sheet's
    `empty` line) with `built_at` as its created and modified time and every zip entry's; and the
    first sheet's header and rows as GBK CSV (a character GBK lacks becomes '?')."""
    # Both files go to temporary files as they are written and are read back whole once: growing
    # buffers (30 MB of CSV for 100,000 rows) would be copied as they grow, and the peak with them.
    with tempfile.TemporaryFile() as xlsx, tempfile.TemporaryFile() as table:
        book = Package(xlsx, built_at)
        text = io.TextIOWrapper(table, encoding="gbk", errors="replace", newline="")
        out = csv.writer(text, lineterminator="\r\n")
        first_rows = 0
        for n, sheet in enumerate(sheets):
            top = SheetTop(sheet.title, sheet.header, sheet.widths, sheet.note)
            rows = sheet.rows
            if n == 0:
                out.writerow([csv_text(h) for h in sheet.header])
                rows = _also_csv(rows, out)
            with book.sheet(sheet.name) as part:
                count = write_sheet(part, top, rows, sheet.empty, selected=n == 0)
            if n == 0:
                first_rows = count
                if count == 0 and sheet.empty:
                    out.writerow([csv_text(sheet.empty)])
        book.close()
        text.flush()
        text.detach()
        return WorkbookFiles(_whole(xlsx), _whole(table), first_rows)


def _whole(file: IO[bytes]) -> bytes:
    file.seek(0)
    return file.read()
