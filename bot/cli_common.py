"""What every `wuye` command shares: one-line failures, settings, opening the application."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from bot import logs
from bot.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.wiring import App

DatabaseOpt = Annotated[str | None, typer.Option("--database-url", help="Overrides WUYE_DATABASE_URL.")]


def fail(message: str) -> typer.Exit:
    """Print one line naming the problem and exit non-zero."""
    typer.echo(f"wuye: {message}", err=True)
    return typer.Exit(code=2)


def settings_or_exit(**overrides: object) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(str(exc)) from None
    logs.settings_loaded(settings)  # the level, and the secrets the options brought (--database-url)
    return settings


def app_or_exit(build: Callable[[Settings], App], settings: Settings) -> App:
    try:
        return build(settings)
    except Exception as exc:
        raise fail(f"cannot open the database {safe_url(settings.url)}: {exc}".splitlines()[0]) from None


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
