"""Keeps the gettext catalogs in step with the source: `python -m bot.catalogs` refreshes them."""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from string import Formatter

from babel.messages import frontend
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, unescape, write_po

from handlers.text import LANGUAGES, Lang

DOMAIN = "wuye"
SOURCE_LANG: Lang = "en"  # msgids are English, so the en catalog just repeats them
# The same keywords as the documented `pybabel extract --no-default-keywords -k ...` command;
# `tr.gettext("...")` and the conversations' `turn.t("...", name=...)` are found too, since Babel
# matches the last name before the parenthesis.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "t": None,
}
COMMENT_TAGS = ("Translators:",)
WIDTH = 76
HEADER = (
    "# Translations template for PROJECT.\n"
    "# This file is distributed under the same license as the PROJECT project.\n#"
)
# Lines that change on every run without saying anything about the messages.
_VOLATILE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*"\n', re.MULTILINE)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')  # one "..." piece of a po string, escapes included
FIX_HINT = (
    "Fix: run `python -m bot.catalogs` to refresh the catalogs, then translate the empty and fuzzy "
    "entries in locales/zh_Hans and locales/zh_Hant (LC_MESSAGES/wuye.po), deleting the `fuzzy` flag "
    "once an entry is right; keep every {placeholder} of the msgid."
)


@dataclass(frozen=True)
class Source:
    """What extraction finds in the code: a fresh template catalog and the files it read."""

    template: Catalog
    files: tuple[str, ...]


@dataclass(frozen=True)
class LocaleStats:
    lang: str
    messages: int
    untranslated: int
    fuzzy: int
    written: bool


def locales_dir(root: Path) -> Path:
    return root / "locales"


def template_path(root: Path) -> Path:
    return locales_dir(root) / f"{DOMAIN}.pot"


def po_path(root: Path, lang: str) -> Path:
    return locales_dir(root) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _project_version(root: Path) -> str:
    try:
        with (root / "pyproject.toml").open("rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0"


def _new_catalog(root: Path, lang: str | None = None) -> Catalog:
    catalog = Catalog(
        locale=lang,
        domain=DOMAIN if lang else None,
        header_comment=HEADER,
        project="wuye",
        version=_project_version(root),
        copyright_holder="wuye contributors",
        last_translator="wuye contributors",
        language_team="wuye contributors",
        revision_date=datetime.now(UTC) if lang else None,
        charset="utf-8",
        fuzzy=False,
    )
    catalog.msgid_bugs_address = ""  # the constructor turns "" back into a placeholder address
    return catalog


def extract_source(root: Path) -> Source:
    """Extract every marked message under `root` as `locales/babel.cfg` maps it, in memory."""
    cfg = locales_dir(root) / "babel.cfg"
    parse_cfg = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with cfg.open(encoding="utf-8") as f:
        method_map, options_map = parse_cfg(f, filename=str(cfg))
    files: list[str] = []

    def seen(filename: str, method: str, options: object) -> None:
        if method != "ignore":
            files.append(Path(filename).as_posix())

    template = _new_catalog(root)
    found = extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, callback=seen
    )
    for filename, lineno, message, comments, context in found:
        location = (Path(filename).as_posix(), lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    return Source(template, tuple(files))


# --- refresh -------------------------------------------------------------------------------------


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


def _forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, tuple | list) else (string or "",)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def _copy_msgids(catalog: Catalog) -> None:
    """The source language translates each message to itself; only gaps and fuzzy guesses change."""
    for message in _entries(catalog):
        if message.fuzzy or not all(_forms(message)):
            ids = _ids(message)
            message.string = ids if len(ids) > 1 else ids[0]
            message.flags.discard("fuzzy")
            message.previous_id = []


def _read_catalog(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN, abort_invalid=True)
    for message in _entries(catalog):
        _restore_previous(message)
    return catalog


def _restore_previous(message: Message) -> None:
    """Turn `#| msgid` lines back into the entry's previous msgid, kept only while it is fuzzy.

    Babel's reader takes them for translator comments ("| msgid ..."), so without this they would
    outlive the review, pile up on every refresh, and show old wording beside the right one.
    """
    lines = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
    if not lines:
        return
    message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    parts: list[list[str]] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":  # a later block replaces an earlier one
            parts = [[rest]]
        elif keyword == "msgid_plural" and parts:
            parts.append([rest])
        elif parts:
            parts[-1].append(line)
    # The writer wraps the quoted pieces like prose, breaking at a space even inside a piece.
    pieces = [_QUOTED.findall(" ".join(p)) for p in parts]
    message.previous_id = ["".join(unescape(q) for q in p) for p in pieces] if message.fuzzy else []


def refresh(root: Path) -> list[LocaleStats]:
    """Re-extract the template, merge it into each language's .po (creating missing ones), fill en."""
    template = extract_source(root).template
    written = _write_if_changed(template_path(root), _serialise(template, template=True))
    stats = [_stats("wuye.pot", template, written)]
    for lang in LANGUAGES:
        path = po_path(root, lang)
        if path.is_file():
            try:
                catalog = _read_catalog(path, lang)
            except PoFileError as e:  # never overwrite a translator's file that we could not read
                raise ValueError(f"{path} cannot be parsed: {_unparsable(e)}; fix it by hand first") from e
        else:
            catalog = _new_catalog(root, lang)
        previous = {_key(m): m.previous_id for m in _entries(catalog) if m.fuzzy and m.previous_id}
        catalog.update(template)  # new msgids close to a removed one come back fuzzy, with the old text
        for message in _entries(catalog):  # update() forgets the old msgid of an entry still fuzzy
            if message.fuzzy and not message.previous_id:
                message.previous_id = previous.get(_key(message), [])
        if lang == SOURCE_LANG:
            _copy_msgids(catalog)
        stats.append(_stats(lang, catalog, _write_if_changed(path, _serialise(catalog, template=False))))
    return stats


def _stats(lang: str, catalog: Catalog, written: bool) -> LocaleStats:
    entries = list(_entries(catalog))
    untranslated = sum(1 for m in entries if not all(_forms(m)))
    fuzzy = sum(1 for m in entries if m.fuzzy)
    return LocaleStats(lang, len(entries), untranslated, fuzzy, written)


# --- checks --------------------------------------------------------------------------------------


def _show(ids: Iterable[str]) -> str:
    return " / ".join(json.dumps(i, ensure_ascii=False) for i in ids)


def _key(message: Message) -> tuple[str | None, tuple[str, ...]]:
    return (message.context, _ids(message))


def _keys(catalog: Catalog) -> dict[tuple[str | None, tuple[str, ...]], Message]:
    return {_key(m): m for m in _entries(catalog)}


def placeholders(text: str) -> frozenset[str]:
    """The `{...}` fields of a str.format string, spelled out with conversion and spec."""
    fields = set()
    for _, name, spec, conversion in Formatter().parse(text):
        if name is not None:
            fields.add(
                "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
    return frozenset(fields)


def _positional(text: str) -> bool:
    """Whether a format string has a `{}` or `{0}` field; translators can't tell what those stand for."""
    try:
        names = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    except ValueError:
        return False
    heads = [re.split(r"[.\[]", name)[0] for name in names]
    return any(head == "" or head.isdigit() for head in heads)


def _parses(text: str) -> bool:
    try:
        placeholders(text)
    except ValueError:
        return False
    return True


def _unparsable(e: Exception) -> str:
    if isinstance(e, PoFileError):
        what = str(e).removesuffix(f" on {e.lineno}")
        return f"{what} (line {e.lineno + 1}: {e.line.strip()!r})"
    return str(e)


def template_problems(root: Path, source: Source) -> list[str]:
    """The .pot must list exactly the messages in the source (locations are not compared)."""
    path = template_path(root)
    if not path.is_file():
        return [f"wuye.pot: missing ({path}); {FIX_HINT}"]
    try:
        with path.open("rb") as f:
            pot = read_po(f, abort_invalid=True)
    except (PoFileError, ValueError) as e:
        return [f"wuye.pot: cannot be parsed: {_unparsable(e)}"]
    wanted, have = _keys(source.template), _keys(pot)
    problems = [
        f"wuye.pot: out of date, lacks {_show(k[1])} (in the source)" for k in wanted if k not in have
    ]
    problems += [
        f"wuye.pot: out of date, still has {_show(k[1])} (gone from the source)"
        for k in have
        if k not in wanted
    ]
    return sorted(problems)


def _expected_fields(message: Message, form: int, nplurals: int) -> str:
    """The msgid a form must match: form 0 the singular's, other forms (or a lone one) the plural's."""
    ids = _ids(message)
    return ids[0] if len(ids) == 1 or (form == 0 and nplurals > 1) else ids[1]


def _translation_problems(lang: str, message: Message, nplurals: int) -> list[str]:
    shown = _show(_ids(message))
    if message.fuzzy:
        return [f"{lang}: fuzzy (needs review): {shown}"]
    forms = _forms(message)
    if not all(forms):
        return [f"{lang}: untranslated: {shown}"]
    problems = []
    if message.pluralizable and len(forms) != nplurals:
        problems.append(f"{lang}: {len(forms)} plural forms where {lang} has {nplurals}: {shown}")
    for i, form in enumerate(forms):
        msgid = _expected_fields(message, i, nplurals)
        if not _parses(msgid):
            continue  # not a format string, so there are no placeholders to keep
        if not _parses(form):
            problems.append(f"{lang}: msgstr is not a valid format string (stray brace?): {shown}")
            continue
        want, got = placeholders(msgid), placeholders(form)
        if want != got:
            label = f"msgstr[{i}]" if message.pluralizable else "msgstr"
            detail = ", ".join(
                [f"lacks {p}" for p in sorted(want - got)] + [f"has unknown {p}" for p in sorted(got - want)]
            )
            problems.append(f"{lang}: placeholders differ, {label} {detail}: {shown}")
    return problems


def locale_problems(root: Path, lang: str, source: Source) -> list[str]:
    """Every source message has a reviewed translation that keeps the msgid's placeholders."""
    path = po_path(root, lang)
    if not path.is_file():
        return [f"{lang}: catalog missing ({path}); {FIX_HINT}"]
    try:
        catalog = _read_catalog(path, lang)
    except (PoFileError, ValueError) as e:
        return [f"{lang}: {path.name} cannot be parsed: {_unparsable(e)}"]
    problems = []
    expected = get_plural(lang)
    if catalog.num_plurals != expected.num_plurals:
        header = f"Plural-Forms header has nplurals={catalog.num_plurals}"
        problems.append(f"{lang}: {header}, {lang} needs {expected.plural_forms}")
    if str(catalog.locale_identifier) != lang:
        problems.append(f"{lang}: Language header says {catalog.locale_identifier}")
    have = _keys(catalog)
    for key, message in _keys(source.template).items():
        if key not in have:
            problems.append(f"{lang}: not in the catalog: {_show(_ids(message))}")
        else:
            problems += _translation_problems(lang, have[key], catalog.num_plurals)
    wanted = _keys(source.template)
    problems += [f"{lang}: stale entry, gone from the source: {_show(k[1])}" for k in have if k not in wanted]
    return sorted(problems)


def _literal_misuse(node: ast.expr) -> str | None:
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, ast.BinOp) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)
    ):
        return "a string built with + or %"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        return "an already formatted string"
    return None


def _stray_literal(node: ast.expr) -> str | None:
    """A string inside a non-literal argument that Babel would take for the message itself.

    Babel's extractor keeps every string token of the call outside nested calls, so
    `_(LABELS["income"])` yields the msgid "income" and `_("A" if x else "B")` yields "AB".
    """
    if isinstance(node, ast.Constant):
        return None
    todo: list[ast.AST] = [node]
    while todo:
        current = todo.pop(0)
        if isinstance(current, ast.Constant) and isinstance(current.value, str):
            return current.value
        if not isinstance(current, ast.Call):  # Babel skips what nested calls are given
            todo.extend(ast.iter_child_nodes(current))
    return None


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def source_problems(root: Path, source: Source) -> list[str]:
    """Marked text that extraction cannot see (never translated) or misreads, and positional fields."""
    problems = []
    for name in source.files:
        try:
            tree = ast.parse((root / name).read_text(encoding="utf-8"), filename=name)
        except (SyntaxError, UnicodeDecodeError) as e:
            problems.append(f"{name}: cannot be read for messages: {e}")
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            keyword = _called_name(node.func)
            if keyword is None or keyword not in KEYWORDS:
                continue
            for arg in node.args[: 2 if KEYWORDS[keyword] else 1]:
                misuse = _literal_misuse(arg)
                stray = None if misuse else _stray_literal(arg)
                if misuse:
                    problems.append(
                        f"{name}:{node.lineno}: {keyword}() is given {misuse}, which is never translated; "
                        f'write {keyword}("... {{name}} ...").format(name=...)'
                    )
                elif stray is not None:
                    problems.append(
                        f"{name}:{node.lineno}: {keyword}() is given an expression holding "
                        f"{json.dumps(stray)}, which extraction takes for a message of its own; "
                        f"look the text up first (text = TABLE[key]) and write {keyword}(text)"
                    )
    for message in _entries(source.template):
        if any(_positional(msgid) for msgid in _ids(message)):
            problems.append(f"source: positional field in {_show(_ids(message))}; name it, like {{name}}")
    return sorted(problems)


def find_catalog_problems(root: Path) -> list[str]:
    """Everything that would show a reader untranslated or broken text; empty when all is well."""
    source = extract_source(root)
    problems = source_problems(root, source) + template_problems(root, source)
    for lang in LANGUAGES:
        problems += locale_problems(root, lang, source)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalogs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if anything needs doing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
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
