"""The ledger's three sheets (a month's or a quarter's) in words: 问题台账 (a row per ticket), 成果指标
(the figures) and 典型案例 (the typical cases). Written in the filing language (LEDGER_LANG: officials
file in 简体中文), whoever asks, so every reader of a kept version gets the same bytes; times in the
estates' zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from decimal import Decimal

from handlers.conversations import labels
from handlers.conversations.revenue_text import quarter_label
from handlers.ports import Cell, DocumentTools, Sheet, Translator, WorkbookFiles
from handlers.rules.figures import Figures
from handlers.rules.lifecycle import Event, Status
from handlers.rules.periods import Period, PeriodKind
from handlers.rules.ranking import Rate
from handlers.services.ledger import Draw, LedgerData
from handlers.services.ledger_rows import Hidden, LedgerEntry
from handlers.text import N_, Lang

LEDGER_LANG: Lang = "zh_Hans"

# 问题台账: (header, width in characters)
PROBLEM_COLUMNS: tuple[tuple[str, int], ...] = (
    (N_("Number"), 18),
    (N_("Estate"), 14),
    (N_("Property company"), 22),
    (N_("Community"), 14),
    (N_("Street"), 14),
    (N_("Category"), 18),
    (N_("Urgency"), 8),
    (N_("Problem"), 40),
    (N_("Place"), 16),
    (N_("Reported by"), 18),
    (N_("Reported at"), 17),
    (N_("Handled by"), 16),
    (N_("Acknowledge by"), 17),
    (N_("Acknowledged at"), 17),
    (N_("Deadline"), 17),
    (N_("Resolved at"), 17),
    (N_("Extension"), 24),
    (N_("Status"), 16),
    (N_("How it closed"), 16),
    (N_("Closed at"), 17),
    (N_("Highest rung reached"), 14),
    (N_("Listed supervision"), 10),
    (N_("Times reopened"), 8),
    (N_("Rating (stars)"), 8),
)
FIGURE_COLUMNS: tuple[tuple[str, int], ...] = (
    (N_("Scope"), 22),
    (N_("Received"), 8),
    (N_("Responded in time"), 20),
    (N_("Resolved on time"), 20),
    (N_("Closed as fixed by the owner"), 12),
    (N_("Closed unconfirmed"), 12),
    (N_("Withdrawn"), 8),
    (N_("Satisfaction (of those rated)"), 20),
    (N_("Overdue now"), 10),
    (N_("Reopened"), 8),
    (N_("Reached listed supervision"), 10),
    (N_("Transferred to a department"), 10),
)
TYPICAL_COLUMNS: tuple[tuple[str, int], ...] = (
    (N_("Number"), 18),
    (N_("Estate"), 14),
    (N_("Basic facts"), 40),
    (N_("How it was handled"), 40),
    (N_("Outcome"), 40),
)
CLOSED_HOW = {
    Status.CLOSED: labels.EVENT[Event.CONFIRM],
    Status.CLOSED_UNCONFIRMED: labels.EVENT[Event.CLOSE_UNCONFIRMED],
    Status.WITHDRAWN: labels.EVENT[Event.WITHDRAW],
}
HIDDEN: dict[Hidden, str] = {
    Hidden.WITHHELD: N_("An owner (name withheld at their request)"),
    Hidden.DELETED: N_("An owner (data deleted)"),
}


def local(when: datetime | None, tz: tzinfo) -> str:
    """A moment as officials write it, in the estates' zone: 2026-11-23 10:00."""
    # isoformat is several times quicker than strftime, and a ledger writes seven moments a row.
    return when.astimezone(tz).isoformat(" ", "minutes")[:16] if when is not None else ""


class Remembered:
    """A translator that looks each text up once: a ledger's rows ask for the same few labels (category,
    status, Yes and No) a hundred thousand times."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self.seen: dict[str, str] = {}

    @property
    def lang(self) -> Lang:
        return self.tr.lang

    def gettext(self, message: str) -> str:
        found = self.seen.get(message)
        if found is None:
            found = self.seen[message] = self.tr.gettext(message)
        return found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    def format_datetime(self, dt: datetime) -> str:
        return self.tr.format_datetime(dt)

    def format_date(self, d: date) -> str:
        return self.tr.format_date(d)

    def format_money(self, fen: int) -> str:
        return self.tr.format_money(fen)

    def format_number(self, n: int | Decimal) -> str:
        return self.tr.format_number(n)


def period_label(tr: Translator, period: Period | str) -> str:
    """A month ("11/2026", 2026年11月) or a quarter ("Q3 2026", 2026年第三季度) in the reader's words."""
    found = period if isinstance(period, Period) else Period.parse(period)
    if found.kind is PeriodKind.QUARTER:
        return quarter_label(tr, str(found))
    # Translators: a month in a ledger's title: 2026年11月
    return tr.gettext("{month}/{year}").format(month=found.first.month, year=found.first.year)


# The lines of a ledger's sheets that name its period, a month's and a quarter's.
EMPTY: dict[PeriodKind, str] = {
    PeriodKind.MONTH: N_("There were no cases this month."),
    PeriodKind.QUARTER: N_("There were no cases this quarter."),
}
NOTE: dict[PeriodKind, str] = {
    PeriodKind.MONTH: N_(
        "As of {when} (times in {zone}): one row per ticket open at any time in the month or "
        "closed in it, each as it stood then."
    ),
    PeriodKind.QUARTER: N_(
        "As of {when} (times in {zone}): one row per ticket open at any time in the quarter or "
        "closed in it, each as it stood then."
    ),
}
NO_TYPICAL: dict[PeriodKind, str] = {
    PeriodKind.MONTH: N_("No ticket was marked as a typical case this month."),
    PeriodKind.QUARTER: N_("No ticket was marked as a typical case this quarter."),
}


def _reporter(tr: Translator, e: LedgerEntry) -> str:
    if e.reporter is None:
        return tr.gettext(HIDDEN[e.reporter_hidden or Hidden.WITHHELD])
    if not e.reporter_unit:
        return e.reporter
    return tr.gettext("{name} ({unit})").format(name=e.reporter, unit=e.reporter_unit)


def _extension(tr: Translator, e: LedgerEntry, tz: tzinfo) -> str:
    parts = []
    if e.extended_until is not None:
        parts.append(tr.gettext("granted until {when}").format(when=local(e.extended_until, tz)))
    if e.extension_requested_until is not None:
        parts.append(tr.gettext("asked until {when}").format(when=local(e.extension_requested_until, tz)))
    return tr.gettext("; ").join(parts)


def problem_row(tr: Translator, e: LedgerEntry, tz: tzinfo) -> list[Cell]:
    closed_how = CLOSED_HOW.get(e.status)
    handler = e.handler or ""
    if e.department and handler:
        handler = tr.gettext("{department} (transferred)").format(department=handler)
    return [
        e.number,
        e.estate,
        e.company,
        e.community,
        e.street,
        labels.label(tr, labels.CATEGORY, e.category),
        labels.label(tr, labels.URGENCY, e.urgency),
        e.description,
        e.location or "",
        _reporter(tr, e),
        local(e.reported_at, tz),
        handler,
        local(e.ack_due_at, tz),
        local(e.acknowledged_at, tz),
        local(e.due_at, tz),
        local(e.resolved_at, tz),
        _extension(tr, e, tz),
        labels.label(tr, labels.STATUS, e.status),
        tr.gettext(closed_how) if closed_how else "",
        local(e.closed_at, tz),
        labels.label(tr, labels.RUNG, e.highest_rung) if e.highest_rung else "",
        tr.gettext("Yes") if e.supervised else tr.gettext("No"),
        e.reopen_count,
        e.rating,
    ]


def rate_text(tr: Translator, rate: Rate) -> str:
    """80% (4/5); over fewer cases than the minimum sample: 1/1, n < 5, not ranked."""
    if rate.ranked:
        return tr.gettext("{percent}% ({hits}/{cases})").format(
            percent=rate.percent, hits=rate.hits, cases=rate.cases
        )
    why = tr.gettext("n < {minimum}, not ranked").format(minimum=rate.min_sample)
    return tr.gettext("{hits}/{cases}, {why}").format(hits=rate.hits, cases=rate.cases, why=why)


def figure_row(tr: Translator, name: str, f: Figures) -> list[Cell]:
    return [
        name,
        f.received,
        rate_text(tr, f.responded_in_time),
        rate_text(tr, f.resolved_on_time),
        f.closed_confirmed,
        f.closed_unconfirmed,
        f.withdrawn,
        rate_text(tr, f.satisfaction),
        f.overdue_now,
        f.reopened,
        f.supervised,
        f.transferred,
    ]


def sheets(tr: Translator, data: LedgerData) -> list[Sheet]:
    tz, month = data.tz, period_label(tr, data.period)
    kind = PeriodKind.QUARTER if data.period.kind is PeriodKind.QUARTER else PeriodKind.MONTH

    def title(sheet: str) -> str:
        return tr.gettext("{scope}: {sheet}, {month} (version {version})").format(
            scope=data.scope.name, sheet=sheet, month=month, version=data.version
        )

    def problems() -> Iterator[list[Cell]]:
        words = Remembered(tr)
        for entry in data.entries:
            yield problem_row(words, entry, tz)

    names = [tr.gettext(n) for n in (N_("Problem ledger"), N_("Results"), N_("Typical cases"))]
    return [
        Sheet(
            names[0],
            title(names[0]),
            [tr.gettext(h) for h, _ in PROBLEM_COLUMNS],
            problems(),
            [w for _, w in PROBLEM_COLUMNS],
            empty=tr.gettext(EMPTY[kind]),
            note=tr.gettext(NOTE[kind]).format(when=local(data.built_at, tz), zone=str(tz)),
        ),
        Sheet(
            names[1],
            title(names[1]),
            [tr.gettext(h) for h, _ in FIGURE_COLUMNS],
            [figure_row(tr, name, f) for name, f in data.figures],
            [w for _, w in FIGURE_COLUMNS],
            note=tr.gettext(
                "The first row is the whole scope, then each estate. A rate over fewer than {minimum} "
                "cases is shown, not ranked; overdue now: as of {when}."
            ).format(minimum=data.min_sample, when=local(data.built_at, tz)),
        ),
        Sheet(
            names[2],
            title(names[2]),
            [tr.gettext(h) for h, _ in TYPICAL_COLUMNS],
            [[c.number, c.estate, c.basic, c.process, c.result] for c in data.typical],
            [w for _, w in TYPICAL_COLUMNS],
            empty=tr.gettext(NO_TYPICAL[kind]),
        ),
    ]


def drawer(documents: DocumentTools, tr: Translator) -> Draw:
    """How a ledger's data becomes its files: these sheets, written by the bot's workbook writer."""

    def draw(data: LedgerData) -> WorkbookFiles:
        return documents.workbook(sheets(tr, data), data.built_at)

    return draw
