"""`wuye report ledger ...`: the ledger (台账) of an office's area for a month or a quarter, as the chat's
/ledger sends it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import DatabaseOpt

report_app = typer.Typer(
    help="Reports officials send upward: the ledger (台账) of a month or a quarter.", no_args_is_help=True
)

_REFUSED = {
    "ledger_month": "not a month (write 2026-11)",
    "ledger_month_open": "that month is not over yet",
    "ledger_quarter": "not a quarter (write 2026Q3)",
    "ledger_quarter_open": "that quarter is not over yet",
    "office_unknown": "no office with that key (see `wuye load`)",
    "ledger_department": "a department keeps no monthly ledger: name a community, street or bureau",
}


@report_app.command("ledger")
def ledger_command(
    out: Annotated[Path, typer.Argument(help="Where to write the file (.xlsx, or the CSV with --csv).")],
    office: Annotated[str, typer.Option("--office", help="The office's key in the setup file.")],
    month: Annotated[str | None, typer.Option("--month", help="A month that is over, e.g. 2026-11.")] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Or a quarter that is over, e.g. 2026Q3.")
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="The first sheet as GBK CSV instead.")] = False,
    new: Annotated[bool, typer.Option("--new", help="Build a new version (a correction).")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Write the ledger of the office's area for the month (or the quarter): the version kept (the same
    bytes as sent before), or a new one when none was made yet or with --new. Nothing on error."""
    from bot.cli_common import existing_app_or_exit, fail, settings_or_exit
    from bot.i18n import load_translations
    from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer
    from handlers.services import ledger
    from handlers.services.errors import UserError

    if (month is None) == (quarter is None):
        raise fail("give --month (e.g. 2026-11) or --quarter (e.g. 2026Q3), one of them")
    option, text, kind = (
        ("--month", month, "month") if month is not None else ("--quarter", quarter, "quarter")
    )
    assert text is not None
    application = existing_app_or_exit(settings_or_exit(database_url=database_url))
    ctx = application.ctx
    today = ctx.clock.now().astimezone(ctx.tz).date()
    try:
        period = ledger.ledger_period(text, today)
        if period.kind != kind:
            raise UserError("ledger_month")
    except UserError as exc:
        code = exc.code.replace("month", kind)
        raise fail(f"{option}: {text!r}: {_REFUSED.get(code, exc.code)}") from None
    try:
        governed = ledger.office_scope(ctx, office)
    except UserError as exc:
        raise fail(f"--office: {office!r}: {_REFUSED.get(exc.code, exc.code)}") from None
    if ctx.documents is None:
        raise fail("files cannot be made here")
    words = load_translations().for_lang(LEDGER_LANG)
    found = ledger.ledger(ctx, governed, period, drawer(ctx.documents, words), None, new)
    data = found.version.csv if csv else found.version.xlsx
    assert data is not None
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(f"OUT: cannot write {str(out)!r}: {exc.strerror or exc}") from None
    v = found.version
    how = "built now and kept" if found.fresh else f"as kept on {v.built_at:%Y-%m-%d %H:%M} UTC"
    typer.echo(f"wrote {out}: {governed.name} {v.month}, version {v.version} ({v.rows} tickets), {how}")
