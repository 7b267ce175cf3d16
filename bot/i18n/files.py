"""Where the gettext catalogs live, what extraction finds in the source, and how a .po is read back."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages import frontend
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import PoFileError, read_po, unescape

DOMAIN = "wuye"
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
HEADER = (
    "# Translations template for PROJECT.\n"
    "# This file is distributed under the same license as the PROJECT project.\n#"
)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')  # one "..." piece of a po string, escapes included


@dataclass(frozen=True)
class Source:
    """What extraction finds in the code: a fresh template catalog and the files it read."""

    template: Catalog
    files: tuple[str, ...]


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


def new_catalog(root: Path, lang: str | None = None) -> Catalog:
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

    template = new_catalog(root)
    found = extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, callback=seen
    )
    for filename, lineno, message, comments, context in found:
        location = (Path(filename).as_posix(), lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    return Source(template, tuple(files))


def plural_forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, tuple | list) else (string or "",)


def message_ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def catalog_entries(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def message_key(message: Message) -> tuple[str | None, tuple[str, ...]]:
    return (message.context, message_ids(message))


def read_po_file(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN, abort_invalid=True)
    for message in catalog_entries(catalog):
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


def unparsable(e: Exception) -> str:
    if isinstance(e, PoFileError):
        what = str(e).removesuffix(f" on {e.lineno}")
        return f"{what} (line {e.lineno + 1}: {e.line.strip()!r})"
    return str(e)
