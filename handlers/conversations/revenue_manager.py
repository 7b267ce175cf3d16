"""The project manager publishes public revenue (公共收益公示): the template to fill in, the filled file
sent back, its preview, and publishing it (a correction with the reason owners will read) or not."""

from __future__ import annotations

from handlers.conversations import revenue_text as rt
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.revenue_errors import explain_problem
from handlers.conversations.turn import Turn
from handlers.rules import revenue as rules
from handlers.services import revenue
from handlers.services.errors import UserError
from handlers.services.revenue_import import MAX_FILE_BYTES, FileProblem, RevenueFileError


def template(turn: Turn) -> None:
    """/revenue_template: the XLSX to fill in, items named in the manager's language."""
    documents = turn.ctx.documents
    if documents is None:
        turn.say(turn.t("Files cannot be made here."))
        return
    if not revenue.managed_estates(turn.ctx, turn.person_id):
        turn.say(not_a_manager(turn))
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


def not_a_manager(turn: Turn) -> str:
    return turn.t(
        "Only the estate's project manager publishes the public-revenue disclosure, by filling in the "
        "template and sending it here. Owners read it with /revenue and can question any line there."
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
            explain_problem(
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
    if inc.sheet is None and (documents is None or inc.fetch is None):
        turn.say(turn.t("I cannot read files here."))
        return
    expected = None
    for word in caption.split():
        try:
            expected = rules.Quarter.parse(word)
        except ValueError:
            continue
    try:
        if inc.sheet is not None:  # read already, off the conversation path, before the turn began
            grid = inc.sheet.rows()
        else:
            assert documents is not None and inc.fetch is not None
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
        turn.say(explain_problem(turn, exc))
        return
    turn.clear_state()
    show_preview(turn, preview)


def show_preview(turn: Turn, p: revenue.Preview) -> None:
    d = p.stored
    lines = [
        "📝 " + turn.t("Preview (not published yet)"),
        rt.title(turn.tr, d.kind, p.estate.name, d.quarter) + (f" · r{p.revision}" if p.revision > 1 else ""),
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
            Button("📢 " + turn.t("Publish"), encode("rv", "pub", d.id)),
            Button("🗑 " + turn.t("Discard"), encode("rv", "dis", d.id)),
        ]
    ]
    turn.say("\n".join(lines), buttons)


def publish_draft(turn: Turn, disclosure_id: int, reason: str | None) -> None:
    done = revenue.publish(turn.ctx, turn.person_id, disclosure_id, reason)
    timing = turn.t("on time") if done.on_time else turn.t("late")
    turn.edit_pressed(
        turn.t(
            "📢 Published ({timing}): {quarter}, revision {revision}. {count} owners are being told.",
            timing=timing,
            quarter=rt.quarter_label(turn.tr, done.disclosure.quarter),
            revision=done.disclosure.revision,
            count=done.notified,
        )
    )


def publish_with_reason(turn: Turn, disclosure_id: int) -> bool:
    """The reason for a correction written: published with it (True), or why not said (False)."""
    try:
        publish_draft(turn, disclosure_id, turn.inc.text)
    except UserError as exc:
        turn.say(explain_problem(turn, exc))
        return False
    return True
