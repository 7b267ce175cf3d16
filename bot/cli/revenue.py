"""`wuye revenue ...`: import and publish a quarterly disclosure, write the template, show what owners see."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from handlers.ports import Translator
from handlers.text import LANGUAGES, Lang

if TYPE_CHECKING:
    from bot.wiring import App
    from handlers.services.context import Context

revenue_app = typer.Typer(
    help="Quarterly disclosures of public revenue (公共收益公示).", no_args_is_help=True
)

DatabaseOpt = Annotated[str | None, typer.Option("--database-url", help="Overrides WUYE_DATABASE_URL.")]
LangOpt = Annotated[str, typer.Option("--lang", help="zh_Hans | zh_Hant | en")]


def _translator(lang: str) -> Translator:
    from bot.cli.common import fail
    from bot.i18n.translator import load_translations

    if lang not in LANGUAGES:
        raise fail(f"--lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return load_translations().for_lang(cast(Lang, lang))


def _application(database_url: str | None) -> App:
    """The application on wuye's database; none there (another folder, a misspelled variable): one line."""
    from bot.cli.common import existing_app_or_exit, settings_or_exit

    return existing_app_or_exit(settings_or_exit(database_url=database_url))


def _write(path: Path, data: bytes, option: str) -> None:
    from bot.cli.common import fail

    try:
        path.write_bytes(data)
    except OSError as exc:
        raise fail(f"{option}: cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _estate_id(ctx: Context, key: str) -> int:
    from bot.cli.common import fail

    with ctx.uow() as uow:
        estate = uow.estates.by_key(key)
    if estate is None:
        raise fail(f"--estate: no estate with key {key!r} (see `wuye load`)")
    return estate.id or 0


@revenue_app.command("template")
def template(
    out: Annotated[Path, typer.Argument(help="Where to write the XLSX template.")],
    lang: LangOpt = "zh_Hans",
    kind: Annotated[str, typer.Option(help="revenue | maintenance_fund | shared_utilities")] = "revenue",
) -> None:
    """Write the XLSX template, items named in the given language."""
    from bot.cli.common import fail
    from bot.documents.revenue_files import template_rows, write_xlsx
    from handlers.rules.revenue import DisclosureKind

    try:
        disclosure_kind = DisclosureKind(kind)
    except ValueError:
        raise fail(f"--kind: {kind!r} is not one of revenue, maintenance_fund, shared_utilities") from None
    _write(out, write_xlsx(template_rows(_translator(lang), disclosure_kind)), "OUT")
    typer.echo(f"wrote {out}")


@revenue_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="The filled template: .xlsx, or .csv in UTF-8 or GBK.")],
    estate: Annotated[str, typer.Option("--estate", help="The estate's key in the setup file.")],
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter the file must be for, e.g. 2026Q3.")],
    publish: Annotated[bool, typer.Option("--publish", help="Publish at once and tell every owner.")] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, when this corrects a published one.")
    ] = None,
    lang: LangOpt = "zh_Hans",
    database_url: DatabaseOpt = None,
) -> None:
    """Check a file and keep it as a draft (preview); with --publish, publish it. Nothing on error."""
    from bot.cli.common import fail
    from bot.documents.revenue_files import read_grid
    from handlers.conversations import revenue_text as rt
    from handlers.rules.revenue import Quarter
    from handlers.services import revenue
    from handlers.services.errors import UserError
    from handlers.services.revenue_import import RevenueFileError

    tr = _translator(lang)
    try:
        expected = Quarter.parse(quarter)
    except ValueError as exc:
        raise fail(f"--quarter: {exc}") from None
    if not path.is_file():
        raise fail(f"{path}: no such file")
    application = _application(database_url)
    ctx = application.ctx
    estate_id = _estate_id(ctx, estate)
    try:
        grid = read_grid(path.read_bytes(), path.name)
        preview = revenue.import_draft(
            ctx, None, estate_id, grid, source=path.name, expected_quarter=expected
        )
    except RevenueFileError as exc:
        for p in exc.problems:
            typer.echo(f"{path}: {rt.file_problem_text(tr, p)}", err=True)
        raise typer.Exit(code=2) from None
    except revenue.DisclosureRefused as exc:
        for f in exc.findings:
            typer.echo(f"{path}: {rt.finding_text(tr, f)}", err=True)
        raise typer.Exit(code=2) from None
    d = preview.stored
    heading = rt.title(tr, d.kind, preview.estate.name, d.quarter)
    typer.echo(heading + f" · r{preview.revision} (draft {d.id})")
    typer.echo(rt.figures_text(tr, preview.figures))
    for w in preview.warnings:
        typer.echo("⚠ " + rt.finding_text(tr, w))
    if preview.changes:
        typer.echo(rt.changes_text(tr, preview.changes))
    if not publish:
        typer.echo(f"not published: run again with --publish, or publish draft {d.id} from the chat")
        return
    try:
        done = revenue.publish(ctx, None, d.id or 0, reason)
    except UserError as exc:
        revenue.discard(ctx, None, d.id or 0)
        raise fail(f"not published ({exc.code}{': ' + str(exc.params) if exc.params else ''})") from None
    timing = "on time" if done.on_time else "late"
    typer.echo(f"published ({timing}); {done.notified} owners will be told")


@revenue_app.command("show")
def show(
    estate: Annotated[str, typer.Option("--estate", help="The estate's key in the setup file.")],
    lang: LangOpt = "zh_Hans",
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also write the owners' chart (PNG) here.")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """What owners see: the latest published quarter, its timeliness, and the quarters before."""
    from bot.documents.revenue_chart import render_chart
    from handlers.conversations import revenue_text as rt
    from handlers.services import revenue

    tr = _translator(lang)
    application = _application(database_url)
    ctx = application.ctx
    estate_id = _estate_id(ctx, estate)
    with ctx.uow() as uow:
        published = uow.disclosures.published(estate_id, "revenue", limit=8)
        estate_row = uow.estates.get(estate_id)
    if not published or estate_row is None:
        typer.echo(f"{estate}: nothing published yet")
        return
    current = published[0]
    figures = revenue.to_rules(current)
    typer.echo(rt.title(tr, current.kind, estate_row.name, current.quarter) + f" · r{current.revision}")
    if current.published_at is not None:
        typer.echo(tr.format_datetime(current.published_at))
    typer.echo(rt.figures_text(tr, figures))
    for w in revenue.rules.warnings(figures):
        typer.echo("⚠ " + rt.finding_text(tr, w))
    if len(published) > 1:
        typer.echo("")
        for d in published[1:]:
            typer.echo(f"{d.quarter} r{d.revision}: {tr.format_money(d.closing_fen)}")
    if chart is not None:
        spec = rt.chart_spec(tr, estate_row.name, figures, [revenue.to_rules(d) for d in published])
        _write(chart, render_chart(spec), "--chart")
        typer.echo(f"chart: {chart}")
