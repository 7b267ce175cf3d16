"""The `wuye` command: load a setup file, print invites, migrate, play the demo, run the bot."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot import logs
from bot.cli.common import (
    DatabaseOpt,
    existing_app_or_exit,
    fail,
    safe_url,
    settings_or_exit,
    warn_unknown_variables,
)
from bot.cli.invite import invite_app
from bot.cli.load import load
from bot.cli.people import people_app
from bot.cli.report import report_app
from bot.cli.revenue import revenue_app

if TYPE_CHECKING:  # for annotations only: the commands import these when they run
    from sqlalchemy.engine import Engine


app = typer.Typer(
    help="wuye (物业): a Telegram front desk for residential estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(invite_app, name="invite")
app.add_typer(revenue_app, name="revenue")
app.add_typer(people_app, name="people")
app.add_typer(report_app, name="report")
app.command("load")(load)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Bring the database schema up to date (the bot also does this on start)."""
    from storage.engine import make_engine
    from storage.migrate import current_revision, upgrade

    settings = settings_or_exit(database_url=database_url)
    engine = _engine_or_exit(make_engine, settings.url)
    try:
        upgrade(engine)
    except Exception as exc:  # a database that cannot be reached or migrated: say which
        raise fail(
            f"cannot upgrade {safe_url(settings.url)}: {exc.__class__.__name__}: {exc}".splitlines()[0]
        ) from None
    typer.echo(f"database {safe_url(settings.url)} at revision {current_revision(engine)}")


def _engine_or_exit(factory: Callable[[str], Engine], url: str) -> Engine:
    try:
        return factory(url)
    except Exception as exc:
        raise fail(f"WUYE_DATABASE_URL: {exc}".splitlines()[0]) from None


@app.command("demo")
def demo(
    lang: Annotated[str, typer.Option(help="zh_Hans, zh_Hant or en.")] = "zh_Hans",
    keep: Annotated[Path | None, typer.Option(help="Keep the demo database at this path.")] = None,
) -> None:
    """Play the main story offline on a temporary SQLite database and a controlled clock."""
    from bot.demo.story import run_demo

    if lang not in ("zh_Hans", "zh_Hant", "en"):
        raise fail(f"--lang: unknown language {lang!r} (zh_Hans, zh_Hant, en)")
    run_demo(lang=lang, keep=keep, out=sys.stdout)


@app.command("run")
def run(
    framework: Annotated[str | None, typer.Option(help="ptb (default) or aiogram. WUYE_FRAMEWORK.")] = None,
    api_url: Annotated[str | None, typer.Option(help="A self-hosted Bot API server. WUYE_API_URL.")] = None,
    webhook_url: Annotated[
        str | None, typer.Option(help="Take updates by webhook at this https URL. WUYE_WEBHOOK_URL.")
    ] = None,
    listen: Annotated[
        str | None, typer.Option(help="HOST:PORT the webhook server binds. WUYE_LISTEN.")
    ] = None,
    web_listen: Annotated[
        str | None, typer.Option(help="Also serve the web pages on HOST:PORT. WUYE_WEB_LISTEN.")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Run the bot on Telegram (WUYE_BOT_TOKEN): long polling, or a webhook with WUYE_WEBHOOK_SECRET."""
    import asyncio

    from bot.serve import StartError, run_polling

    settings = settings_or_exit(
        framework=framework,
        api_url=api_url,
        database_url=database_url,
        webhook_url=webhook_url,
        listen=listen,
        web_listen=web_listen,
    )
    try:
        asyncio.run(run_polling(settings))
    except StartError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        pass


@app.command("web")
def web_pages(
    listen: Annotated[
        str | None, typer.Option(help="HOST:PORT to serve the web pages on. WUYE_WEB_LISTEN.")
    ] = None,
    database_url: DatabaseOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=8,
            help="Processes serving the port (SO_REUSEPORT). Default: one per CPU, at most 4, on "
            "PostgreSQL; 1 on SQLite.",
        ),
    ] = None,
) -> None:
    """Serve the web pages alone (owners, staff and officials in a phone's browser; no bot token needed,
    though the Mini App's sign-in checks Telegram's signature with WUYE_BOT_TOKEN)."""
    import asyncio

    from bot.web.serve import default_workers, serve_web

    settings = settings_or_exit(database_url=database_url, web_listen=listen)
    where = settings.web_listen or "127.0.0.1:8090"
    count = workers or default_workers(settings.url)
    try:
        asyncio.run(serve_web(settings, where, asyncio.Event(), count))
    except OSError as exc:
        raise fail(f"--listen {where}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass


@app.command("chat")
def chat(
    as_: Annotated[
        int, typer.Option("--as", help="Whose Telegram id to chat as (e.g. 200001 in the example).")
    ],
    name: Annotated[str, typer.Option(help="Display name if this person is new.")] = "Console user",
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Start the console's clock at this local time ('2026-12-07 09:00'), so that a walkthrough "
            "does not depend on the hour you try it; use a database of its own.",
        ),
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Talk to the bot in the terminal as one person at a time; buttons are numbered choices. Type
    /as ID to play someone else (/as alone lists who), /wait 2h to move the clock on and run the sweep
    (reminders, the ladder); messages for others wait for them and are noted, not shown."""
    import asyncio
    from datetime import datetime

    from bot.serve import run_console
    from handlers.clock import ShiftedClock

    settings = settings_or_exit(database_url=database_url)
    clock = None
    if at is not None:
        try:
            start = datetime.strptime(at.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise fail(
                f"--at {at!r}: write a local date and time as YYYY-MM-DD HH:MM, e.g. '2026-12-07 09:00'"
            ) from None
        clock = ShiftedClock(start.replace(tzinfo=settings.zone))
    try:
        asyncio.run(run_console(settings, as_, name, clock=clock))
    except KeyboardInterrupt:
        pass


@app.command("status")
def status(
    max_age: Annotated[
        str,
        typer.Option(
            "--max-age",
            help="Exit 1 when the oldest undelivered message has waited longer than this (30s, 10m, 2h, 1d).",
        ),
    ] = "10m",
    database_url: DatabaseOpt = None,
) -> None:
    """The outbox backlog, the oldest undelivered message and the next ladder actions. A health check:
    exit 0 when all is well, 1 when the backlog is older than --max-age, 2 when there is no wuye database
    to read (none there, unreachable, or not wuye's). Creates and changes nothing."""
    from bot.delivery.status import oldest_wait, parse_age, status_lines

    limit = parse_age(max_age)
    if limit is None:
        raise fail(f"--max-age: {max_age!r} is not a duration like 30s, 10m, 2h or 1d")
    settings = settings_or_exit(database_url=database_url)
    application = existing_app_or_exit(settings, migrate=False)
    for line in status_lines(application.ctx):
        typer.echo(line)
    waited = oldest_wait(application.ctx)
    if waited is not None and waited > limit:
        typer.echo(
            f"wuye: the oldest undelivered message has waited {int(waited.total_seconds() // 60)} min, "
            f"longer than --max-age {max_age}",
            err=True,
        )
        raise typer.Exit(code=1)


@app.callback(invoke_without_command=True)
def _everywhere(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """wuye (物业): a Telegram front desk for residential estates."""
    if version:
        typer.echo(f"wuye {_version()}")
        raise typer.Exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("wuye")
    except PackageNotFoundError:
        return "(not installed: run from a source tree)"


def main() -> None:
    logs.configure_from_environment()
    warn_unknown_variables()
    app()


if __name__ == "__main__":
    main()
