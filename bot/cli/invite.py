"""`wuye invite ...`: codes and links for staff, officials and owners (the owners' printable QR poster
among them), and one-time codes for the web pages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import DatabaseOpt, existing_app_or_exit, fail, invite_link, settings_or_exit
from bot.config import Settings

if TYPE_CHECKING:  # for annotations only: the commands import these when they run
    from handlers.domain.organisations import Company

invite_app = typer.Typer(help="Invite codes and links for staff, officials and owners.", no_args_is_help=True)


@invite_app.command("staff")
def invite_staff(
    role: Annotated[str, typer.Option(help="staff, manager, committee or official.")] = "staff",
    estate: Annotated[str | None, typer.Option(help="Estate key (staff, manager, committee).")] = None,
    office: Annotated[str | None, typer.Option(help="Office key (official).")] = None,
    duty: Annotated[str | None, typer.Option(help="service, repair, security or cleaning (staff).")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Print a one-time code and its t.me link for a person whose Telegram id you do not know."""
    from handlers.domain.people import RoleKind
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
    from bot.documents.invite_layout import valid_username

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
    from bot.documents.invite_layout import Company as Printed
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
