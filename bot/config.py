"""Settings from environment variables (WUYE_*) and a .env file, read when asked, never at import."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.rules.worktime import OfficeHours
from storage.engine import check_database_url

_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
_PLACEHOLDERS = {
    "changeme",
    "changemechangeme",
    "secretsecretsecret",
    "your-token-here",
    "token",
    "xxx",
    "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
}


def default_data_dir() -> Path:
    return Path.cwd() / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WUYE_", env_file=".env", extra="ignore")

    database_url: str = ""
    data_dir: Path = Field(default_factory=default_data_dir)
    bot_token: str | None = None
    api_url: str | None = None
    timezone: str = "Asia/Shanghai"
    office_hours: str = "09:00-18:00"
    framework: Literal["ptb", "aiogram"] = "ptb"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "127.0.0.1:8080"
    bot_username: str = "wuye_bot"
    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    # 0: the conversation core runs on a thread of the bot's process; N: in N processes of its own
    # (at most 1 on SQLite), so the framework's HTTP work and the core's use a CPU each.
    core_processes: int = Field(default=1, ge=0, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Telegram's limits, with 5 % in hand (bot/delivery/pace.py's RateLimiter): seconds between two messages
    # to one private chat (about one a second), to one group (twenty a minute; None: three chat intervals),
    # and messages a second overall (thirty). Only a stand-in Bot API without those limits (the tests)
    # wants them shorter.
    chat_interval: float = Field(default=1.05, ge=0, le=60)
    group_interval: float | None = Field(default=None, ge=0, le=180)
    send_rate: float = Field(default=28.5, gt=0, le=1e9)
    # Seconds a dispatcher holds a claimed notification (renewed at each message it sends); one that died
    # holding it delays that message this long, where no restart lets go of it first.
    outbox_lease: float = Field(default=120.0, ge=1, le=3600)
    # The web front door (bot/web): its public address (for /web's link and the printed poster), where
    # `wuye run` also serves it (none: not served beside the bot), and the key its cookies are signed
    # with (none: one kept in the data folder, made on first use).
    web_url: str | None = None
    web_listen: str | None = None
    web_secret: str | None = None
    # Seconds a page that only reads, drawn for one session, may be served again while nothing in the
    # database changed (bot/web/page_cache.py); 0: every page drawn afresh.
    web_cache_seconds: float = Field(default=15.0, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            check_database_url(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("office_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        OfficeHours.parse(value)
        return value

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.strip().lower() in _PLACEHOLDERS or not _TOKEN.match(value.strip()):
            raise ValueError("not a bot token from @BotFather (looks like 123456789:AA...)")
        return value.strip()

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith("https://") and not value.startswith("http://127.0.0.1"):
            raise ValueError("Telegram only calls https:// webhook URLs")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.lower() in _PLACEHOLDERS or not _SECRET.match(value):
            raise ValueError(
                "16-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule), not a placeholder"
            )
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("HOST:PORT, e.g. 0.0.0.0:8080")
        return value

    @field_validator("web_listen")
    @classmethod
    def _web_listen(cls, value: str | None) -> str | None:
        return cls._listen(value) if value else None

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("the web pages' public address, e.g. https://wuye.example.org")
        return value.rstrip("/")

    @field_validator("web_secret")
    @classmethod
    def _web_secret(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.lower() in _PLACEHOLDERS or len(value) < 32:
            raise ValueError("at least 32 random characters, not a placeholder (or leave it out)")
        return value

    @property
    def listen_host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host, int(port)

    @property
    def group_seconds(self) -> float:
        """Seconds between two messages to one group."""
        return 3 * self.chat_interval if self.group_interval is None else self.group_interval

    @property
    def url(self) -> str:
        """The database URL: the configured one, else a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'wuye.db').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours)


# WUYE_* variables that are not settings of the program but are read by its test suite.
_READ_ELSEWHERE = frozenset({"WUYE_TEST_DATABASE_URL", "WUYE_REQUIRE_POSTGRES", "WUYE_REQUIRE_BROWSER"})


def unknown_variables(environ: Mapping[str, str], env_file: Path = Path(".env")) -> list[str]:
    """A description of each WUYE_* variable in the environment or the .env file that is no setting
    (a misspelled one is silently ignored otherwise), with the setting it probably meant."""
    known = {f"WUYE_{name.upper()}" for name in Settings.model_fields}
    given = [(name, "") for name in environ]
    if env_file.is_file():
        try:
            given += [(name, " in .env") for name in dotenv_values(env_file)]
        except (OSError, UnicodeDecodeError):  # the settings will say what is wrong with the file
            pass
    found = []
    for name, where in given:
        upper = name.upper()
        if not upper.startswith("WUYE_") or upper in known or upper in _READ_ELSEWHERE:
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
        found.append(f"{name}{where}" + (f" (did you mean {close[0]}?)" if close else ""))
    return found


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "WUYE_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
