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
    invite_link,
    safe_url,
    settings_or_exit,
    warn_unknown_variables,
)
from bot.cli.load import load
from bot.cli.people import people_app
from bot.cli.report import report_app
from bot.cli.revenue import revenue_app
from bot.config import Settings

if TYPE_CHECKING:  # for annotations only: the commands import these when they run
    from sqlalchemy.engine import Engine

    from handlers.domain import Company


app = typer.Typer(
    help="wuye (物业): a Telegram front desk for residential estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
invite_app = typer.Typer(help="Invite codes and links for staff, officials and owners.", no_args_is_help=True)
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


@invite_app.command("staff")
def invite_staff(
    role: Annotated[str, typer.Option(help="staff, manager, committee or official.")] = "staff",
    estate: Annotated[str | None, typer.Option(help="Estate key (staff, manager, committee).")] = None,
    office: Annotated[str | None, typer.Option(help="Office key (official).")] = None,
    duty: Annotated[str | None, typer.Option(help="service, repair, security or cleaning (staff).")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Print a one-time code and its t.me link for a person whose Telegram id you do not know."""
    from handlers.domain import RoleKind
    from handlers.rules.categories import Duty
    from handlers.services.errors import UserError
    from handlers.services.people import create_invite

    try:
        kind = RoleKind(role)
    except ValueError:
        raise fail(f"--role: unknown role {role!r} (staff, manager, committee, official)") from None
    if kind is RoleKind.OWNER:
        raise fail("--role: owners join with the estate's code: use `wuye invite owners --estate KEY`")
    try:
        duty_value = Duty(duty) if duty else (Duty.SERVICE if kind is RoleKind.STAFF else None)
    except ValueError:
        raise fail(f"--duty: unknown duty {duty!r} (service, repair, security, cleaning)") from None
    if kind is RoleKind.OFFICIAL and not office:
        raise fail("--office: an official's invite needs the office key")
    if kind is not RoleKind.OFFICIAL and not estate:
        raise fail("--estate: this invite needs the estate key")
    settings = settings_or_exit(database_url=database_url)
    application = existing_app_or_exit(settings)
    try:
        invite = create_invite(application.ctx, kind, estate_key=estate, office_key=office, duty=duty_value)
    except UserError as exc:
        what = "--estate" if "estate" in exc.code else "--office"
        raise fail(f"{what}: unknown key {exc.params.get('key')!r}") from None
    expires_at = invite.expires_at
    assert expires_at is not None  # create_invite gives every invite its expiry
    typer.echo(
        f"one-time code {invite.code} ({kind.value}), valid until "
        f"{expires_at.astimezone(settings.zone):%Y-%m-%d %H:%M} ({settings.timezone})"
    )
    typer.echo(invite_link(settings, invite.code))


@invite_app.command("owners")
def invite_owners(
    estate: Annotated[str, typer.Option(help="Estate key.")],
    qr: Annotated[
        Path | None,
        typer.Option(
            help="Also write a printable A4 poster here: the link's QR code, what owners can report, who "
            "sees their name, the company's name and phone. A PNG (150 dpi), or a PDF if the name ends in "
            ".pdf or with --pdf."
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Write the --qr poster as a PDF, whatever its name.")
    ] = False,
    bot_username: Annotated[
        str | None, typer.Option(help="The bot's @username for the link. WUYE_BOT_USERNAME.")
    ] = None,
    lang: Annotated[
        str, typer.Option(help="Language of the printed words: zh_Hans, zh_Hant or en.")
    ] = "zh_Hans",
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the code with a new random one (the old stops working).")
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Print the estate's owner code and link (for the notice board); --qr draws it for printing."""
    from handlers.services.errors import NotFound
    from handlers.services.people import rotate_owner_code

    if lang not in ("zh_Hans", "zh_Hant", "en"):
        raise fail(f"--lang: unknown language {lang!r} (zh_Hans, zh_Hant, en)")
    if pdf and qr is None:
        raise fail("--pdf: it says how to write the --qr poster; give --qr FILE too")
    if pdf and qr is not None and qr.suffix.lower() not in ("", ".pdf"):
        raise fail(f"--pdf: the --qr file {qr.name!r} is named for another format; name it .pdf")
    settings = settings_or_exit(database_url=database_url, bot_username=bot_username)
    if qr is not None:
        _check_printable_username(settings)
    application = existing_app_or_exit(settings)
    if rotate:
        try:
            rotate_owner_code(application.ctx, estate)
        except NotFound:
            raise fail(f"--estate: unknown estate {estate!r}") from None
    with application.ctx.uow() as uow:
        found = uow.estates.by_key(estate)
        company = uow.companies.get(found.company_id) if found is not None else None
    if found is None:
        raise fail(f"--estate: unknown estate {estate!r}")
    if rotate:
        typer.echo(
            "the old code no longer works; owners who joined stay. If your setup file sets invite_code "
            "for this estate, take it out, or the next `wuye load` sets the old one back."
        )
    typer.echo(f"{found.name}: owners join with code {found.invite_code}")
    typer.echo(invite_link(settings, found.invite_code))
    if qr is not None:
        as_pdf = pdf or qr.suffix.lower() == ".pdf"
        _write_qr(qr, settings, found.name, found.invite_code, lang, company, as_pdf)


def _check_printable_username(settings: Settings) -> None:
    """A printed code outlives a wrong setting: the bot's username must be given and look like one."""
    from bot.documents.qr_invite import valid_username

    if "bot_username" not in settings.model_fields_set:
        raise fail(
            "WUYE_BOT_USERNAME: not set; a printed QR code must point at your bot "
            "(set it, or pass --bot-username)"
        )
    if not valid_username(settings.bot_username):
        raise fail(f"WUYE_BOT_USERNAME: {settings.bot_username!r} is not a Telegram username")


def _write_qr(
    path: Path,
    settings: Settings,
    estate_name: str,
    code: str,
    lang: str,
    company: Company | None,
    as_pdf: bool,
) -> None:
    from bot.documents.fonts import FontMissing
    from bot.documents.qr_invite import Company as Printed
    from bot.documents.qr_invite import draw_invite, invite_pdf, write_file, write_invite
    from bot.i18n.translator import load_translations

    if not path.parent.is_dir():
        raise fail(f"--qr: no such directory {str(path.parent)!r}")
    tr = load_translations().for_lang(lang)  # type: ignore[arg-type]
    printed = Printed(company.name, company.phone) if company is not None else None
    bot = settings.bot_username.lstrip("@")
    try:
        if as_pdf:
            write_file(path, invite_pdf(tr, estate_name, code, bot, printed))
            what = "A4 PDF"
        else:
            image = draw_invite(tr, estate_name, code, bot, printed)
            write_invite(path, image)
            what = f"{image.size[0]}x{image.size[1]} px, A4 at 150 dpi"
    except FontMissing as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"--qr: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {path} ({what})")


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


@invite_app.command("web")
def invite_web(
    person: Annotated[str, typer.Option(help="The person's key in the setup file.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Print a one-time code for the web pages, for a person the setup file names (as /web in the chat)."""
    from handlers.services.errors import NotFound
    from handlers.services.web_access import pretty, sign_in_code_for_key

    settings = settings_or_exit(database_url=database_url)
    application = existing_app_or_exit(settings)
    try:
        code, until = sign_in_code_for_key(application.ctx, person)
    except NotFound:
        raise fail(f"--person: unknown person {person!r} (not in the database yet, or deleted)") from None
    except Exception as exc:
        raise fail(f"--person: {person!r} cannot sign in on the web ({type(exc).__name__})") from None
    typer.echo(
        f"one-time web code {pretty(code)}, valid until {until.astimezone(settings.zone):%Y-%m-%d %H:%M}"
    )
    if settings.web_url:
        typer.echo(f"{settings.web_url}/signin?code={code}")


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
