"""Lists and figures: staff's tasks and their estate's open tickets (filters: state, category,
overdue), an official's area, overdue and supervised cases (paged by the database, filtered by estate),
the supervision figures with their chart, the monthly ledger (台账) to download, the disclosure status."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from bot.web.app import db, deps, only_reads, person_id, render, t, tr
from handlers.conversations import cards, labels
from handlers.conversations import ledger as ledger_chat
from handlers.conversations import revenue_text as rt
from handlers.conversations import stats_text as st
from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer
from handlers.ports import TicketList, Translator
from handlers.rules.categories import Category
from handlers.rules.lifecycle import OPEN_STATUSES, Status
from handlers.rules.periods import Period
from handlers.rules.ranking import Ranking
from handlers.services import ledger as ledger_service
from handlers.services import revenue_oversight, stats, web_lists
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.stats import RateKind


def _today(ctx: Context) -> date:
    return ctx.clock.now().astimezone(ctx.tz).date()


@only_reads
async def tasks(request: web.Request) -> web.Response:
    pid = person_id(request)
    q = request.query
    status = q.get("status", "")
    category = q.get("category", "")
    chosen = web_lists.StaffFilter(
        mine=q.get("scope", "mine") != "estate",
        status=Status(status) if status in {s.value for s in OPEN_STATUSES} else None,
        category=Category(category) if category in {c.value for c in Category} else None,
        overdue=q.get("overdue") == "1",
    )
    found = await db(request, web_lists.staff_tickets, deps(request).ctx, pid, chosen)
    now = deps(request).ctx.clock.now()
    words = tr(request)
    return render(
        request,
        "tasks.html",
        rows=[(x.number, cards.ticket_line(words, x, now)) for x in found],
        chosen=chosen,
        statuses=[(s.value, labels.label(words, labels.STATUS, s)) for s in sorted(OPEN_STATUSES)],
        categories=[(c.value, labels.label(words, labels.CATEGORY, c)) for c in Category],
    )


@only_reads
async def area(request: web.Request) -> web.Response:
    pid = person_id(request)
    q = request.query
    which = TicketList(q["list"]) if q.get("list") in {x.value for x in TicketList} else TicketList.OVERDUE
    page = int(q["page"]) if q.get("page", "").isdigit() else 1
    estate = int(q["estate"]) if q.get("estate", "").isdigit() else None
    ctx = deps(request).ctx
    shown = await db(request, web_lists.official_page, ctx, pid, which, page, estate)
    found = shown.listed
    now = ctx.clock.now()
    words = tr(request)

    def link(to_page: int) -> str:
        params: dict[str, Any] = {"list": which.value, "page": to_page}
        if estate is not None:
            params["estate"] = estate
        return "/area?" + urlencode(params)

    return render(
        request,
        "area.html",
        which=which.value,
        lists=[
            ("overdue", t("Overdue", request)),
            ("supervised", t("Listed for supervision", request)),
            ("area", t("Everything open", request)),
        ],
        estate_options=estate_options(tuple(shown.estates), estate),
        found=found,
        rows=[(x.number, cards.ticket_line(words, x, now)) for x in found.tickets],
        previous=link(found.page - 1) if found.page > 1 else None,
        next=link(found.page + 1) if found.page < found.pages else None,
    )


@functools.lru_cache(maxsize=256)
def estate_options(estates: tuple[tuple[int, str], ...], chosen: int | None) -> Markup:
    """The estate filter's options, every name escaped. Kept by what they are drawn from (the names as
    just read, and the choice), so the same list is escaped once, never shown stale: a bureau's 500
    estates were a thousand escapes a page, a sixth of its time."""
    option = Markup('<option value="{}"{}>{}</option>')
    return Markup("").join(
        option.format(id_, Markup(" selected") if id_ == chosen else "", name) for id_, name in estates
    )


def _stats(ctx: Context, pid: int, text: str) -> tuple[Any, Period]:
    try:
        period = Period.parse(text) if text else stats.last_complete_month(_today(ctx))
    except ValueError:
        raise UserError("period_unreadable") from None
    return stats.stats_view(ctx, pid, period), period


async def figures(request: web.Request) -> web.Response:
    pid = person_id(request)
    text = request.query.get("period", "")[:40]
    by = request.query.get("by", RateKind.RESOLUTION.value)
    kind = RateKind(by) if by in {k.value for k in RateKind} else RateKind.RESOLUTION
    view, period = await db(request, _stats, deps(request).ctx, pid, text)
    head, body = st.report_lines(tr(request), view, kind)
    return render(
        request,
        "stats.html",
        head=head,
        body=body,
        period=str(period),
        by=kind.value,
        rate_kinds=[
            (RateKind.RESPONSE.value, t("Response", request)),
            (RateKind.RESOLUTION.value, t("On time", request)),
            (RateKind.SATISFACTION.value, t("Satisfaction", request)),
        ],
        chart=deps(request).ctx.documents is not None,
    )


async def figures_chart(request: web.Request) -> web.Response:
    pid = person_id(request)
    ctx = deps(request).ctx
    view, _ = await db(request, _stats, ctx, pid, request.query.get("period", "")[:40])
    documents = ctx.documents
    if documents is None:
        raise UserError("ticket_unknown")
    png = await db(request, documents.rates_chart, st.chart_spec(tr(request), view))
    return web.Response(body=png, content_type="image/png")


async def ledger_page(request: web.Request) -> web.Response:
    pid = person_id(request)
    ctx = deps(request).ctx
    scopes = await db(request, ledger_service.ledger_scopes, ctx, pid)
    if not scopes:
        raise NotAllowed("ledger_nobody")
    last = stats.last_complete_month(_today(ctx))
    return render(request, "ledger.html", scopes=[(s.token, s.name) for s in scopes], month=str(last))


def _ledger_file(
    ctx: Context, words: Translator, pid: int, token: str, month: str, as_csv: bool
) -> tuple[bytes, str]:
    documents = ctx.documents
    if documents is None:
        raise UserError("ticket_unknown")
    period = ledger_service.ledger_period(month, _today(ctx))
    governed = ledger_service.governed_scope(ctx, pid, token)
    found = ledger_service.ledger(ctx, governed, period, drawer(documents, words), pid)
    data = found.version.csv if as_csv else found.version.xlsx
    assert data is not None  # a kept version without its files is rebuilt, never sent
    return data, found.filename(as_csv)


async def ledger_download(request: web.Request) -> web.StreamResponse:
    pid = person_id(request)
    form = await request.post()
    token, month = str(form.get("scope", ""))[:80], str(form.get("month", ""))[:20]
    as_csv = form.get("format") == "csv"
    d = deps(request)
    words = d.translations.for_lang(LEDGER_LANG)  # the ledger's own language, as in the chat
    try:
        data, filename = await db(request, _ledger_file, d.ctx, words, pid, token, month, as_csv)
    except UserError as exc:
        template = ledger_chat.MESSAGES.get(exc.code)
        if template is None:
            raise
        params = {
            k: (tr(request).format_date(v) if isinstance(v, date) else v) for k, v in exc.params.items()
        }
        return render(
            request,
            "message.html",
            status=400,
            title=t("That did not work", request),
            text=tr(request).gettext(template).format(**params),
        )
    kind = "text/csv" if as_csv else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = (
        f"attachment; filename=\"ledger.{'csv' if as_csv else 'xlsx'}\"; filename*=UTF-8''" + _quote(filename)
    )
    return web.Response(body=data, content_type=kind, headers={"Content-Disposition": disposition})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


async def disclosure(request: web.Request) -> web.Response:
    pid = person_id(request)
    view = await db(request, revenue_oversight.area_view, deps(request).ctx, pid, None)
    words = tr(request)
    rows = [
        {
            "estate": s.estate.name,
            "company": s.company_name,
            "status": s.status.value,
            "label": words.gettext(rt.TIMELINESS[s.status.value]),
            "published": words.format_date(s.published_at.date()) if s.published_at else "—",
            "marked": s.marked,
        }
        for s in view.estates
    ]
    return render(
        request,
        "disclosure.html",
        quarter=rt.quarter_label(words, view.quarter),
        due=words.format_date(view.due_on),
        rows=rows,
        estates=_ranking_rows(words, view.estate_ranking),
        companies=_ranking_rows(words, view.company_ranking),
    )


def _ranking_rows(words: Translator, ranking: Ranking[str]) -> list[dict[str, Any]]:
    """The ranked by place, then those over too few quarters, shown but never ranked (as in the chat)."""
    rows: list[dict[str, Any]] = [
        {"position": p.position, "name": p.subject, "hits": p.rate.hits, "cases": p.rate.cases, "note": ""}
        for p in ranking.ranked
    ]
    for p in ranking.unranked:
        note = words.gettext("n < {minimum}, not ranked").format(minimum=p.rate.min_sample)
        rows.append(
            {"position": None, "name": p.subject, "hits": p.rate.hits, "cases": p.rate.cases, "note": note}
        )
    return rows


def add_routes(app: web.Application) -> None:
    app.router.add_get("/tasks", tasks)
    app.router.add_get("/area", area)
    app.router.add_get("/stats", figures)
    app.router.add_get("/stats/chart.png", figures_chart)
    app.router.add_get("/ledger", ledger_page)
    app.router.add_post("/ledger", ledger_download)
    app.router.add_get("/disclosure", disclosure)
