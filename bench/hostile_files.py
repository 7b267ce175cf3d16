"""Hostile uploads and setup files: what reading each one costs, and what it is answered.

Each spreadsheet goes through bot/documents/sheet_worker.py as the bot reads an upload: in a child of its own,
whose CPU and peak resident memory above its start are measured there (resource.getrusage). Each setup
file is read by bot/documents/setup_file.py in a fresh process, measured the same way. Nothing is asserted:
the tests (tests/unit/test_hostile_files.py) hold the bounds; this prints the figures.

    .venv/bin/python bench/hostile_files.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.documents.sheet_worker import read_in_child  # noqa: E402
from tests.support import hostile_files as H  # noqa: E402

SHEETS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "cells at A1, XFD1, A600": ("sparse.xlsx", H.sparse_xlsx),
    "zip of 200,000 rows": ("bomb.xlsx", H.zip_bomb_rows),
    "50,000-row sheet": ("rows.xlsx", H.many_rows_xlsx),
    "broken sheet XML": ("broken.xlsx", H.broken_sheet_xml),
    "CSV field of 200,000 chars": ("long.csv", H.csv_long_field),
    "a row of 1M cells (deflated)": ("wide.xlsx", H.wide_row_xlsx),
    "a row of 1M cells (stored)": ("wide.xlsx", lambda: H.wide_row_xlsx(level=0)),
    "a cell of 5M chars (stored)": ("cell.xlsx", lambda: H.huge_cell_xlsx(level=0)),
    "entities (billion laughs)": ("laughs.xlsx", H.entity_bomb_xlsx),
    "a tag of 1M attributes": ("attrs.xlsx", H.many_attributes_xlsx),
    "XML nested 100,000 deep": ("deep.xlsx", H.deep_xml_xlsx),
    "a sheet declaring 100,000 rows": ("declared.xlsx", H.declared_rows_xlsx),
    "250,000 column formats in a sheet": ("cols.xlsx", H.column_formats_xlsx),
    "250,000 bare cell formats": ("xf.xlsx", H.bare_formats_xlsx),
    "a cell stuffed with 250,000 elements": ("stuffed.xlsx", H.stuffed_row_xlsx),
    "550 rows stuffed with 4,000 elements each": ("stuffed.xlsx", lambda: H.stuffed_row_xlsx(4_000, 550)),
    "a style sheet of 9 MB": ("big.xlsx", H.big_parts_xlsx),
    "four XML parts of 7 MB": ("big.xlsx", lambda: H.big_parts_xlsx(4, 7)),
    "550 rows stuffed with 500 elements each": ("stuffed.xlsx", lambda: H.stuffed_row_xlsx(500, 550)),
    "70 cells of 32,000 chars": ("text.xlsx", lambda: H.much_text_xlsx(rows=70)),
    "a CSV of 65 columns": ("wide.csv", H.wide_csv),
    "a CSV of 2.1 million chars": ("wordy.csv", H.wordy_csv),
    "a formula shared by 33,000 cells": ("shared.xlsx", H.shared_formula_xlsx),
    "a bzip2 entry": ("bz.xlsx", H.bzip2_xlsx),
    "200,000 zip entries": ("entries.xlsx", H.many_entries_zip),
    "19 MB of noise as .xlsx": ("noise.xlsx", H.random_xlsx_named),
    "19 MB CSV of rows": ("big.csv", H.big_csv),
    "19 MB CSV of one line": ("line.csv", H.one_line_csv),
    "24,000 cell formats (deflated)": ("styles.xlsx", lambda: H.heavy_styles_xlsx(level=9)),
    "60,000 cell formats (stored)": ("styles.xlsx", lambda: H.heavy_styles_xlsx(60_000)),
    "24,000 cell formats (accepted)": ("styles.xlsx", H.heavy_styles_xlsx),
    "12,000 shared strings, 22,000 cells (accepted)": ("strings.xlsx", H.shared_strings_xlsx),
    "CSV of 550 x 64 fields, GB18030 (accepted)": ("full.csv", H.full_csv),
    "40 sheets of 500 rows (accepted)": ("sheets.xlsx", H.many_sheets_xlsx),
    "just under every limit at once (read: formulas)": ("limits.xlsx", H.at_every_limit_xlsx),
    "550 x 64 numbers (accepted)": ("full.xlsx", H.full_grid_xlsx),
    "60 cells of 32,000 chars (accepted)": ("text.xlsx", H.much_text_xlsx),
    "the shipped example (accepted)": (
        "revenue-2026Q3.xlsx",
        lambda: (ROOT / "examples" / "revenue-2026Q3.xlsx").read_bytes(),
    ),
}

SETUP: dict[str, Callable[[], str]] = {
    "billion laughs": H.billion_laughs_yaml,
    "nested 10,000 deep": H.deep_yaml,
    "nested 25 deep": lambda: H.deep_yaml(25),
    "1 MB of one-line items": lambda: "offices:\n" + "  - 1\n" * 170_000,
    "1.5 MB": H.oversized_yaml,
    "the shipped example (accepted)": lambda: (ROOT / "examples" / "setup.yaml").read_text(encoding="utf-8"),
}


def _setup_child(path: str, out: multiprocessing.connection.Connection) -> None:
    from bot.documents.setup_file import SetupFileError, read_setup

    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        doc = read_setup(Path(path))
        answer = "read: " + ", ".join(f"{len(v)} {k}" for k, v in doc.items())
    except SetupFileError as exc:
        answer = str(exc).replace(path, "FILE")
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    out.send((answer, cpu, (after.ru_maxrss - before.ru_maxrss) * 1024))


def measure_setup(text: str) -> tuple[str, float, int]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bot.documents.setup_file"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "setup.yaml"
        path.write_text(text, encoding="utf-8")
        ours, theirs = context.Pipe()
        process = context.Process(target=_setup_child, args=(str(path), theirs))
        process.start()
        theirs.close()
        try:
            if not ours.poll(120):
                process.kill()
                return "no answer in 120 s", float("nan"), 0
            answer, cpu, peak = ours.recv()
        finally:
            process.join()
    return answer, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args()
    print(f"{'spreadsheet':48} {'size':>8} {'CPU s':>7} {'peak MB':>8} {'wall s':>7}  answer")
    for label, (name, make) in SHEETS.items():
        data = make()
        outcome = read_in_child(data, name)
        usage = outcome.usage
        codes = Counter(p.code for p in outcome.read.problems)
        answer = ", ".join(f"{c} x{n}" if n > 1 else c for c, n in codes.items())
        answer = answer or f"read: {len(outcome.read.grid)} rows"
        if usage is None:
            print(f"{label:48} {_size(len(data)):>8} {'killed':>7} {'-':>8} {'-':>7}  {answer}")
            continue
        figures = f"{usage.cpu_seconds:7.3f} {usage.peak_bytes / 2**20:8.1f} {usage.wall_seconds:7.2f}"
        print(f"{label:48} {_size(len(data)):>8} {figures}  {answer}")
    print()
    print(f"{'setup file':48} {'size':>8} {'CPU s':>7} {'peak MB':>8} {'wall s':>7}  answer")
    for label, make_text in SETUP.items():
        text = make_text()
        began = time.monotonic()
        answer, cpu, peak = measure_setup(text)
        wall = time.monotonic() - began
        print(
            f"{label:48} {_size(len(text.encode())):>8} {cpu:7.3f} {peak / 2**20:8.1f} {wall:7.2f}  {answer}"
        )


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"


if __name__ == "__main__":
    main()
