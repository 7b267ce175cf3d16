"""Owners read their estate's disclosures: the latest quarter with its chart (and what a correction
changed), the quarters before, and a question on one line, which becomes a ticket."""

from __future__ import annotations

from handlers.conversations import revenue_text as rt
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button
from handlers.conversations.revenue_errors import explain_problem
from handlers.conversations.revenue_official import disclosure_overview
from handlers.conversations.turn import Turn
from handlers.rules import revenue as rules
from handlers.rules.categories import Privacy
from handlers.services import revenue, revenue_reading
from handlers.services.errors import NotFound, UserError


def show(turn: Turn) -> None:
    """/revenue: the latest quarter of the person's estate, with the chart."""
    estates = revenue_reading.reader_estates(turn.ctx, turn.person_id)
    manages = revenue.managed_estates(turn.ctx, turn.person_id)
    if not estates:
        if turn.actor().office_ids():  # an official: the area's view is theirs
            disclosure_overview(turn)
            return
        turn.say(explain(turn.tr, UserError("join_first")))
        return
    show_disclosure(turn, estates[0].id or 0, None)
    if manages:
        turn.say(
            turn.t(
                "To publish a quarter, send the filled template here as a file "
                "(/revenue_template for a blank one)."
            )
        )


def show_disclosure(turn: Turn, estate_id: int, disclosure_id: int | None) -> None:
    view = revenue_reading.owner_view(turn.ctx, turn.person_id, estate_id, disclosure_id=disclosure_id)
    status = turn.t(rt.TIMELINESS[view.timeliness.value])
    if view.current is None or view.figures is None:
        turn.say(
            turn.t(
                "{estate} has not published public revenue yet. "
                "The last quarter is due on {date} ({status}).",
                estate=view.estate.name,
                date=turn.tr.format_date(view.due_on),
                status=status,
            )
        )
        return
    d, figures = view.current, view.figures
    documents = turn.ctx.documents
    if documents is not None:
        history = [revenue.to_rules(h) for h in view.history if h.quarter <= d.quarter]
        spec = rt.chart_spec(turn.tr, view.estate.name, figures, history)
        turn.say(spec.title, image=documents.chart(spec))
    published = d.published_at
    lines = [
        "📊 " + rt.title(turn.tr, d.kind, view.estate.name, d.quarter),
        turn.t(
            "Published {date} · due {due} · {status}",
            date=turn.tr.format_date(published) if published else "—",
            due=turn.tr.format_date(view.due_on),
            status=status,
        ),
        "",
        rt.figures_text(turn.tr, figures),
    ]
    newer = view.superseded_by
    if newer is not None:
        lines[0:0] = [
            "⚠️ "
            + turn.t(
                "Superseded: revision {revision} of this quarter was published on {date}. "
                "What follows is the earlier version.",
                revision=newer.revision,
                date=turn.tr.format_date(newer.published_at) if newer.published_at else "—",
            ),
            "",
        ]
    if view.warnings:
        lines += ["", "⚠️ " + turn.t("Points to look at:")]
        lines += ["• " + rt.finding_text(turn.tr, w) for w in view.warnings]
    if d.revision > 1:
        lines += [
            "",
            turn.t("Corrected (revision {revision}): {reason}", revision=d.revision, reason=d.reason or ""),
        ]
        lines.append(rt.changes_text(turn.tr, view.changes))
    buttons = [[Button("❓ " + turn.t("Question a line"), encode("rv", "q", d.id))]]
    if newer is not None:
        buttons.insert(0, [Button("📄 " + turn.t("The current revision"), encode("rv", "v", newer.id))])
    if len(view.history) > 1:
        buttons.append([Button("🗂 " + turn.t("Earlier quarters"), encode("rv", "h", view.estate.id))])
    if d.kind == rules.DisclosureKind.REVENUE.value:
        for other in revenue_reading.other_kinds(turn.ctx, turn.person_id, view.estate.id or 0):
            label = turn.t(
                "{kind}, {quarter}",
                kind=turn.t(rt.KIND_LABELS[other.kind]),
                quarter=rt.quarter_label(turn.tr, other.quarter),
            )
            buttons.append([Button("📄 " + label, encode("rv", "v", other.id))])
    turn.say("\n".join(lines), buttons)


def show_history(turn: Turn, estate_id: int) -> None:
    view = revenue_reading.owner_view(turn.ctx, turn.person_id, estate_id)
    rows = [
        [
            Button(
                f"{rt.quarter_label(turn.tr, h.quarter)} · {turn.tr.format_money(h.closing_fen)}",
                encode("rv", "v", h.id),
            )
        ]
        for h in view.history
    ]
    turn.say(turn.t("Published quarters:"), rows)


def choose_line(turn: Turn, disclosure_id: int) -> None:
    p = revenue.preview(turn.ctx, disclosure_id)
    # Reading it as an owner checks that the person may, and that it is published.
    revenue_reading.owner_view(turn.ctx, turn.person_id, p.stored.estate_id, disclosure_id=disclosure_id)
    rows = [
        [
            Button(
                f"{rt.item_label(turn.tr, x.item)} · {turn.tr.format_money(x.amount_fen)}",
                encode("rv", "ql", x.id),
            )
        ]
        for x in p.stored.lines
    ]
    turn.say(turn.t("Which line do you question?"), rows)


def ask_about_line(turn: Turn, line_id: int) -> bool:
    """A question written about a line: it becomes a ticket (True, the question is over), or why not
    is said: the line is gone or never theirs (True: over too), or the question needs mending (False)."""
    try:
        ticket = revenue_reading.question_line(
            turn.ctx, turn.person_id, line_id, turn.inc.text, Privacy.GOVERNMENT
        )
    except NotFound as exc:  # the line is gone, or was never theirs: the question ends here
        turn.say(explain_problem(turn, exc))
        return True
    except UserError as exc:
        turn.say(explain_problem(turn, exc))
        return False
    turn.say(
        turn.t(
            "✅ Your question is ticket {number}. The project manager must answer it; follow it with /my.",
            number=ticket.number,
        )
    )
    return True
