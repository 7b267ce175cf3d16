"""What a setup document is: sections of entries that remember their lines, the fields each section
takes and needs, and the checks that need no database: of the whole document, and of one field's value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.rules.ranking import check_min_sample
from handlers.rules.report_calendar import ScheduleError, schedule_from
from handlers.text import LANGUAGES, Lang


@dataclass
class Entry:
    """One item of a section, with the line of the item and of each of its fields."""

    data: dict[str, Any]
    line: int
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


class SetupError(Exception):
    def __init__(self, line: int, where: str, message: str) -> None:
        super().__init__(f"line {line}: {where}: {message}")
        self.line, self.where, self.message = line, where, message


def text_field(entry: Entry, name: str, section: str, maximum: int = 200) -> str:
    """The entry's `name`, a text (or a number) not empty, of at most `maximum` characters."""
    value = entry.data.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise SetupError(entry.line_of(name), f"{section}.{name}", "must be a non-empty text")
    text = str(value).strip()
    if len(text) > maximum:
        raise SetupError(entry.line_of(name), f"{section}.{name}", f"longer than {maximum} characters")
    return text


def language_field(entry: Entry, section: str) -> Lang | None:
    """The entry's `language`, one the bot speaks; None when the entry names none."""
    value = entry.data.get("language")
    if value is None or value == "":
        return None
    if value not in LANGUAGES:
        raise SetupError(
            entry.line_of("language"),
            f"{section}.language",
            f"{value!r} is not one of {', '.join(LANGUAGES)}",
        )
    return value


SECTIONS: dict[str, set[str]] = {
    "offices": {"key", "name", "kind", "parent", "department"},
    "companies": {"key", "name", "phone"},
    "estates": {
        "key",
        "name",
        "prefix",
        "community",
        "company",
        "address",
        "invite_code",
        "language",
        "on_call",
    },
    "people": {"key", "name", "telegram_id", "language", "roles", "active"},
    "policies": {
        "key",
        "category",
        "urgency",
        "acknowledge_within",
        "resolve_within",
        "quiet_period",
        "remind_at_fraction",
        "remind_before",
        "ladder",
        "after_hours",
    },
    "calendar": {"date", "working", "note"},
    "supervision": {"min_sample"},
    "reports": {"office", "report", "due", "every"},
}
# Sections written as one mapping of settings, not a list of items: `supervision: {min_sample: 5}`.
SETTINGS_SECTIONS = {"supervision"}
REQUIRED: dict[str, tuple[str, ...]] = {
    "offices": ("key", "name", "kind"),
    "companies": ("key", "name"),
    "estates": ("key", "name", "prefix", "community", "company"),
    "people": ("key", "name", "roles"),
    "policies": ("acknowledge_within", "resolve_within"),
    "calendar": ("date", "working"),
    "supervision": (),
    "reports": ("office", "report", "due"),
}
ROLE_FIELDS = {"role", "estate", "office", "unit", "duty", "active"}

DEPARTMENTS = {"city_management", "market_regulation", "planning", "fire"}


def validate(doc: dict[str, list[Entry]]) -> None:
    """Shape checks that need no database: sections, unknown and missing fields, duplicate keys."""
    for section, entries in doc.items():
        if section not in SECTIONS:
            line = entries[0].line if entries else 1
            raise SetupError(line, section, f"unknown section (expected one of: {', '.join(SECTIONS)})")
        if section in SETTINGS_SECTIONS:
            _validate_settings(section, entries)
            continue
        seen: dict[str, int] = {}
        for entry in entries:
            for name in entry.data:
                if name not in SECTIONS[section]:
                    raise SetupError(entry.line_of(name), f"{section}.{name}", "unknown field")
            for name in REQUIRED[section]:
                if name not in entry.data or entry.data[name] in (None, ""):
                    raise SetupError(entry.line, f"{section}.{name}", "missing")
            ident = str(entry.data.get("key") or entry.data.get("date") or "")
            if section == "policies":
                ident = f"{entry.data.get('category') or '*'}/{entry.data.get('urgency') or '*'}"
            if section == "reports":
                _validate_report(entry)
                ident = f"{entry.data['office']} {entry.data['report']}"
                if entry.data.get("every", "month") != "month":  # a monthly and a quarterly may both be due
                    ident += f" every {entry.data['every']}"
            if ident in seen:
                named = "report" if section == "reports" else "key"  # a report: by office kind and report
                raise SetupError(
                    entry.line, f"{section}.{named}", f"duplicate {ident!r} (first on line {seen[ident]})"
                )
            seen[ident] = entry.line


def _validate_report(entry: Entry) -> None:
    """A line of the report calendar: an office kind that keeps a ledger, a known report, every month or
    quarter, a due day in range (handlers/rules/report_calendar.py)."""
    try:
        schedule_from(entry.data)
    except ScheduleError as exc:
        raise SetupError(entry.line_of(exc.field), f"reports.{exc.field}", str(exc)) from None


def _validate_settings(section: str, entries: list[Entry]) -> None:
    if len(entries) > 1:
        example = "supervision: {min_sample: 5}"
        raise SetupError(entries[1].line, section, f"write it once, as one mapping like `{example}`")
    for entry in entries:
        for name in entry.data:
            if name not in SECTIONS[section]:
                raise SetupError(entry.line_of(name), f"{section}.{name}", "unknown field")
        if "min_sample" in entry.data:
            try:
                check_min_sample(entry.data["min_sample"])
            except ValueError as exc:
                raise SetupError(entry.line_of("min_sample"), f"{section}.min_sample", str(exc)) from None
