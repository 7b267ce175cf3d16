"""Officials watch disclosures: which estates of their area published a quarter on time, late or not at
all, and the estates and companies ranked by their on-time rate."""

from __future__ import annotations

from handlers.conversations import revenue_text as rt
from handlers.conversations.errors import explain
from handlers.conversations.turn import Turn
from handlers.domain.people import RoleKind
from handlers.rules import revenue as rules
from handlers.rules.ranking import Ranking
from handlers.services import revenue_oversight
from handlers.services.errors import UserError


def disclosure_overview(turn: Turn) -> None:
    """/disclosure [2026Q3]: which estates of the area published on time, late, or not at all."""
    quarter = None
    if turn.inc.text.strip():
        try:
            quarter = rules.Quarter.parse(turn.inc.text)
        except ValueError:
            turn.say(turn.t("Write the quarter like 2026Q3."))
            return
    actor = turn.actor()
    if not actor.office_ids() and not actor.has(RoleKind.ADMIN):
        turn.say(explain(turn.tr, UserError("officials_only")))
        return
    view = revenue_oversight.area_view(turn.ctx, turn.person_id, quarter)
    icon = {"on_time": "🟢", "late": "🟡", "missing": "🔴", "pending": "⚪"}
    lines = [
        "🏛 "
        + turn.t(
            "Public revenue disclosures, {quarter} (due {date})",
            quarter=rt.quarter_label(turn.tr, view.quarter),
            date=turn.tr.format_date(view.due_on),
        ),
        "",
    ]
    for s in view.estates:
        when = f" · {turn.tr.format_date(s.published_at)}" if s.published_at else ""
        mark = " ⚠️" if s.marked else ""
        status = turn.t(
            "{estate} ({company}): {status}",
            estate=s.estate.name,
            company=s.company_name,
            status=turn.t(rt.TIMELINESS[s.status.value]),
        )
        lines.append(f"{icon[s.status.value]} {status}{when}{mark}")
    counts = {k: sum(1 for s in view.estates if s.status.value == k) for k in icon}
    lines += [
        "",
        turn.t(
            "On time {on_time} · late {late} · not published {missing} · not due {pending}",
            **counts,
        ),
        "",
        "🏅 " + turn.t("Ranking by on-time rate (last four quarters):"),
    ]
    lines += ranking_lines(turn, view.estate_ranking)
    if view.company_ranking.ranked or view.company_ranking.unranked:
        lines += ["", "🏢 " + turn.t("Companies:")]
        lines += ranking_lines(turn, view.company_ranking)
    turn.say("\n".join(lines))


def ranking_lines(turn: Turn, ranking: Ranking[str]) -> list[str]:
    """The ranked by place, then those over too few quarters, shown but never ranked."""
    lines = [_ranked(turn, str(p.position), p.subject, p.rate.hits, p.rate.cases) for p in ranking.ranked]
    for p in ranking.unranked:
        small = turn.t("n < {minimum}, not ranked", minimum=p.rate.min_sample)
        # Translators: a row shown but not ranked: "– 海滨花园: 1/1 (n < 5, not ranked)"
        lines.append(
            turn.t(
                "– {name}: {on_time}/{due} ({why})",
                name=p.subject,
                on_time=p.rate.hits,
                due=p.rate.cases,
                why=small,
            )
        )
    return lines


def _ranked(turn: Turn, place: str, name: str, on_time: int, due: int) -> str:
    # Translators: a place in the on-time ranking: "1. 海滨花园: 3/4" (published on time / due)
    return turn.t("{place}. {name}: {on_time}/{due}", place=place, name=name, on_time=on_time, due=due)
