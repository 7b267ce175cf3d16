"""Keeps the gettext catalogs in step with the source: `python -m bot.i18n.catalogs` refreshes them."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, write_po

from bot.i18n.checks import FIX_HINT, find_catalog_problems
from bot.i18n.files import (
    catalog_entries,
    extract_source,
    message_ids,
    message_key,
    new_catalog,
    plural_forms,
    po_path,
    read_po_file,
    template_path,
    unparsable,
)
from handlers.text import LANGUAGES, Lang

SOURCE_LANG: Lang = "en"  # msgids are English, so the en catalog just repeats them
WIDTH = 76
# Lines that change on every run without saying anything about the messages.
_VOLATILE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*"\n', re.MULTILINE)


@dataclass(frozen=True)
class LocaleStats:
    lang: str
    messages: int
    untranslated: int
    fuzzy: int
    written: bool


def _serialise(catalog: Catalog, *, template: bool) -> bytes:
    out = BytesIO()
    # File names without line numbers: moving code does not touch the catalogs or make merges conflict.
    write_po(
        out,
        catalog,
        width=WIDTH,
        sort_output=True,
        include_lineno=False,
        ignore_obsolete=True,
        include_previous=not template,
    )
    return out.getvalue()


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write unless only the dates would change, so a refresh with nothing new leaves git clean."""
    if path.is_file() and _VOLATILE.sub(b"", path.read_bytes()) == _VOLATILE.sub(b"", content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def _copy_msgids(catalog: Catalog) -> None:
    """The source language translates each message to itself; only gaps and fuzzy guesses change."""
    for message in catalog_entries(catalog):
        if message.fuzzy or not all(plural_forms(message)):
            ids = message_ids(message)
            message.string = ids if len(ids) > 1 else ids[0]
            message.flags.discard("fuzzy")
            message.previous_id = []


def refresh(root: Path) -> list[LocaleStats]:
    """Re-extract the template, merge it into each language's .po (creating missing ones), fill en."""
    template = extract_source(root).template
    written = _write_if_changed(template_path(root), _serialise(template, template=True))
    stats = [_stats("wuye.pot", template, written)]
    for lang in LANGUAGES:
        path = po_path(root, lang)
        if path.is_file():
            try:
                catalog = read_po_file(path, lang)
            except PoFileError as e:  # never overwrite a translator's file that we could not read
                raise ValueError(f"{path} cannot be parsed: {unparsable(e)}; fix it by hand first") from e
        else:
            catalog = new_catalog(root, lang)
        previous = {
            message_key(m): m.previous_id for m in catalog_entries(catalog) if m.fuzzy and m.previous_id
        }
        catalog.update(template)  # new msgids close to a removed one come back fuzzy, with the old text
        for message in catalog_entries(catalog):  # update() forgets the old msgid of an entry still fuzzy
            if message.fuzzy and not message.previous_id:
                message.previous_id = previous.get(message_key(message), [])
        if lang == SOURCE_LANG:
            _copy_msgids(catalog)
        stats.append(_stats(lang, catalog, _write_if_changed(path, _serialise(catalog, template=False))))
    return stats


def _stats(lang: str, catalog: Catalog, written: bool) -> LocaleStats:
    entries = list(catalog_entries(catalog))
    untranslated = sum(1 for m in entries if not all(plural_forms(m)))
    fuzzy = sum(1 for m in entries if m.fuzzy)
    return LocaleStats(lang, len(entries), untranslated, fuzzy, written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.i18n.catalogs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if anything needs doing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    if not args.check:
        try:
            stats = refresh(args.root)
        except ValueError as e:
            print(e, file=sys.stderr)
            return 2
        for s in stats:
            status = "written" if s.written else "unchanged"
            counts = "" if s.lang == "wuye.pot" else f", {s.untranslated} untranslated, {s.fuzzy} fuzzy"
            print(f"{s.lang:>8}: {s.messages} messages{counts} ({status})")
    problems = find_catalog_problems(args.root)
    for problem in problems:
        print(problem)
    if problems:
        print(FIX_HINT)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
