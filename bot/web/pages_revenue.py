"""Owners read their estate's public revenue on the web: the published quarters, the last four side by
side in one table, each quarter's statement with its chart (the chat's picture,
bot/documents/revenue_chart.py), its revisions and what a correction changed, and a question on one
line, which becomes a ticket.

Everything is read through the chat's own use case (handlers/services/revenue_reading.py), so who may
read which estate's figures is decided there, as for /revenue in the chat."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.web.app import actor, db, deps, person_id, redirect, render, tr
from handlers.conversations import revenue_text as rt
from handlers.domain.disclosures import Disclosure as Stored
from handlers.ports import Translator
from handlers.rules import revenue as rules
from handlers.services import revenue, revenue_reading
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.revenue_reading import OwnerView

COMPARED = 4  # quarters side by side: a year


@dataclass
class Row:
    label: str
    amounts: list[str]
    kind: str = "item"  # item | total | balance


@dataclass
class Table:
    quarters: list[tuple[str, int]]  # (label, disclosure id), oldest first
    rows: list[Row] = field(default_factory=list)


def comparison(words: Translator, published: list[Stored]) -> Table:
    """The quarters side by side, oldest on the left: balances, each section's total and its items,
    net after the costs; an item a quarter did not have is a dash."""
    chosen = sorted(published, key=lambda s: s.quarter)[-COMPARED:]
    figures = [revenue.to_rules(s) for s in chosen]
    money = words.format_money
    table = Table([(rt.quarter_label(words, s.quarter), s.id or 0) for s in chosen])
    opening, closing = rt.FIELD_LABELS["opening"], rt.FIELD_LABELS["closing"]
    table.rows.append(Row(words.gettext(opening), [money(f.opening_fen) for f in figures], "balance"))
    for section in rules.Section:
        items: list[str] = []
        for f in figures:
            for line in f.lines:
                if line.section is section and line.item not in items:
                    items.append(line.item)
        if not items and section is rules.Section.USE:
            continue
        label = words.gettext(rt.SECTION_LABELS[section.value])
        table.rows.append(Row(label, [money(f.total(section)) for f in figures], "total"))
        for item in items:
            amounts = []
            for f in figures:
                found = [x.amount_fen for x in f.lines if x.section is section and x.item == item]
                amounts.append(money(sum(found)) if found else "—")
            table.rows.append(Row(rt.item_label(words, item), amounts))
        if section is rules.Section.COST:
            table.rows.append(Row(words.gettext("Net"), [money(f.net_fen) for f in figures], "total"))
    table.rows.append(Row(words.gettext(closing), [money(f.closing_fen) for f in figures], "balance"))
    return table


async def revenue_home(request: web.Request) -> web.Response:
    """/revenue: the reader's estate (a choice when they have several); an official's is the area's
    disclosure status."""
    pid = person_id(request)
    estates = await db(request, revenue_reading.reader_estates, deps(request).ctx, pid)
    if not estates:
        who = actor(request)
        if who is not None and who.office_ids():
            return redirect("/disclosure")
        raise UserError("join_first")
    if len(estates) == 1:
        return redirect(f"/revenue/e/{estates[0].id}")
    return render(request, "revenue_estates.html", estates=[(e.id, e.name) for e in estates])


def _estate(ctx: Context, pid: int, estate_id: int) -> tuple[OwnerView, list[Stored]]:
    view = revenue_reading.owner_view(ctx, pid, estate_id)
    return view, revenue_reading.other_kinds(ctx, pid, estate_id)


async def revenue_estate(request: web.Request) -> web.Response:
    pid = person_id(request)
    raw = request.match_info["estate"]
    if not raw.isdigit():
        raise NotFound("disclosure_unknown")
    view, others = await db(request, _estate, deps(request).ctx, pid, int(raw))
    words = tr(request)
    return render(
        request,
        "revenue.html",
        estate=view.estate.name,
        timeliness=words.gettext(rt.TIMELINESS[view.timeliness.value]),
        due=words.format_date(view.due_on),
        quarters=[
            {
                "id": h.id,
                "label": rt.quarter_label(words, h.quarter),
                "revision": h.revision,
                "published": words.format_date(h.published_at) if h.published_at else "—",
                "closing": words.format_money(h.closing_fen),
            }
            for h in view.history
        ],
        table=comparison(words, view.history) if view.history else None,
        others=[(o.id, rt.title(words, o.kind, view.estate.name, o.quarter)) for o in others],
    )


def _disclosure(ctx: Context, pid: int, disclosure_id: int) -> OwnerView:
    """One published disclosure as its estate's readers see it; another estate's, or a draft, is not
    found (nobody learns what exists where they may not look)."""
    with ctx.uow() as uow:
        stored = uow.disclosures.get(disclosure_id)
    if stored is None or stored.status != rules.DisclosureStatus.PUBLISHED:
        raise NotFound("disclosure_unknown")
    try:  # the history that comes with it is of the same kind (revenue, maintenance fund, utilities)
        return revenue_reading.owner_view(ctx, pid, stored.estate_id, disclosure_id=disclosure_id)
    except NotAllowed:
        raise NotFound("disclosure_unknown") from None


def _disclosure_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise NotFound("disclosure_unknown")
    return int(raw)


async def disclosure_page(request: web.Request) -> web.Response:
    pid = person_id(request)
    view = await db(request, _disclosure, deps(request).ctx, pid, _disclosure_id(request))
    words = tr(request)
    d, figures = view.current, view.figures
    assert d is not None and figures is not None
    money = words.format_money
    sections = []
    for section in rules.Section:
        lines = [x for x in d.lines if x.section == section.value]
        if not lines and section is rules.Section.USE:
            continue
        sections.append(
            {
                "label": words.gettext(rt.SECTION_LABELS[section.value]),
                "total": money(figures.total(section)),
                "lines": [
                    {
                        "id": x.id,
                        "label": rt.item_label(words, x.item),
                        "amount": money(x.amount_fen),
                        "reference": x.reference,
                        "note": x.note,
                    }
                    for x in lines
                ],
                "net": money(figures.net_fen) if section is rules.Section.COST else None,
            }
        )
    newer = view.superseded_by
    return render(
        request,
        "revenue_one.html",
        d=d,
        title=rt.title(words, d.kind, view.estate.name, d.quarter),
        estate_id=view.estate.id,
        published=words.format_date(d.published_at) if d.published_at else "—",
        due=words.format_date(view.due_on),
        timeliness=words.gettext(rt.TIMELINESS[view.timeliness.value]),
        account=words.gettext("Dedicated account: {bank} {number}").format(
            bank=d.account_bank, number=d.account_number
        ),
        opening=money(d.opening_fen),
        closing=money(d.closing_fen),
        sections=sections,
        warnings=[rt.finding_text(words, w) for w in view.warnings],
        changes=rt.changes_text(words, view.changes) if d.revision > 1 else "",
        newer=newer,
        newer_date=words.format_date(newer.published_at) if newer and newer.published_at else "—",
        revisions=[
            (r.id, r.revision, words.format_date(r.published_at) if r.published_at else "—", r.reason or "")
            for r in view.revisions
        ],
        chart=deps(request).ctx.documents is not None,
    )


async def disclosure_chart(request: web.Request) -> web.Response:
    """The quarter's chart as the chat draws it: by item, with up to four quarters up to this one."""
    pid = person_id(request)
    ctx = deps(request).ctx
    documents = ctx.documents
    if documents is None:
        raise NotFound("disclosure_unknown")
    view = await db(request, _disclosure, ctx, pid, _disclosure_id(request))
    assert view.current is not None and view.figures is not None
    earlier = [revenue.to_rules(h) for h in view.history if h.quarter <= view.current.quarter]
    spec = rt.chart_spec(tr(request), view.estate.name, view.figures, earlier)
    png = await db(request, documents.chart, spec)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private"})


async def question(request: web.Request) -> web.Response:
    """A question about one line: a ticket, as in the chat (the government side sees the name)."""
    from handlers.rules.categories import Privacy

    pid = person_id(request)
    raw = request.match_info["line"]
    if not raw.isdigit():
        raise NotFound("disclosure_unknown")
    form = await request.post()
    text = form.get("text")
    ticket = await db(
        request,
        revenue_reading.question_line,
        deps(request).ctx,
        pid,
        int(raw),
        text if isinstance(text, str) else "",
        Privacy.GOVERNMENT,
    )
    return redirect(f"/t/{ticket.number}?sent=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/revenue", revenue_home)
    app.router.add_get("/revenue/e/{estate}", revenue_estate)
    app.router.add_get("/revenue/d/{id}", disclosure_page)
    app.router.add_get("/revenue/d/{id}/chart.png", disclosure_chart)
    app.router.add_post("/revenue/line/{line}/question", question)
