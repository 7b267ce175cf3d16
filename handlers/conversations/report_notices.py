"""The report calendar's messages, in their reader's language: the draft with Confirm and send (to the
officials of the office that owes the report), the file as it went up (to the office above), and who
sent it or that it went automatically (to the office's officials). Files are the ledger versions kept
in the database, sent as stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Send
from handlers.conversations.ledger_sheets import period_label
from handlers.domain.notifications import Notification
from handlers.domain.organisations import Office
from handlers.domain.people import Person
from handlers.ports import Translator, UnitOfWork
from handlers.rules.periods import Period, PeriodKind
from handlers.rules.ranking import Rate
from handlers.services.ledger import LedgerFile, area_scope
from handlers.services.report_calendar import AUTO_SENT, DRAFT, RECEIVED, SENT
from handlers.text import N_

KINDS = frozenset({DRAFT, RECEIVED, AUTO_SENT, SENT})

# Translators: {report} is "monthly ledger (台账)" or "quarterly ledger (台账)", {period} the month or
# quarter (2026年11月, 2026年第三季度), {code} the same as a command takes it (2026-11, 2026Q3)
DRAFT_TEXT = N_(
    "📒 The {report} of {office} for {period} is due to {above} on {due}.\n{figures}\n\n"
    "Check the file above. Confirm and send sends it as it is. To correct it first, build a new version "
    "with /ledger {code} new; this button then offers the new one. If nobody sends it, it goes up "
    "automatically at {when}."
)
DRAFT_TEXT_TOP = N_(
    "📒 The {report} of {office} for {period} is due on {due}; no office above receives it, it is "
    "recorded as sent.\n{figures}\n\nCheck the file above. Confirm and send records it as sent. To "
    "correct it first, build a new version with /ledger {code} new; this button then offers the new "
    "one. If nobody does, it is recorded as sent automatically at {when}."
)
REPORT_NAMES = {
    PeriodKind.MONTH: N_("monthly ledger (台账)"),
    # Translators: after the quarter's name (2026年第三季度台账), so in Chinese the ledger alone
    PeriodKind.QUARTER: N_("quarterly ledger (台账)"),
}


def month_of(tr: Translator, period: str) -> str:
    """The period a report covers in the reader's words: 2026年11月, or 2026年第三季度."""
    return period_label(tr, period)


def report_name(tr: Translator, period: str) -> str:
    """What the report of `period` is called: the monthly ledger, or the quarterly one."""
    name = REPORT_NAMES[
        PeriodKind.QUARTER if Period.parse(period).kind is PeriodKind.QUARTER else PeriodKind.MONTH
    ]
    return tr.gettext(name)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def when(tr: Translator, value: Any) -> str:
    moment = value if isinstance(value, datetime) else _moment(value)
    return tr.format_datetime(moment) if moment is not None else "—"


def _office(uow: UnitOfWork, value: Any) -> Office | None:
    return uow.offices.get(int(value)) if isinstance(value, int) else None


def _rate(tr: Translator, pair: Any, minimum: int) -> str:
    hits, cases = (int(x) for x in pair) if isinstance(pair, list) and len(pair) == 2 else (0, 0)
    rate = Rate(hits, cases, minimum)
    if not rate.cases:
        return "—"
    if not rate.ranked:
        return f"{rate.hits}/{rate.cases}"
    return tr.gettext("{percent}% ({hits}/{cases})").format(
        percent=rate.percent, hits=rate.hits, cases=rate.cases
    )


def figures_line(tr: Translator, p: dict[str, Any]) -> str:
    minimum = int(p.get("min_sample") or 1)
    return tr.gettext(
        "Received {received} · responded in time {responded} · resolved on time {resolved} · "
        "satisfied {satisfied}"
    ).format(
        received=p.get("received", 0),
        responded=_rate(tr, p.get("responded"), minimum),
        resolved=_rate(tr, p.get("resolved"), minimum),
        satisfied=_rate(tr, p.get("satisfied"), minimum),
    )


def _file(uow: UnitOfWork, chat: int, ledger_id: Any, office: Office, caption: str) -> list[Send]:
    """The kept version as stored, or nothing when its files were dropped (PIPL)."""
    version = uow.ledgers.get(int(ledger_id)) if isinstance(ledger_id, int) else None
    scope = area_scope(office)
    if version is None or version.xlsx is None or scope is None:
        return []
    name = LedgerFile(version, scope, fresh=False).filename()
    return [Send(chat, caption, document=version.xlsx, filename=name)]


def draft_sends(uow: UnitOfWork, tr: Translator, chat: int, p: dict[str, Any]) -> list[Send]:
    """The draft: the file, then what it is, its figures, and Confirm and send."""
    office = _office(uow, p.get("office_id"))
    report_id, ledger_id = p.get("report_id"), p.get("ledger_id")
    if office is None or not isinstance(report_id, int) or not isinstance(ledger_id, int):
        return []
    version = uow.ledgers.get(ledger_id)
    above = uow.offices.get(office.parent_id) if office.parent_id else None
    code = str(p.get("period"))
    month = month_of(tr, code)
    caption = tr.gettext("📒 Draft ledger of {office}, {month}: version {version}, {rows} tickets.").format(
        office=office.name,
        month=month,
        version=version.version if version else "?",
        rows=version.rows if version else 0,
    )
    sends = _file(uow, chat, ledger_id, office, caption)
    if not sends:
        sends = [
            Send(
                chat,
                tr.gettext(
                    "📒 This draft's file is no longer kept (someone it names deleted their data); "
                    "the button offers a new one."
                ),
            )
        ]
    due = date.fromisoformat(str(p.get("due_on")))
    text = tr.gettext(DRAFT_TEXT if above is not None else DRAFT_TEXT_TOP).format(
        report=report_name(tr, code),
        office=office.name,
        period=month,
        above=above.name if above else "",
        due=tr.format_date(due),
        figures=figures_line(tr, p),
        code=code,
        when=when(tr, p.get("send_at")),
    )
    button = Button("✅ " + tr.gettext("Confirm and send"), encode("ru", report_id, ledger_id))
    return [*sends, Send(chat, text, [[button]])]


def received(uow: UnitOfWork, tr: Translator, chat: int, p: dict[str, Any]) -> list[Send]:
    """To the office above: the file as it went up, who sent it (or that it went automatically)."""
    office = _office(uow, p.get("office_id"))
    if office is None:
        return []
    version = uow.ledgers.get(int(p["ledger_id"])) if isinstance(p.get("ledger_id"), int) else None
    by = uow.people.get(int(p["by"])) if isinstance(p.get("by"), int) else None
    code = str(p.get("period"))
    params = {
        "report": report_name(tr, code),
        "office": office.name,
        "period": month_of(tr, code),
        "version": version.version if version else "?",
        "rows": version.rows if version else 0,
        "by": by.display_name if by is not None and by.deleted_at is None else "—",
        "when": when(tr, p.get("sent_at")),
        "code": code,
    }
    if p.get("automatic"):
        caption = tr.gettext(
            "📥 The {report} of {office} for {period} went up automatically on its due day, at {when}: "
            "nobody there had confirmed it. Version {version}, {rows} tickets. /reports {code} shows who "
            "has sent."
        )
    else:
        caption = tr.gettext(
            "📥 {office} sent its {report} for {period}: version {version}, {rows} tickets, sent by {by} at "
            "{when}. /reports {code} shows who has sent."
        )
    text = caption.format(**params)
    sends = _file(uow, chat, p.get("ledger_id"), office, text)
    if sends:
        return sends
    gone = tr.gettext("(The file is no longer kept: someone it names deleted their data.)")
    return [Send(chat, f"{text}\n{gone}")]


def told(uow: UnitOfWork, tr: Translator, chat: int, n: Notification) -> list[Send]:
    """To the office's officials: it went automatically, or a colleague sent it."""
    p = n.params
    office, above = _office(uow, p.get("office_id")), _office(uow, p.get("above_id"))
    if office is None:
        return []
    version = uow.ledgers.get(int(p["ledger_id"])) if isinstance(p.get("ledger_id"), int) else None
    by = uow.people.get(int(p["by"])) if isinstance(p.get("by"), int) else None
    params = {
        "report": report_name(tr, str(p.get("period"))),
        "office": office.name,
        "above": above.name if above else "",
        "period": month_of(tr, str(p.get("period"))),
        "version": version.version if version else "?",
        "by": by.display_name if by is not None and by.deleted_at is None else "—",
        "when": when(tr, p.get("sent_at")),
    }
    if n.kind == AUTO_SENT and above is not None:
        message = N_(
            "📒 Nobody confirmed the {report} of {office} for {period} by its due day, so version "
            "{version} went up automatically to {above} at {when}, marked as sent automatically."
        )
    elif n.kind == AUTO_SENT:
        message = N_(
            "📒 Nobody confirmed the {report} of {office} for {period} by its due day, so version "
            "{version} was recorded as sent automatically at {when}."
        )
    elif above is not None:
        message = N_(
            "📒 {by} sent the {report} of {office} for {period} (version {version}) to {above} at {when}. "
            "Nothing more to do."
        )
    else:
        message = N_(
            "📒 {by} recorded the {report} of {office} for {period} (version {version}) as sent at {when}. "
            "Nothing more to do."
        )
    return [Send(chat, tr.gettext(message).format(**params))]


def render(uow: UnitOfWork, tr: Translator, n: Notification, person: Person) -> list[Send]:
    chat = n.chat_id or person.telegram_id or 0
    if n.kind == DRAFT:
        record = uow.reports.get(int(n.params.get("report_id") or 0))
        if record is None or record.sent_at is not None:
            return []  # sent meanwhile: nothing to confirm (the sender's notice says so)
        return draft_sends(uow, tr, chat, n.params)
    if n.kind == RECEIVED:
        return received(uow, tr, chat, n.params)
    return told(uow, tr, chat, n)
