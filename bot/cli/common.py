"""What every `wuye` command shares: one-line failures, settings, opening the application."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from bot import logs
from bot.config import Settings, SettingsError, load_settings, unknown_variables

if TYPE_CHECKING:
    from bot.wiring import App

DatabaseOpt = Annotated[str | None, typer.Option("--database-url", help="Overrides WUYE_DATABASE_URL.")]


def fail(message: str) -> typer.Exit:
    """Print one line naming the problem and exit non-zero."""
    typer.echo(f"wuye: {message}", err=True)
    return typer.Exit(code=2)


def warn_unknown_variables() -> None:
    """One line naming the WUYE_* variables (environment or .env) that are no setting, so a misspelled
    one does not pass for the default without a word."""
    unknown = unknown_variables(os.environ)
    if unknown:
        typer.echo(f"wuye: warning: ignored, not a setting: {', '.join(unknown)}", err=True)


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


def existing_app_or_exit(settings: Settings, migrate: bool = True) -> App:
    """The application on wuye's database as it is: a command that reads it (or adds to what `wuye load`
    put there) run from another folder, or with a misspelled WUYE_DATABASE_URL, must not create an empty
    one and answer from that. `migrate=False`: nor change its schema (it must be current)."""
    from bot.wiring import build_app

    problem = missing_database(settings.url, current=not migrate)
    if problem is not None:
        raise fail(problem)
    return app_or_exit(functools.partial(build_app, migrate=migrate), settings)


def missing_database(url: str, current: bool = False) -> str | None:
    """Why `url` is not a wuye database one can read (one line), or None when it is: a SQLite file that
    does not exist, a server that does not answer, a database without wuye's tables; `current`: or one
    whose schema is not the one this wuye expects. Creates nothing."""
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from storage.engine import brief, make_engine
    from storage.migrate import current_revision, newest_revision

    parsed, where = make_url(url), safe_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return f"{where} is a database in memory, with nothing in it (set WUYE_DATABASE_URL)"
        path = Path(parsed.database).expanduser().resolve()
        if not path.is_file():
            return (
                f"no database at {path} (run this where wuye runs, or set WUYE_DATABASE_URL or "
                "WUYE_DATA_DIR; `wuye load` creates it)"
            )
    engine = make_engine(url, poolclass=NullPool)
    try:
        revision = current_revision(engine)
    except Exception as exc:
        return f"cannot open the database {where}: {brief(exc)}"
    finally:
        engine.dispose()
    if revision is None:
        return f"{where} has no wuye tables (the wrong database? `wuye load` creates them)"
    head = newest_revision()
    if current and revision != head:
        return (
            f"{where} has schema revision {revision}, this wuye expects {head}: run `wuye db upgrade` "
            "(`wuye run` does it as it starts)"
        )
    return None


def invite_link(settings: Settings, code: str) -> str:
    """The t.me link that starts the bot with `code`."""
    return f"https://t.me/{settings.bot_username.lstrip('@')}?start={code}"


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
