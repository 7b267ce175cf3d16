"""How /stats reads: the period, the figures, the rankings and the chart's content in the reader's
language, and long reports cut into pages. Pure text: no database, no drawing (bot/documents/rates_chart.py
draws a `RatesChart`)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.conversations import revenue_text as rt
from handlers.ports import Translator
from handlers.rules.figures import Figures
from handlers.rules.periods import Period, PeriodKind
from handlers.rules.ranking import Ranking, Rate
from handlers.rules.revenue import Quarter
from handlers.services.figures import ScopeKind
from handlers.services.stats import Line, RateKind, StatsView, ranking, rate_of
from handlers.text import N_

PAGE_LINES = 40  # lines of a report page, and never more than PAGE_CHARS (Telegram takes 4096)
PAGE_CHARS = 3500
MAX_CHART_ROWS = 30  # bars per rate a chart stays readable with

MONTHS = (
    N_("January {year}"),
    N_("February {year}"),
    N_("March {year}"),
    N_("April {year}"),
    N_("May {year}"),
    N_("June {year}"),
    N_("July {year}"),
    N_("August {year}"),
    N_("September {year}"),
    N_("October {year}"),
    N_("November {year}"),
    N_("December {year}"),
)
RATE_NAMES: dict[RateKind, str] = {
    RateKind.RESPONSE: N_("Response rate"),
    RateKind.RESOLUTION: N_("On-time resolution rate"),
    RateKind.SATISFACTION: N_("Satisfaction rate"),
}
# the headings of the rankings, by what is ranked and by which rate
ESTATES, COMPANIES = ScopeKind.ESTATE, ScopeKind.COMPANY
RANKED_BY: dict[tuple[ScopeKind, RateKind], str] = {
    (ESTATES, RateKind.RESPONSE): N_("Estates ranked by response rate:"),
    (ESTATES, RateKind.RESOLUTION): N_("Estates ranked by on-time resolution rate:"),
    (ESTATES, RateKind.SATISFACTION): N_("Estates ranked by satisfaction rate:"),
    (COMPANIES, RateKind.RESPONSE): N_("Companies ranked by response rate:"),
    (COMPANIES, RateKind.RESOLUTION): N_("Companies ranked by on-time resolution rate:"),
    (COMPANIES, RateKind.SATISFACTION): N_("Companies ranked by satisfaction rate:"),
}
# the level below a scope, as the heading of its lines
BELOW: dict[ScopeKind, str] = {
    ScopeKind.DISTRICT: N_("By street:"),
    ScopeKind.STREET: N_("By community:"),
    ScopeKind.COMMUNITY: N_("By estate:"),
    ScopeKind.COMPANY: N_("By estate:"),
}
CHART_BY: dict[ScopeKind, str] = {
    ScopeKind.ESTATE: N_("{scope}, {period}: the three rates by estate"),
    ScopeKind.COMPANY: N_("{scope}, {period}: the three rates by company"),
    ScopeKind.COMMUNITY: N_("{scope}, {period}: the three rates by community"),
    ScopeKind.STREET: N_("{scope}, {period}: the three rates by street"),
}


def period_label(tr: Translator, period: Period) -> str:
    """2026年11月, 2026年第三季度, or the first and last day."""
    if period.kind is PeriodKind.MONTH:
        return tr.gettext(MONTHS[period.first.month - 1]).format(year=period.first.year)
    if period.kind is PeriodKind.QUARTER:
        return rt.quarter_label(tr, Quarter.containing(period.first))
    return tr.gettext("{first} to {last}").format(
        first=tr.format_date(period.first), last=tr.format_date(period.last)
    )


def rate_text(tr: Translator, rate: Rate) -> str:
    """80% (8/10); 2/3 (n < 5, not ranked) under the minimum sample; — with no case."""
    if rate.cases == 0:
        return "—"
    if not rate.ranked:
        small = tr.gettext("n < {minimum}, not ranked").format(minimum=rate.min_sample)
        # Translators: a rate under the minimum sample: "2/3 (n < 5, not ranked)"
        return tr.gettext("{hits}/{cases} ({why})").format(hits=rate.hits, cases=rate.cases, why=small)
    # Translators: a rate: "80% (8/10)"
    return tr.gettext("{percent}% ({hits}/{cases})").format(
        percent=rate.percent, hits=rate.hits, cases=rate.cases
    )


def figures_block(tr: Translator, f: Figures) -> list[str]:
    """The scope's figures, every one of them (README "Supervision figures")."""
    return [
        "📥 "
        + tr.gettext(
            "Received {received} · closed as fixed {confirmed} · closed unconfirmed {unconfirmed} "
            "· withdrawn {withdrawn}"
        ).format(
            received=f.received,
            confirmed=f.closed_confirmed,
            unconfirmed=f.closed_unconfirmed,
            withdrawn=f.withdrawn,
        ),
        "⏱ " + tr.gettext("Responded in time: {rate}").format(rate=rate_text(tr, f.responded_in_time)),
        "🔧 " + tr.gettext("Resolved on time: {rate}").format(rate=rate_text(tr, f.resolved_on_time)),
        "🙂 " + tr.gettext("Satisfied (rated 4–5 stars): {rate}").format(rate=rate_text(tr, f.satisfaction)),
        "🔴 "
        + tr.gettext(
            "Overdue now {overdue} · reopened {reopened} · listed for supervision (挂牌督办) {supervised} "
            "· transferred to a department {transferred}"
        ).format(
            overdue=f.overdue_now, reopened=f.reopened, supervised=f.supervised, transferred=f.transferred
        ),
    ]


def line_text(tr: Translator, line: Line) -> str:
    """One unit of the level below, on one line."""
    f = line.figures
    return "• " + tr.gettext(
        "{name}: received {received} · response {response} · on time {resolution} · "
        "satisfied {satisfaction} · overdue now {overdue}"
    ).format(
        name=line.subject.name,
        received=f.received,
        response=rate_text(tr, f.responded_in_time),
        resolution=rate_text(tr, f.resolved_on_time),
        satisfaction=rate_text(tr, f.satisfaction),
        overdue=f.overdue_now,
    )


def ranking_lines(tr: Translator, placed: Ranking[Line]) -> list[str]:
    """The ranked by place, then those under the minimum sample: shown, never ranked."""
    lines = [
        tr.gettext("{place}. {name}: {rate}").format(
            place=p.position, name=p.subject.subject.name, rate=rate_text(tr, p.rate)
        )
        for p in placed.ranked
    ]
    lines += [
        tr.gettext("– {name}: {rate}").format(name=p.subject.subject.name, rate=rate_text(tr, p.rate))
        for p in placed.unranked
    ]
    return lines


def title(tr: Translator, view: StatsView) -> str:
    return "📊 " + tr.gettext("Figures of {scope}, {period}").format(
        scope=view.scope.name, period=period_label(tr, view.period)
    )


def report_lines(tr: Translator, view: StatsView, by: RateKind) -> tuple[list[str], list[str]]:
    """(the head, shown on the first page; the body, cut into pages): the scope's figures, the level
    below, and the estates and companies ranked by one rate."""
    head = [title(tr, view)]
    if not view.complete:
        head.append(tr.gettext("The period is not over yet: these are the figures so far."))
    head += ["", *figures_block(tr, view.total)]
    body: list[str] = []
    if view.below and view.scope.kind in BELOW:
        body += ["", tr.gettext(BELOW[view.scope.kind])]
        body += [line_text(tr, line) for line in view.below]
    estates_heading, companies_heading = RANKED_BY[ESTATES, by], RANKED_BY[COMPANIES, by]
    if len(view.estates) > 1:
        body += ["", "🏅 " + tr.gettext(estates_heading)]
        body += ranking_lines(tr, ranking(view.estates, by))
    if len(view.companies) > 1:
        body += ["", "🏢 " + tr.gettext(companies_heading)]
        body += ranking_lines(tr, ranking(view.companies, by))
    if view.estates and len(view.estates) + len(view.companies) > 2:
        body += [
            "",
            tr.gettext(
                "A rate over fewer than {minimum} cases is shown but not ranked. Ranked by the rate, "
                "then by the number of cases."
            ).format(minimum=view.min_sample),
        ]
    return head, body


def pages(
    head: list[str], body: list[str], max_lines: int | None = None, max_chars: int | None = None
) -> list[str]:
    """The report cut into messages: the head on the first, then as many lines as fit; never a line
    dropped, never a page over the limits (a line longer than a page is cut to fit one)."""
    max_lines, max_chars = max_lines or PAGE_LINES, max_chars or PAGE_CHARS
    found: list[list[str]] = []
    current = list(head)
    size = sum(len(x) + 1 for x in current)  # the page's characters so far, kept as it grows
    for line in body:
        line = line[:max_chars]
        if current and (len(current) >= max_lines or size + len(line) > max_chars):
            found.append(current)
            current, size = [], 0
        if not current and not line:
            continue  # a page does not open on a blank line
        current.append(line)
        size += len(line) + 1
    if current or not found:
        found.append(current)
    return ["\n".join(page).strip() for page in found]


@dataclass(frozen=True)
class RatesChart:
    """What a /stats chart shows, already in the reader's language: each row's three rates (response,
    resolution on time, satisfaction) as (hits, cases, ranked); drawn by bot/documents/rates_chart.py."""

    title: str
    rates: tuple[str, str, str]
    rows: tuple[tuple[str, tuple[tuple[int, int, bool], ...]], ...]
    not_ranked: str  # the mark of a rate under the minimum sample: "n < 5, not ranked"
    min_sample: int
    note: str = ""  # under the chart: what it leaves to the text, if anything


def chart_spec(tr: Translator, view: StatsView) -> RatesChart:
    """The rates by estate; by the level below or by company when the estates are too many to draw,
    best on-time resolution first. Rows under the minimum sample are marked, never left out; what the
    chart cannot hold is said under it (the text has every row)."""
    kind, lines = ScopeKind.ESTATE, view.estates
    for candidate, candidates in (
        (ScopeKind.COMMUNITY if view.scope.kind is ScopeKind.STREET else ScopeKind.STREET, view.below),
        (ScopeKind.COMPANY, view.companies),
    ):
        if len(lines) > MAX_CHART_ROWS and 0 < len(candidates) < len(lines):
            kind, lines = candidate, candidates
    if view.scope.kind is ScopeKind.ESTATE or not lines:
        kind, lines = ScopeKind.ESTATE, [Line(view.scope, view.total)]
    placed = ranking(lines, RateKind.RESOLUTION)
    ordered = [p.subject for p in placed.ranked + placed.unranked]
    note = ""
    if len(ordered) > MAX_CHART_ROWS:
        note = tr.gettext(
            "The chart shows the first {shown} of {total} by on-time resolution; the text lists them all."
        ).format(shown=MAX_CHART_ROWS, total=len(ordered))
        ordered = ordered[:MAX_CHART_ROWS]
    rows = tuple(
        (
            line.subject.name,
            tuple((r.hits, r.cases, r.ranked) for r in (rate_of(line.figures, k) for k in RateKind)),
        )
        for line in ordered
    )
    return RatesChart(
        title=tr.gettext(CHART_BY[kind]).format(scope=view.scope.name, period=period_label(tr, view.period)),
        rates=(
            tr.gettext(RATE_NAMES[RateKind.RESPONSE]),
            tr.gettext(RATE_NAMES[RateKind.RESOLUTION]),
            tr.gettext(RATE_NAMES[RateKind.SATISFACTION]),
        ),
        rows=rows,
        not_ranked=tr.gettext("n < {minimum}, not ranked").format(minimum=view.min_sample),
        min_sample=view.min_sample,
        note=note,
    )
