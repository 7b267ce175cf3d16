"""Public revenue in the open (公共收益公示): managers publish, owners read and question, officials watch.

manager: /revenue_template ─▶ fills it in ─▶ sends the file ─▶ preview ─▶ [Publish] ─▶ owners told
                                                                  │         (a correction: reason ─▶ publish)
                                                                  └▶ [Discard]
owner:   /revenue ─▶ chart + statement (what changed, if corrected) ─▶ [Earlier quarters] [Question a line]
                                                                  └▶ line ─▶ question:text ─▶ ticket
official: /disclosure ─▶ the area: on time / late / not published, the ranking
"""

from __future__ import annotations

from handlers.conversations import revenue_text as rt
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.domain import RoleKind
from handlers.rules import revenue as rules
from handlers.rules.categories import Privacy
from handlers.services import revenue, revenue_oversight, revenue_reading
from handlers.services.access import Actor
from handlers.services.errors import UserError
from handlers.services.revenue_import import MAX_FILE_BYTES, FileProblem, RevenueFileError
from handlers.text import N_

FLOW = "revenue"
MAX_SHOWN_PROBLEMS = 15
ERRORS: dict[str, str] = {
    "disclosure_unknown": N_("That disclosure does not exist or is no longer a draft."),
    "disclosure_not_draft": N_("That disclosure is already {status}; a published one never changes."),
    "not_your_estate": N_("You can only read the disclosures of your own estate."),
}


def _explain(turn: Turn, exc: UserError) -> str:
    if isinstance(exc, RevenueFileError):
        shown = [rt.file_problem_text(turn.tr, p) for p in exc.problems[:MAX_SHOWN_PROBLEMS]]
        more = len(exc.problems) - len(shown)
        tail = "\n" + turn.t("… and {count} more.", count=more) if more > 0 else ""
        return (
            turn.t("❌ The file was not accepted. Nothing was published.")
            + "\n"
            + "\n".join("• " + s for s in shown)
            + tail
        )
    if isinstance(exc, revenue.DisclosureRefused):
        return (
            turn.t("❌ These figures cannot be published. Nothing was published.")
            + "\n"
            + "\n".join("• " + rt.finding_text(turn.tr, f) for f in exc.findings)
        )
    if exc.code in ERRORS:
        return turn.t(ERRORS[exc.code], **exc.params)
    return explain(turn.tr, exc)


# -- the project manager -------------------------------------------------------------------------


def template(turn: Turn) -> None:
    """/revenue_template: the XLSX to fill in, items named in the manager's language."""
    documents = turn.ctx.documents
    if documents is None:
        turn.say(turn.t("Files cannot be made here."))
        return
    data = documents.template(turn.tr, rules.DisclosureKind.REVENUE)
    turn.say(
        turn.t(
            "Fill in the amounts in yuan (leave an item empty if it did not occur), the contract or "
            "the owners' assembly decision for each line, and send the file back here."
        ),
        document=data,
        filename="revenue-template.xlsx",
    )


def wants_document(turn: Turn) -> bool:
    """A document from a project manager outside any conversation is taken as a disclosure file."""
    if turn.inc.kind is not Kind.DOCUMENT:
        return False
    if not revenue.managed_estates(turn.ctx, turn.person_id):
        return False
    receive_file(turn)
    return True


def receive_file(turn: Turn) -> None:
    inc = turn.inc
    estates = revenue.managed_estates(turn.ctx, turn.person_id)
    if not estates:
        turn.say(explain(turn.tr, UserError("managers_only")))
        return
    caption = inc.text.strip()
    estate = next((e for e in estates if e.key in caption or e.name in caption), estates[0])
    if inc.file_size is not None and inc.file_size > MAX_FILE_BYTES:
        turn.say(
            _explain(
                turn,
                RevenueFileError(
                    [
                        FileProblem(
                            "too_large",
                            params={
                                "size": inc.file_size // (1024 * 1024),
                                "limit": MAX_FILE_BYTES // (1024 * 1024),
                            },
                        )
                    ]
                ),
            )
        )
        return
    documents = turn.ctx.documents
    if documents is None or inc.fetch is None:
        turn.say(turn.t("I cannot read files here."))
        return
    expected = None
    for word in caption.split():
        try:
            expected = rules.Quarter.parse(word)
        except ValueError:
            continue
    try:
        data = inc.fetch()
        if len(data) > MAX_FILE_BYTES:
            raise RevenueFileError(
                [FileProblem("too_large", params={"size": len(data) // 2**20, "limit": 20})]
            )
        grid = documents.read_grid(data, inc.file_name)
        preview = revenue.import_draft(
            turn.ctx, turn.person_id, estate.id or 0, grid, source=inc.file_name, expected_quarter=expected
        )
    except UserError as exc:
        turn.say(_explain(turn, exc))
        return
    turn.clear_state()
    show_preview(turn, preview)


def show_preview(turn: Turn, p: revenue.Preview) -> None:
    d = p.stored
    lines = [
        "📝 " + turn.t("Preview (not published yet)"),
        rt.title(turn.tr, d.kind, p.estate.name, d.quarter) + (f" · r{d.revision}" if d.revision > 1 else ""),
        "",
        rt.figures_text(turn.tr, p.figures),
        "",
        "✅ " + turn.t("It reconciles: opening + income − costs − uses = closing."),
        turn.t("Due on {date}.", date=turn.tr.format_date(p.due_on)),
    ]
    if p.warnings:
        lines += ["", "⚠️ " + turn.t("Warnings (shown to owners too):")]
        lines += ["• " + rt.finding_text(turn.tr, w) for w in p.warnings]
    if p.previous is not None:
        lines += [
            "",
            turn.t("This corrects the published revision {revision}. Changes:", revision=p.previous.revision),
        ]
        lines.append(rt.changes_text(turn.tr, p.changes) or turn.t("(no amount changed)"))
    buttons = [
        [
            Button("📢 " + turn.t("Publish"), f"rv:pub:{d.id}"),
            Button("🗑 " + turn.t("Discard"), f"rv:dis:{d.id}"),
        ]
    ]
    turn.say("\n".join(lines), buttons)


def _publish_button(turn: Turn, disclosure_id: int) -> None:
    p = revenue.preview(turn.ctx, disclosure_id)
    if p.stored.status != "draft":
        raise UserError("disclosure_not_draft", status=p.stored.status)
    if p.previous is not None:
        turn.set_state(FLOW, "reason", disclosure_id=disclosure_id)
        turn.say(turn.t("This corrects a published disclosure. Why? Owners will read the reason."))
        return
    _publish(turn, disclosure_id, None)


def _publish(turn: Turn, disclosure_id: int, reason: str | None) -> None:
    done = revenue.publish(turn.ctx, turn.person_id, disclosure_id, reason)
    timing = turn.t("on time") if done.on_time else turn.t("late")
    turn.edit_pressed(
        turn.t(
            "📢 Published ({timing}): {quarter}, revision {revision}. {count} owners are being told.",
            timing=timing,
            quarter=done.disclosure.quarter,
            revision=done.disclosure.revision,
            count=done.notified,
        )
    )


def on_reason(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the reason for the correction."))
        return
    disclosure_id = int(str(turn.state.data["disclosure_id"]))
    try:
        _publish(turn, disclosure_id, turn.inc.text)
    except UserError as exc:
        turn.say(_explain(turn, exc))
        return
    turn.clear_state()


def on_flow(turn: Turn) -> None:
    assert turn.state is not None
    step = turn.state.step
    if step == "reason":
        on_reason(turn)
        return
    if step == "question":
        on_question(turn)
        return
    turn.clear_state()


# -- owners ----------------------------------------------------------------------------------------


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
    _show(turn, estates[0].id or 0, None)
    if manages:
        turn.say(
            turn.t(
                "To publish a quarter, send the filled template here as a file "
                "(/revenue_template for a blank one)."
            )
        )


def _show(turn: Turn, estate_id: int, disclosure_id: int | None) -> None:
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
    if view.warnings:
        lines += ["", "⚠️ " + turn.t("Points to look at:")]
        lines += ["• " + rt.finding_text(turn.tr, w) for w in view.warnings]
    if d.revision > 1:
        lines += [
            "",
            turn.t("Corrected (revision {revision}): {reason}", revision=d.revision, reason=d.reason or ""),
        ]
        lines.append(rt.changes_text(turn.tr, view.changes))
    buttons = [[Button("❓ " + turn.t("Question a line"), f"rv:q:{d.id}")]]
    if len(view.history) > 1:
        buttons.append([Button("🗂 " + turn.t("Earlier quarters"), f"rv:h:{view.estate.id}")])
    if d.kind == rules.DisclosureKind.REVENUE.value:
        for other in revenue_reading.other_kinds(turn.ctx, turn.person_id, view.estate.id or 0):
            label = f"{turn.t(rt.KIND_LABELS[other.kind])} {other.quarter}"
            buttons.append([Button("📄 " + label, f"rv:v:{other.id}")])
    turn.say("\n".join(lines), buttons)


def on_button(turn: Turn) -> None:
    _, _, rest = (turn.inc.data or "").partition(":")
    action, _, arg = rest.partition(":")
    try:
        number = int(arg) if arg.isdigit() else 0
        if action == "pub":
            turn.toast()
            _publish_button(turn, number)
        elif action == "dis":
            revenue.discard(turn.ctx, turn.person_id, number)
            turn.toast()
            turn.edit_pressed(turn.t("🗑 Discarded. Nothing was published."))
        elif action == "v":
            turn.toast()
            p = revenue.preview(turn.ctx, number)
            _show(turn, p.stored.estate_id, number)
        elif action == "h":
            turn.toast()
            _history(turn, number)
        elif action == "q":
            turn.toast()
            _choose_line(turn, number)
        elif action == "ql":
            turn.toast()
            turn.set_state(FLOW, "question", line_id=number)
            turn.say(
                turn.t(
                    "What is your question about this line? It becomes a ticket for the project manager; "
                    "your name is shown only to the community, street and district offices."
                )
            )
        else:
            turn.toast(turn.t("This button is no longer valid."), alert=True)
    except UserError as exc:
        turn.toast(_explain(turn, exc)[:190], alert=True)


def _history(turn: Turn, estate_id: int) -> None:
    view = revenue_reading.owner_view(turn.ctx, turn.person_id, estate_id)
    rows = [
        [Button(f"{h.quarter} · {turn.tr.format_money(h.closing_fen)}", f"rv:v:{h.id}")] for h in view.history
    ]
    turn.say(turn.t("Published quarters:"), rows)


def _choose_line(turn: Turn, disclosure_id: int) -> None:
    p = revenue.preview(turn.ctx, disclosure_id)
    # Reading it as an owner checks that the person may, and that it is published.
    revenue_reading.owner_view(turn.ctx, turn.person_id, p.stored.estate_id, disclosure_id=disclosure_id)
    rows = [
        [Button(f"{rt.item_label(turn.tr, x.item)} · {turn.tr.format_money(x.amount_fen)}", f"rv:ql:{x.id}")]
        for x in p.stored.lines
    ]
    turn.say(turn.t("Which line do you question?"), rows)


def on_question(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write your question."))
        return
    line_id = int(str(turn.state.data["line_id"]))
    try:
        ticket = revenue_reading.question_line(
            turn.ctx, turn.person_id, line_id, turn.inc.text, Privacy.GOVERNMENT
        )
    except UserError as exc:
        turn.say(_explain(turn, exc))
        return
    turn.clear_state()
    turn.say(
        turn.t(
            "✅ Your question is ticket {number}. The project manager must answer it; follow it with /my.",
            number=ticket.number,
        )
    )


# -- officials -------------------------------------------------------------------------------------


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
            quarter=str(view.quarter),
            date=turn.tr.format_date(view.due_on),
        ),
        "",
    ]
    for s in view.estates:
        when = f" · {turn.tr.format_date(s.published_at)}" if s.published_at else ""
        mark = " ⚠️" if s.marked else ""
        lines.append(
            f"{icon[s.status.value]} {s.estate.name} ({s.company_name}): "
            f"{turn.t(rt.TIMELINESS[s.status.value])}{when}{mark}"
        )
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
    for i, (name, rank) in enumerate(view.estate_ranking, start=1):
        lines.append(f"{i}. {name}: {rank.on_time}/{rank.due}")
    if view.company_ranking:
        lines += ["", "🏢 " + turn.t("Companies:")]
        for i, (name, rank) in enumerate(view.company_ranking, start=1):
            lines.append(f"{i}. {name}: {rank.on_time}/{rank.due}")
    turn.say("\n".join(lines))


BUTTONS = {"rv": on_button}
FLOWS = {FLOW: on_flow}


def help_lines(turn: Turn, actor: Actor) -> list[str]:
    """The /help lines about disclosures, for the roles the person has."""
    lines = []
    if any(r.estate_id for r in actor.roles if r.kind is not RoleKind.OFFICIAL):
        lines.append(turn.t("/revenue – the public revenue of my estate, quarter by quarter"))
    if actor.has(RoleKind.MANAGER):
        lines.append(turn.t("/revenue_template – the disclosure template; send it back filled in to publish"))
    if actor.office_ids():
        lines.append(turn.t("/disclosure – who in my area published public revenue on time"))
    return lines
