"""Logging for every command and the core process: the level of WUYE_LOG_LEVEL, and no secret in a line.

One handler on the root logger writes to stderr. Records from every library's loggers propagate to it,
and its filter rewrites each one (message and arguments, traceback, stack) with the bot token, the
webhook secret and the database password replaced, whatever the level. A filter on a logger would not
do: it sees only records logged on that logger itself, not those of its children (``httpx``'s, say).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

from pydantic_settings import BaseSettings

from bot.config import Settings, SettingsError, load_settings

FORMAT = "%(levelname)s %(name)s: %(message)s"
FALLBACK_LEVEL = "INFO"  # WUYE_LOG_LEVEL's own default, when the settings do not load
# Loggers that say at INFO what only helps when debugging: httpx a line per Bot API request (every long
# poll), APScheduler two per run of a job (the ladder's, every 5 s), Alembic half a dozen whenever a
# command opens the database. They speak when the level is DEBUG.
_CHATTY = ("httpx", "apscheduler", "alembic")
# The Telegram libraries at DEBUG write every update and every request in full: names, units, what
# people typed, each card sent. wuye's DEBUG is wuye's own; theirs stays at INFO (PIPL: collect the
# minimum, and a log is kept, copied and read by people the privacy choice never named).
_WIRE = ("telegram", "aiogram", "httpcore")

_ESCAPE = re.compile("%[0-9A-F]{2}")

_handler: logging.Handler | None = None


class Redact(logging.Filter):
    """Replaces each secret (text → what to write instead) in every part of a record that is printed."""

    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__()
        self.marks = {text: mark for text, mark in secrets.items() if text}
        ordered = sorted(self.marks, key=len, reverse=True)  # a token before the half of it that is secret
        self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda found: self.marks[found.group()], text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: show both rather than fail
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class GivenSecrets(BaseSettings):
    """The secret settings alone, as given and unchecked: redacted even when other settings are wrong."""

    model_config = Settings.model_config  # the same variables and .env file

    bot_token: str | None = None
    webhook_secret: str | None = None
    database_url: str = ""


def secrets_of(settings: Settings | GivenSecrets) -> dict[str, str]:
    """The secrets in `settings` as they may be written (as given, URL-encoded), each with its mark."""
    found: dict[str, str] = {}
    if token := (settings.bot_token or "").strip():
        _spellings(found, token, "<token>")
        _spellings(found, token.partition(":")[2], "<token>")  # the part after the bot's id is the key
    if secret := (settings.webhook_secret or "").strip():
        _spellings(found, secret, "<secret>")
    for password in _database_passwords(settings.database_url.strip()):
        _spellings(found, password, "<password>")
    return found


def _spellings(found: dict[str, str], text: str, mark: str) -> None:
    """`text` as given and URL-encoded (in a path, in a form), with upper- and lower-case escapes."""
    for encoded in (text, quote(text, safe=""), quote_plus(text, safe="")):
        found[encoded] = mark
        found[_ESCAPE.sub(lambda escape: escape.group().lower(), encoded)] = mark


def _database_passwords(url: str) -> list[str]:
    """The database URL's password as written in it and decoded, and one given as a parameter."""
    try:
        parts = urlsplit(url)
        written = [parts.password or "", *parse_qs(parts.query).get("password", [])]
    except ValueError:  # not a URL the database could be opened with either
        return []
    return [p for w in written for p in (w, unquote(w)) if p]


def configure(settings: Settings | None = None, level: int | str | None = None) -> None:
    """Log to stderr at `level`, else the settings' WUYE_LOG_LEVEL, with the secrets of `settings`
    redacted; with no settings (they did not load), at INFO, with the secret settings as given redacted.
    Called again, it replaces the level and the secrets."""
    global _handler
    root = logging.getLogger()
    if _handler is None:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(_handler)
    for old in [f for f in _handler.filters if isinstance(f, Redact)]:
        _handler.removeFilter(old)
    _handler.addFilter(Redact(secrets_of(settings if settings is not None else _given_secrets())))
    root.setLevel(level if level is not None else settings.log_level if settings else FALLBACK_LEVEL)
    quiet = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for name in _CHATTY:
        logging.getLogger(name).setLevel(quiet)
    for name in _WIRE:
        logging.getLogger(name).setLevel(logging.INFO if root.level <= logging.DEBUG else logging.NOTSET)


def _given_secrets() -> GivenSecrets:
    try:
        return GivenSecrets()
    except Exception:  # a .env file that cannot be read: the command will say so, if it needs it
        return GivenSecrets.model_construct()


def configure_from_environment() -> None:
    """`configure` on the settings as they load now; if they do not, at INFO (the command then says
    which setting is wrong, if it needs them)."""
    try:
        settings: Settings | None = load_settings()
    except SettingsError:
        settings = None
    configure(settings)


def settings_loaded(settings: Settings) -> None:
    """Take the level and secrets of settings a command has loaded (with its options), if this process
    set up its logging with `configure`; a program that runs the commands in-process keeps its own."""
    if _handler is not None:
        configure(settings)
