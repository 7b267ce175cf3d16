"""The report calendar in the chat: Confirm and send on a draft, and /reports [2026-11 | 2026Q3], who of
the reader's offices and the offices below them has sent the month's (or the quarter's) ledger (台账)
and who has not.

draft (report.draft) ─ Confirm and send (ru) ─▶ sent upward; the pressed message says so
                                             ├▶ sent already: by whom, when (nothing changed)
                                             ├▶ a newer version since: that one, with its own button
                                             └▶ not of the office: refused (nothing changed)
/reports [MONTH|QUARTER] ─▶ each office: sent (by whom, when), sent automatically, not yet (due), not sent
"""

from __future__ import annotations

from datetime import date, datetime

from handlers.conversations.errors import explain
from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer
from handlers.conversations.report_notices import draft_sends, month_of, report_name, when
from handlers.conversations.turn import Turn
from handlers.rules.periods import Period, PeriodKind
from handlers.services import report_calendar as service
from handlers.services.errors import UserError
from handlers.services.report_status import ReportLine, Standing, reports_period, reports_view
from handlers.text import N_

MESSAGES: dict[str, str] = {
    "report_unknown": N_("That report is not known."),
    "report_not_yours": N_("Only officials of {office} can send its report. Nothing was sent."),
    "reports_period": N_(
        "“{text}” is not a month or a quarter. Write it like this: /reports 2026-11 or /reports 2026Q3."
    ),
    "reports_period_open": N_("{month} is not over yet: its reports fall due in the month after it."),
}


def _sent_already(turn: Turn, error: UserError) -> str:
    at = error.params.get("at")
    moment = when(turn.tr, at) if isinstance(at, datetime) else "—"
    if error.params.get("automatic"):
        return turn.t("Already sent automatically at {when}. Nothing changed.", when=moment)
    if error.params.get("by"):
        return turn.t("Already sent by {by} at {when}. Nothing changed.", by=error.params["by"], when=moment)
    return turn.t("Already sent at {when}. Nothing changed.", when=moment)


def explain_report(turn: Turn, error: UserError) -> str:
    if error.code == "report_sent_already":
        return _sent_already(turn, error)
    template = MESSAGES.get(error.code)
    if template is None:
        return explain(turn.tr, error)
    params = dict(error.params)
    if isinstance(params.get("month"), str):
        params["month"] = month_of(turn.tr, params["month"])
    return turn.t(template, **params)


# ---- Confirm and send -----------------------------------------------------------------------------------
def confirm(turn: Turn) -> None:
    """ru:<report>:<ledger version>: send the draft's version upward."""
    report_id, ledger_id = turn.arg(0), turn.arg(1)
    try:
        sent = service.confirm_and_send(turn.ctx, turn.person_id, report_id, ledger_id)
    except UserError as exc:
        if exc.code == "report_draft_stale":
            _redraft(turn, report_id)
            return
        turn.toast(explain_report(turn, exc), alert=True)
        return
    record = sent.record
    with turn.ctx.uow() as uow:
        version = uow.ledgers.get(record.ledger_id or 0)
    params = {
        "report": report_name(turn.tr, record.period),
        "office": sent.office.name,
        "period": month_of(turn.tr, record.period),
        "version": version.version if version else "?",
        "when": when(turn.tr, record.sent_at),
    }
    if sent.above is None:
        text = turn.t(
            "✅ Recorded as sent: the {report} of {office} for {period}, version {version}, at {when}.",
            **params,
        )
    elif sent.told:
        text = turn.t(
            "✅ Sent: the {report} of {office} for {period}, version {version}, went to {above} at {when}; "
            "{n} of its officials get the file.",
            above=sent.above.name,
            n=sent.told,
            **params,
        )
    else:
        text = turn.t(
            "✅ Sent: the {report} of {office} for {period}, version {version}, is recorded as sent to "
            "{above} at {when}, but nobody there is set up in the bot yet to receive it: please send them "
            "the file yourself.",
            above=sent.above.name,
            **params,
        )
    turn.toast(turn.t("Sent."))
    turn.edit_pressed(text)


def _redraft(turn: Turn, report_id: int) -> None:
    """The draft pressed is not the version kept now (a correction was built, or its file dropped):
    the current one, with a button of its own; nothing is sent."""
    documents = turn.ctx.documents
    if documents is None:
        turn.toast(turn.t("Files cannot be made here."), alert=True)
        return
    words = turn.translators(LEDGER_LANG) if turn.translators is not None else turn.tr
    try:
        current = service.current_draft(turn.ctx, turn.person_id, report_id, drawer(documents, words))
    except UserError as exc:
        turn.toast(explain_report(turn, exc), alert=True)
        return
    turn.toast()
    turn.say(
        turn.t(
            "This draft is not the version kept now (a corrected version was built, or its file was "
            "dropped), so nothing was sent. Here is version {version}: Confirm and send sends this one.",
            version=current.version.version,
        )
    )
    with turn.ctx.uow() as uow:
        for part in draft_sends(uow, turn.tr, turn.inc.chat_id, current.params):
            turn.out.append(part)


# ---- who has sent ---------------------------------------------------------------------------------------
ICONS = {Standing.SENT: "✅", Standing.AUTOMATIC: "🤖", Standing.WAITING: "⏳", Standing.OVERDUE: "🔴"}


def _line(turn: Turn, line: ReportLine) -> str:
    due = turn.tr.format_date(line.due_on)
    moment = turn.tr.format_datetime(line.sent_at) if line.sent_at else "—"
    if line.standing is Standing.SENT and line.sent_by:
        status = turn.t("sent by {by} at {when}", by=line.sent_by, when=moment)
    elif line.standing is Standing.SENT:
        status = turn.t("sent at {when}", when=moment)
    elif line.standing is Standing.AUTOMATIC:
        status = turn.t("sent automatically at {when}", when=moment)
    elif line.standing is Standing.WAITING:
        status = turn.t("not yet (due {date})", date=due)
    else:
        status = turn.t("not sent (was due {date})", date=due)
    # Translators: one office's line in /reports: "✅ 嘉莲街道办事处：sent by 吴科长 at …"
    return f"{ICONS[line.standing]} " + turn.t("{office}: {status}", office=line.office.name, status=status)


def command(turn: Turn) -> None:
    """/reports [2026-11 | 2026Q3]"""
    today: date = turn.ctx.clock.now().astimezone(turn.ctx.tz).date()
    try:
        period: Period = reports_period(turn.inc.text, today)
        view = reports_view(turn.ctx, turn.person_id, period)
    except UserError as exc:
        turn.say(explain_report(turn, exc))
        return
    month = month_of(turn.tr, str(period))
    if not view.lines:
        turn.say(
            turn.t(
                "No report of {month} is on the calendar for your offices or the offices below them.",
                month=month,
            )
        )
        return
    heading = (
        N_("📋 Quarterly ledgers (台账) of {month}: {sent} of {total} sent")
        if period.kind is PeriodKind.QUARTER
        else N_("📋 Monthly ledgers (台账) of {month}: {sent} of {total} sent")
    )
    head = turn.t(heading, month=month, sent=view.sent, total=len(view.lines))
    turn.say("\n".join([head, "", *(_line(turn, line) for line in view.lines)]))


BUTTONS = {"ru": confirm}
