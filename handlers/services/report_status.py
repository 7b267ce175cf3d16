"""Who has sent their report and who has not (like /disclosure for public revenue): for an official,
their own offices' reports of a period and those of the offices right below them that the calendar
says owe one; each sent (by whom, when), sent automatically, not yet (due when) or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from handlers.domain.ledgers import DueReport
from handlers.domain.organisations import Office
from handlers.rules.periods import Period
from handlers.rules.report_calendar import Cadence, Cycle, ReportKind, cycle, previous_period
from handlers.services.access import load_actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.settings import report_calendar


class Standing(StrEnum):
    SENT = "sent"
    AUTOMATIC = "automatic"  # sent by the calendar on the due day
    WAITING = "waiting"  # not yet; the due day has not passed
    OVERDUE = "overdue"  # the due day passed and nothing went (the bot was not running)


@dataclass(frozen=True)
class ReportLine:
    office: Office
    own: bool  # one of the reader's own offices (else an office below one)
    report: ReportKind
    due_on: date
    standing: Standing
    sent_at: datetime | None = None
    sent_by: str | None = None  # the official's name (None: automatically, or their data deleted)


@dataclass(frozen=True)
class ReportsView:
    period: Period
    lines: list[ReportLine]

    @property
    def sent(self) -> int:
        return sum(1 for line in self.lines if line.standing in (Standing.SENT, Standing.AUTOMATIC))


def reports_period(text: str, today: date) -> Period:
    """A month ('2026-11', '2026年11月') or a quarter ('2026Q3', '2026年第三季度') that is over, or the last
    month when `text` is empty."""
    if not text.strip():
        return previous_period(Cadence.MONTH, today)
    try:
        period = Period.parse(text)
    except ValueError:
        raise UserError("reports_period", text=text.strip()[:20]) from None
    if period.kind not in (Cadence.MONTH.value, Cadence.QUARTER.value):
        raise UserError("reports_period", text=text.strip()[:20])
    if period.last >= today:
        raise UserError("reports_period_open", month=str(period), ready=period.last + timedelta(days=1))
    return period


def _standing(record: DueReport | None, due: Cycle, now: datetime) -> Standing:
    if record is not None and record.sent_at is not None:
        return Standing.AUTOMATIC if record.automatic else Standing.SENT
    return Standing.OVERDUE if now >= due.send_at else Standing.WAITING


def reports_view(ctx: Context, person_id: int, period: Period) -> ReportsView:
    """The reports of `period` (a month's, or a quarter's) the reader's offices and the offices right
    below them owe."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        mine = load_actor(uow, person_id).office_ids()
        if not mine:
            raise NotAllowed("officials_only")
        own = sorted((o for o in (uow.offices.get(i) for i in mine) if o is not None), key=lambda o: o.name)
        below = sorted(
            (c for o in own for c in uow.offices.children(o.id or 0) if c.id not in mine),
            key=lambda o: (o.parent_id or 0, o.name),
        )
        calendar = ctx.calendar(uow)
        schedules = [s for s in report_calendar(uow) if s.cadence.value == period.kind]
        records = {
            (r.office_id, r.report): r
            for r in uow.reports.of_offices([o.id or 0 for o in own + below], str(period))
        }
        lines: list[ReportLine] = []
        for office, is_own in [(o, True) for o in own] + [(o, False) for o in below]:
            for schedule in schedules:
                if schedule.office_kind != office.kind.value:
                    continue
                record = records.get((office.id or 0, schedule.report.value))
                due = cycle(calendar, schedule, period)
                if record is None and schedule.since is not None and due.send_at < schedule.since:
                    continue  # due before its line was on the calendar: not owed
                by = uow.people.get(record.sent_by) if record is not None and record.sent_by else None
                lines.append(
                    ReportLine(
                        office,
                        is_own,
                        schedule.report,
                        record.due_on if record is not None else due.due_on,
                        _standing(record, due, now),
                        record.sent_at if record is not None else None,
                        by.display_name if by is not None and by.deleted_at is None else None,
                    )
                )
        return ReportsView(period, lines)
