"""The disclosure deadline sweep (自动预警、自动通报): reminders to the project manager before the due
date, and when it passes unpublished, a warning to the community and the street office and a mark on
the estate. Working days only; each message once (stored bits and unique notification keys)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from handlers.domain.disclosures import DisclosureDeadline
from handlers.domain.notifications import NoticeKind
from handlers.domain.organisations import Estate, OfficeKind
from handlers.domain.people import RoleKind
from handlers.ports import UnitOfWork
from handlers.rules import revenue as rules
from handlers.rules.worktime import WorkCalendar
from handlers.services.access import office_chain
from handlers.services.context import Context
from handlers.services.notify import queue

log = logging.getLogger("wuye.revenue")


@dataclass
class DeadlineReport:
    reminded: list[tuple[str, str, int]] = field(default_factory=list)  # (estate key, quarter, days before)
    missed: list[tuple[str, str]] = field(default_factory=list)
    failed: int = 0


def working_days_before(calendar: WorkCalendar, due: date, n: int) -> date:
    """The n-th working day before `due` (n ≥ 1)."""
    day, found = due, 0
    for _ in range(366):
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            found += 1
            if found == n:
                return day
    return day


def sweep_deadlines(
    ctx: Context,
    kind: rules.DisclosureKind = rules.DisclosureKind.REVENUE,
    disclosure_rules: rules.DisclosureRules = rules.DEFAULT_RULES,
) -> DeadlineReport:
    """One pass over every estate for the quarter that ended last; each estate in its own transaction."""
    report = DeadlineReport()
    now = ctx.clock.now()
    today = now.astimezone(ctx.tz).date()
    with ctx.uow() as uow:
        if not ctx.calendar(uow).is_working_day(today):
            return report  # nothing on weekends and holidays: the next working day catches up
        estate_ids = [e.id or 0 for e in uow.estates.all()]
    quarter = rules.Quarter.containing(today).previous()
    for estate_id in estate_ids:
        try:
            _one(ctx, estate_id, kind, quarter, now, today, disclosure_rules, report)
        except Exception:
            report.failed += 1
            log.exception("disclosure deadline step failed for estate %s", estate_id)
    return report


def _one(
    ctx: Context,
    estate_id: int,
    kind: rules.DisclosureKind,
    quarter: rules.Quarter,
    now: datetime,
    today: date,
    disclosure_rules: rules.DisclosureRules,
    report: DeadlineReport,
) -> None:
    with ctx.uow() as uow:
        estate = uow.estates.get(estate_id)
        if estate is None:
            return
        if estate.created_at is not None and quarter.last_day < estate.created_at.astimezone(ctx.tz).date():
            return  # the quarter ended before the estate joined: its manager is not asked for it
        due = disclosure_rules.due_date(quarter)
        stored = uow.disclosures.deadline(estate_id, kind.value, str(quarter))
        deadline = stored or DisclosureDeadline(estate_id, kind.value, str(quarter), due)
        before = (deadline.reminded, deadline.missed_at, deadline.published_at)
        if deadline.published_at is None:
            first = uow.disclosures.first_published([estate_id], kind.value, str(quarter)).get(estate_id)
            deadline.published_at = first
        if deadline.published_at is not None:
            if stored is None or before[2] is None:
                uow.disclosures.put_deadline(deadline)
                uow.commit()
            return
        calendar = ctx.calendar(uow)
        params = {"estate_id": estate_id, "kind": kind.value, "quarter": str(quarter), "due": due.isoformat()}
        if today <= due:
            # The latest reminder that has come due; earlier ones missed (downtime) are not sent late.
            due_now = [
                n
                for n in (*disclosure_rules.remind_days_before, 0)
                if (today >= working_days_before(calendar, due, n) if n else today == due)
            ]
            pending = [n for n in due_now if not deadline.reminded & (1 << n)]
            if pending:
                n = min(pending)
                for m in due_now:
                    deadline.reminded |= 1 << m
                for person_id in _managers(uow, estate_id):
                    queue(
                        uow,
                        now,
                        NoticeKind.REVENUE_REMINDER,
                        person_id,
                        tag=_tag(deadline, f"n{n}"),
                        params=params,
                    )
                report.reminded.append((estate.key, str(quarter), n))
        elif deadline.missed_at is None:
            deadline.missed_at = now
            for person_id in _supervisors(uow, estate) + _managers(uow, estate_id):
                queue(
                    uow,
                    now,
                    NoticeKind.REVENUE_MISSED,
                    person_id,
                    tag=_tag(deadline, "missed"),
                    params=params,
                )
            report.missed.append((estate.key, str(quarter)))
        if stored is None or (deadline.reminded, deadline.missed_at, deadline.published_at) != before:
            uow.disclosures.put_deadline(deadline)  # written only when something changed
            uow.commit()


def _tag(d: DisclosureDeadline, what: str) -> str:
    return f"d{d.estate_id}:{d.kind}:{d.quarter}:{what}"


def _managers(uow: UnitOfWork, estate_id: int) -> list[int]:
    return sorted({r.person_id for r in uow.roles.at_estate(estate_id, RoleKind.MANAGER)})


def _supervisors(uow: UnitOfWork, estate: Estate) -> list[int]:
    """Officials of the estate's community and of the street office above it."""
    people: list[int] = []
    for office in office_chain(uow, estate.community_id):
        if office.kind in (OfficeKind.COMMUNITY, OfficeKind.STREET):
            for role in uow.roles.at_office(office.id or 0):
                if role.person_id not in people:
                    people.append(role.person_id)
    return people
