"""The report calendar (README "The report calendar"): each office the setup file's `reports:` names
sends its ledger (台账) upward by the due day. Three working days before, its officials get the draft
with Confirm and send; pressing it sends that kept version to the office above; what is still unsent at
the office's closing time on the due day goes up automatically, marked so.

What is due is worked out from the calendar and the stored records, never from a job store. Each
office's report of a period is one `due_report` row; its draft and its sending are claimed with
conditional updates in the transaction that queues the messages (handlers/services/notify.py), so a
restart, a second run or a second instance drafts and sends each once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from handlers.domain.ledgers import DueReport, LedgerVersion
from handlers.domain.notifications import NoticeKind
from handlers.domain.organisations import Office
from handlers.domain.people import RoleKind
from handlers.ports import UnitOfWork
from handlers.rules import report_calendar as rules
from handlers.rules.figures import Figures
from handlers.rules.periods import Period, PeriodKind
from handlers.rules.report_calendar import Cadence, Cycle, ReportKind, Schedule, due_cycles
from handlers.services import ledger as ledgers
from handlers.services.access import load_actor
from handlers.services.context import Context
from handlers.services.errors import Conflict, NotAllowed, NotFound, UserError
from handlers.services.figures import figures_for
from handlers.services.ledger import Draw, LedgerScope, area_scope
from handlers.services.notify import queue
from handlers.services.revenue_oversight import area_estates
from handlers.services.settings import report_calendar

log = logging.getLogger("wuye.reports")

DRAFT, RECEIVED, AUTO_SENT, SENT = (
    NoticeKind.REPORT_DRAFT,
    NoticeKind.REPORT_RECEIVED,
    NoticeKind.REPORT_AUTO_SENT,
    NoticeKind.REPORT_SENT,
)


@dataclass
class CalendarReport:
    drafted: list[tuple[int, str]] = field(default_factory=list)  # (office id, period)
    sent: list[tuple[int, str]] = field(default_factory=list)  # sent automatically
    failed: int = 0


@dataclass(frozen=True)
class Draft:
    """What an office's officials are asked to confirm: the report and the kept ledger version."""

    record: DueReport
    office: Office
    version: LedgerVersion
    params: dict[str, Any]  # as the draft notice carries them


@dataclass(frozen=True)
class Sent:
    record: DueReport
    office: Office
    above: Office | None  # None: nobody above (the bureau): recorded as sent
    told: int  # officials of the office above who get the file


def officials(uow: UnitOfWork, office_id: int) -> list[int]:
    return sorted({r.person_id for r in uow.roles.at_office(office_id) if r.kind is RoleKind.OFFICIAL})


def office_above(uow: UnitOfWork, office: Office) -> Office | None:
    return uow.offices.get(office.parent_id) if office.parent_id else None


def _scope(office: Office) -> LedgerScope:
    found = area_scope(office)
    if found is None:
        raise UserError("ledger_department")
    return found


def _first_estate(uow: UnitOfWork, office: Office) -> int | None:
    """Whose language an official who chose none reads the office's notices in."""
    estates = area_estates(uow, {office.id or 0})
    return estates[0].id if estates else None


# ---- the sweep ---------------------------------------------------------------------------------------
def _joined_before(uow: UnitOfWork, office: Office, cycle: Cycle, ctx: Context) -> bool:
    """A report of a period that ended before any of the office's estates joined wuye would say
    nothing: a new deployment's first message is not that. (An estate from before joining was recorded
    counts as joined.)"""
    _, end = cycle.period.span(ctx.tz)
    return any(e.created_at is None or e.created_at < end for e in area_estates(uow, {office.id or 0}))


def owed(cycles: list[Cycle], records: dict[str, DueReport], since: datetime | None) -> list[Cycle]:
    """Of a line's `cycles` (newest first) and an office's records of their periods, the cycles it may
    still owe, oldest first. When the line's start is known: every one due since (a report due before
    its line existed is not owed). Otherwise: those after the newest report the office sent (the bot ran
    until then); with none sent, back to its oldest record; with no record at all, the current one only
    (a calendar older than its start being kept begins there, not with a year's backlog)."""
    if since is not None:
        return [c for c in cycles if c.send_at >= since][::-1]
    if not records:
        return cycles[:1]
    found: list[Cycle] = []
    for c in cycles:
        record = records.get(str(c.period))
        if record is not None and record.sent_at is not None:
            break
        found.append(c)
    else:
        periods = [str(c.period) for c in cycles]
        oldest = max(periods.index(p) for p in records if p in periods)
        found = found[: oldest + 1]
    return found[::-1]


def sweep_reports(ctx: Context, draw: Draw | None) -> CalendarReport:
    """Draft, or send automatically, every report due now that is not yet, oldest first (a bot that was
    down across several due days sends each missed one); each in transactions of its own. `draw`: how a
    ledger's files are written (None: files cannot be made, nothing is done)."""
    report = CalendarReport()
    now = ctx.clock.now()
    todo: list[tuple[str, Office, Cycle]] = []
    with ctx.uow() as uow:
        calendar = ctx.calendar(uow)
        offices = uow.offices.all()
        for schedule in report_calendar(uow):
            cycles = [c for c in due_cycles(calendar, schedule, now) if now >= c.draft_at]
            mine = [o for o in offices if o.kind.value == schedule.office_kind and o.id is not None]
            if not cycles or not mine:
                continue
            kept = uow.reports.of_periods(
                [o.id or 0 for o in mine], schedule.report.value, [str(c.period) for c in cycles]
            )
            for office in mine:
                records = {r.period: r for r in kept if r.office_id == office.id}
                for cycle in owed(cycles, records, schedule.since):
                    record = records.get(str(cycle.period))
                    if record is not None and record.sent_at is not None:
                        continue
                    action = "send" if now >= cycle.send_at else "draft"
                    if action == "draft" and record is not None and record.drafted_at is not None:
                        continue  # drafted: waiting for a press, or the due day
                    if _joined_before(uow, office, cycle, ctx):
                        todo.append((action, office, cycle))
    todo.sort(key=lambda t: (t[2].send_at, t[2].period.first, t[1].id or 0))
    if todo and draw is None:
        log.warning("%d report(s) due, but files cannot be made here", len(todo))
        return report
    assert draw is not None or not todo
    for action, office, cycle in todo:
        try:
            assert draw is not None
            if action == "send" and send_automatically(ctx, office, cycle, draw):
                report.sent.append((office.id or 0, str(cycle.period)))
            elif action == "draft" and draft(ctx, office, cycle, draw):
                report.drafted.append((office.id or 0, str(cycle.period)))
        except Exception:
            report.failed += 1
            log.exception("report %s of office %s for %s failed", action, office.key, cycle.period)
    return report


def _record(office: Office, cycle: Cycle) -> DueReport:
    return DueReport(office.id or 0, cycle.schedule.report.value, str(cycle.period), cycle.due_on)


def summary(f: Figures) -> dict[str, Any]:
    """The figures a draft's line shows: received, then hits and cases of the three rates."""
    return {
        "received": f.received,
        "responded": [f.responded_in_time.hits, f.responded_in_time.cases],
        "resolved": [f.resolved_on_time.hits, f.resolved_on_time.cases],
        "satisfied": [f.satisfaction.hits, f.satisfaction.cases],
        "min_sample": f.resolved_on_time.min_sample,
    }


def _draft_params(
    uow: UnitOfWork, record: DueReport, office: Office, version: LedgerVersion, cycle: Cycle, f: Figures
) -> dict[str, Any]:
    return {
        "report_id": record.id,
        "ledger_id": version.id,
        "office_id": office.id,
        "period": record.period,
        "due_on": cycle.due_on.isoformat(),
        "send_at": cycle.send_at.isoformat(),
        "estate_id": _first_estate(uow, office),
        **summary(f),
    }


def draft(ctx: Context, office: Office, cycle: Cycle, draw: Draw) -> bool:
    """The office's ledger of the period (the kept version, or version 1 built now) to each of its
    officials, with Confirm and send; False when the draft went out already (or the report did)."""
    scope = _scope(office)
    kept = ledgers.ledger(ctx, scope, cycle.period, draw, None)
    figures = figures_for(ctx, scope.scope, cycle.period)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = uow.reports.open(_record(office, cycle))
        params = _draft_params(uow, record, office, kept.version, cycle, figures)
        if not uow.reports.claim_draft(record.id or 0, now):
            return False
        for person_id in officials(uow, office.id or 0):
            queue(uow, now, DRAFT, person_id, tag=record.id, params=params)
        uow.commit()
    return True


def _deliver(
    uow: UnitOfWork, now: datetime, record: DueReport, office: Office, version: LedgerVersion
) -> tuple[Office | None, int]:
    """The kept version to every official of the office above (none above: only recorded)."""
    above = office_above(uow, office)
    params = {
        "report_id": record.id,
        "ledger_id": version.id,
        "office_id": office.id,
        "period": record.period,
        "automatic": record.automatic,
        "by": record.sent_by,
        "sent_at": now.isoformat(),
        "estate_id": _first_estate(uow, office),
    }
    told = 0
    for person_id in officials(uow, above.id or 0) if above is not None else []:
        told += queue(uow, now, RECEIVED, person_id, tag=record.id, params=params)
    return above, told


def send_automatically(ctx: Context, office: Office, cycle: Cycle, draw: Draw) -> bool:
    """Nobody confirmed by the due day's closing time: the latest kept version (built now when there is
    none) goes up, marked as sent automatically, and the office's officials are told; False when the
    report was sent already."""
    kept = ledgers.ledger(ctx, _scope(office), cycle.period, draw, None)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = uow.reports.open(_record(office, cycle))
        if not uow.reports.claim_sent(record.id or 0, now, None, True, kept.version.id):
            return False
        record.sent_at, record.automatic, record.ledger_id = now, True, kept.version.id
        above, _ = _deliver(uow, now, record, office, kept.version)
        params = {
            "report_id": record.id,
            "ledger_id": kept.version.id,
            "office_id": office.id,
            "above_id": above.id if above else None,
            "period": record.period,
            "sent_at": now.isoformat(),
            "estate_id": _first_estate(uow, office),
        }
        for person_id in officials(uow, office.id or 0):
            queue(uow, now, AUTO_SENT, person_id, tag=record.id, params=params)
        uow.commit()
    return True


# ---- an official confirms ------------------------------------------------------------------------------
def _sent_already(uow: UnitOfWork, record: DueReport) -> Conflict:
    by = uow.people.get(record.sent_by) if record.sent_by else None
    return Conflict(
        "report_sent_already",
        by=by.display_name if by is not None and by.deleted_at is None else None,
        at=record.sent_at,
        automatic=record.automatic,
    )


def _mine(uow: UnitOfWork, person_id: int, report_id: int) -> tuple[DueReport, Office]:
    """The report, if the person is an official of the office that owes it."""
    record = uow.reports.get(report_id)
    office = uow.offices.get(record.office_id) if record is not None else None
    if record is None or office is None:
        raise NotFound("report_unknown")
    if record.office_id not in load_actor(uow, person_id).office_ids():
        raise NotAllowed("report_not_yours", office=office.name)
    return record, office


def confirm_and_send(ctx: Context, person_id: int, report_id: int, ledger_id: int) -> Sent:
    """An official of the office sends the draft's version upward. Refused, changing nothing, when the
    report went already (Conflict "report_sent_already": by whom, when), when a newer version was built
    since the draft or its files were dropped ("report_draft_stale": `current_draft` offers the newer),
    or when the presser is not of the office."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record, office = _mine(uow, person_id, report_id)
        if record.sent_at is not None:
            raise _sent_already(uow, record)
        scope = _scope(office)
        latest = uow.ledgers.latest(scope.scope.kind.value, scope.scope.id, record.period)
        if latest is None or latest.id != ledger_id or latest.erased:
            raise UserError("report_draft_stale")
        if not uow.reports.claim_sent(record.id or 0, now, person_id, False, latest.id):
            uow.rollback()
            again = uow.reports.get(report_id)
            assert again is not None
            raise _sent_already(uow, again)
        record.sent_at, record.sent_by, record.ledger_id = now, person_id, latest.id
        above, told = _deliver(uow, now, record, office, latest)
        params = {
            "report_id": record.id,
            "ledger_id": latest.id,
            "office_id": office.id,
            "above_id": above.id if above else None,
            "period": record.period,
            "by": person_id,
            "sent_at": now.isoformat(),
            "estate_id": _first_estate(uow, office),
        }
        for colleague in officials(uow, office.id or 0):
            if colleague != person_id:
                queue(uow, now, SENT, colleague, tag=record.id, params=params)
        uow.commit()
    return Sent(record, office, above, told)


def current_draft(ctx: Context, person_id: int, report_id: int, draw: Draw) -> Draft:
    """The draft as it stands now, for an official who pressed an outdated one: the latest kept version
    (built now when its files were dropped). Conflict when the report went already."""
    with ctx.uow() as uow:
        record, office = _mine(uow, person_id, report_id)
        if record.sent_at is not None:
            raise _sent_already(uow, record)
        office_kind, period = office.kind.value, Period.parse(record.period)
        cadence = Cadence.QUARTER if period.kind is PeriodKind.QUARTER else Cadence.MONTH
        schedule = next(
            (s for s in report_calendar(uow) if s.line == (office_kind, ReportKind(record.report), cadence)),
            Schedule(
                office_kind, ReportKind(record.report), 1, cadence
            ),  # off the calendar since: as recorded
        )
        calendar = ctx.calendar(uow)
    scope = _scope(office)
    kept = ledgers.ledger(ctx, scope, period, draw, person_id)
    figures = figures_for(ctx, scope.scope, period)
    found = rules.cycle(calendar, schedule, period)
    found = replace(found, due_on=record.due_on)  # the day it was drafted for, whatever the file says now
    with ctx.uow() as uow:
        return Draft(
            record, office, kept.version, _draft_params(uow, record, office, kept.version, found, figures)
        )
