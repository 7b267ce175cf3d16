"""What the catalogs must be: the template lists exactly the source's messages, every language has a
reviewed translation that keeps the placeholders, and the source marks its text so extraction sees it."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po

from bot.i18n.files import (
    KEYWORDS,
    Source,
    catalog_entries,
    extract_source,
    message_ids,
    message_key,
    plural_forms,
    po_path,
    read_po_file,
    template_path,
    unparsable,
)
from handlers.text import LANGUAGES

FIX_HINT = (
    "Fix: run `python -m bot.i18n.catalogs` to refresh the catalogs, then translate the empty and fuzzy "
    "entries in locales/zh_Hans and locales/zh_Hant (LC_MESSAGES/wuye.po), deleting the `fuzzy` flag "
    "once an entry is right; keep every {placeholder} of the msgid."
)


def _show(ids: Iterable[str]) -> str:
    return " / ".join(json.dumps(i, ensure_ascii=False) for i in ids)


def _keys(catalog: Catalog) -> dict[tuple[str | None, tuple[str, ...]], Message]:
    return {message_key(m): m for m in catalog_entries(catalog)}


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


def template_problems(root: Path, source: Source) -> list[str]:
    """The .pot must list exactly the messages in the source (locations are not compared)."""
    path = template_path(root)
    if not path.is_file():
        return [f"wuye.pot: missing ({path}); {FIX_HINT}"]
    try:
        with path.open("rb") as f:
            pot = read_po(f, abort_invalid=True)
    except (PoFileError, ValueError) as e:
        return [f"wuye.pot: cannot be parsed: {unparsable(e)}"]
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
    ids = message_ids(message)
    return ids[0] if len(ids) == 1 or (form == 0 and nplurals > 1) else ids[1]


def _translation_problems(lang: str, message: Message, nplurals: int) -> list[str]:
    shown = _show(message_ids(message))
    if message.fuzzy:
        return [f"{lang}: fuzzy (needs review): {shown}"]
    forms = plural_forms(message)
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
        catalog = read_po_file(path, lang)
    except (PoFileError, ValueError) as e:
        return [f"{lang}: {path.name} cannot be parsed: {unparsable(e)}"]
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
            problems.append(f"{lang}: not in the catalog: {_show(message_ids(message))}")
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
        if not name.endswith(".py"):  # templates (bot/web/templates): Jinja's extractor reads those
            continue
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
    for message in catalog_entries(source.template):
        if any(_positional(msgid) for msgid in message_ids(message)):
            problems.append(
                f"source: positional field in {_show(message_ids(message))}; name it, like {{name}}"
            )
    return sorted(problems)


def find_catalog_problems(root: Path) -> list[str]:
    """Everything that would show a reader untranslated or broken text; empty when all is well."""
    source = extract_source(root)
    problems = source_problems(root, source) + template_problems(root, source)
    for lang in LANGUAGES:
        problems += locale_problems(root, lang, source)
    return problems
