"""The digests (README "Digests"): on the first working day of each week, officials of the street
offices and the housing bureau get one message on their area, and project managers one on their
estates (每周调度: new, closed, overdue and newly supervised cases, and the five oldest overdue); on the
first working day of each month, the officials get the bulletin (每月通报: the area's estates and
companies ranked by the previous month's figures).

What is due is worked out from the calendar and the stored outbox, not from a job store: a digest is
queued under a key naming its recipient and its week or month, in the outbox's unique index, so a
restart, a second run or a second instance queues it once (handlers/services/notify.py)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.domain.notifications import NoticeKind
from handlers.domain.organisations import OfficeKind
from handlers.domain.people import RoleKind
from handlers.ports import Activity, ListScope, TicketList, UnitOfWork
from handlers.rules.digests import DigestDue, DigestKind, due_digests
from handlers.rules.figures import Figures, total
from handlers.rules.ranking import Rate, rank
from handlers.services.area_lists import area_estate_ids
from handlers.services.context import Context
from handlers.services.figures import figures_by_estate
from handlers.services.notify import notification_key, queue
from handlers.services.settings import min_sample

log = logging.getLogger("wuye.digests")
OLDEST = 5  # overdue cases named, with a button each, in a weekly digest
SHOWN = 10  # ranked lines of a bulletin: all up to this many, else the best and the last half each
KINDS = {DigestKind.WEEKLY: NoticeKind.DIGEST_WEEKLY, DigestKind.MONTHLY: NoticeKind.DIGEST_MONTHLY}
DIGEST_OFFICES = (OfficeKind.STREET, OfficeKind.BUREAU)


@dataclass
class DigestReport:
    queued: list[tuple[str, int]] = field(default_factory=list)  # (kind, person id)
    failed: int = 0


@dataclass(frozen=True)
class Reader:
    """Who gets a digest and what it covers: an official's area, or a manager's estates."""

    person_id: int
    role: str  # "official" | "manager"
    estate_ids: tuple[int, ...]


def readers(uow: UnitOfWork, kind: DigestKind) -> list[Reader]:
    """Officials of the street offices and the bureau (their offices' estates together, one message);
    for the weekly digest also the project managers (their estates)."""
    offices: dict[int, set[int]] = defaultdict(set)
    for office in uow.offices.all():
        if office.kind in DIGEST_OFFICES and office.id is not None:
            for role in uow.roles.at_office(office.id):
                if role.kind is RoleKind.OFFICIAL:
                    offices[role.person_id].add(office.id)
    found = [Reader(pid, "official", area_estate_ids(uow, ids)) for pid, ids in sorted(offices.items())]
    if kind is DigestKind.WEEKLY:
        estates: dict[int, set[int]] = defaultdict(set)
        for estate in uow.estates.all():
            for role in uow.roles.at_estate(estate.id or 0, RoleKind.MANAGER):
                estates[role.person_id].add(estate.id or 0)
        found += [Reader(pid, "manager", tuple(sorted(ids))) for pid, ids in sorted(estates.items())]
    return [r for r in found if r.estate_ids]


def digest_key(due: DigestDue, reader: Reader) -> str:
    return notification_key(KINDS[due.kind], reader.person_id, tag=f"{due.tag}:{reader.role}")


def sweep_digests(ctx: Context) -> DigestReport:
    """Queue every digest due now that is not queued yet; each reader in a transaction of their own."""
    report = DigestReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        due = due_digests(ctx.calendar(uow), now.astimezone(ctx.tz), ctx.office_hours.opens)
        joined = {e.id: e.created_at for e in uow.estates.all()}
        owed = [
            (d, r)
            for d in due
            for r in readers(uow, d.kind)
            if _covers_a_joined_estate(d, r, joined, ctx) and not uow.notifications.exists(digest_key(d, r))
        ]
    shared: dict[str, Any] = {}  # what all readers of one digest share, read once per run
    for d, reader in owed:
        try:
            with ctx.uow() as uow:
                params = _content(ctx, uow, d, reader, shared)
                kind = KINDS[d.kind]
                if queue(uow, now, kind, reader.person_id, tag=f"{d.tag}:{reader.role}", params=params):
                    report.queued.append((kind, reader.person_id))
                uow.commit()
        except Exception:
            report.failed += 1
            log.exception("digest %s for person %s failed", d.tag, reader.person_id)
    return report


def _covers_a_joined_estate(
    due: DigestDue, reader: Reader, joined: dict[int | None, datetime | None], ctx: Context
) -> bool:
    """A digest of a week or month that ended before every one of the reader's estates joined wuye
    says nothing but zeros: the first thing a new deployment would send is not that. (An estate
    from before joining was recorded counts as joined.)"""
    _, end = due.period.span(ctx.tz)
    return any(joined.get(e) is None or joined[e] < end for e in reader.estate_ids)  # type: ignore[operator]


def _content(
    ctx: Context, uow: UnitOfWork, due: DigestDue, reader: Reader, shared: dict[str, Any]
) -> dict[str, Any]:
    base = {
        "role": reader.role,
        "first": due.period.first.isoformat(),
        "last": due.period.last.isoformat(),
        "estate_id": reader.estate_ids[0],  # whose language a reader who chose none reads
    }
    if due.kind is DigestKind.WEEKLY:
        return base | weekly(ctx, uow, due, reader, shared)
    return base | monthly(ctx, uow, due, reader, shared)


def weekly(
    ctx: Context, uow: UnitOfWork, due: DigestDue, reader: Reader, shared: dict[str, Any]
) -> dict[str, Any]:
    """The counts of the days covered (as the figures count them: README "Supervision figures"), the
    overdue now, and the oldest overdue cases."""
    key = f"activity:{due.tag}"
    if key not in shared:
        start, end = due.period.span(ctx.tz)
        shared[key] = {a.estate_id: a for a in uow.tickets.activity(start, end)}
    activity: dict[int, Activity] = shared[key]
    mine = [activity[e] for e in reader.estate_ids if e in activity]
    scope = ListScope(TicketList.OVERDUE, reader.estate_ids)
    now = ctx.clock.now()
    return {
        "received": sum(a.received for a in mine),
        "closed_confirmed": sum(a.closed_confirmed for a in mine),
        "closed_unconfirmed": sum(a.closed_unconfirmed for a in mine),
        "supervised": sum(a.supervised for a in mine),
        "overdue": uow.tickets.count_listed(scope, now).total,
        "oldest": [t.id for t in uow.tickets.page_listed(scope, now, 0, OLDEST) if t.id is not None],
    }


def _by_estate(ctx: Context, uow: UnitOfWork, due: DigestDue, shared: dict[str, Any]) -> dict[int, Figures]:
    """Every estate's figures for the month, counted once for all readers of the bulletin."""
    key = f"figures:{due.tag}"
    if key not in shared:
        start, end = due.period.span(ctx.tz)
        estates = [e.id for e in uow.estates.all() if e.id is not None]
        shared[key] = figures_by_estate(uow, estates, start, end, ctx.clock.now(), min_sample(uow))
    found: dict[int, Figures] = shared[key]
    return found


def _line(subject: int, f: Figures, position: int | None) -> list[int | None]:
    """[id, place, resolved on time hits, cases, responded hits, cases, satisfied, rated, received]."""
    return [
        subject,
        position,
        f.resolved_on_time.hits,
        f.resolved_on_time.cases,
        f.responded_in_time.hits,
        f.responded_in_time.cases,
        f.satisfaction.hits,
        f.satisfaction.cases,
        f.received,
    ]


def _ranked(entries: Iterable[tuple[int, Figures]]) -> dict[str, Any]:
    """Ranked by the resolution rate (按期办结率), then cases; over fewer cases than the minimum sample:
    counted apart, never ranked. The best and the last are kept when there are many."""
    table = dict(entries)
    ranking = rank((subject, f.resolved_on_time) for subject, f in table.items())
    lines = [_line(p.subject, table[p.subject], p.position) for p in ranking.ranked]
    if len(lines) > SHOWN:
        lines = lines[: SHOWN // 2] + lines[-(SHOWN // 2) :]
    return {"ranked": lines, "of": len(ranking.ranked), "unranked": len(ranking.unranked)}


def monthly(
    ctx: Context, uow: UnitOfWork, due: DigestDue, reader: Reader, shared: dict[str, Any]
) -> dict[str, Any]:
    """The area's estates and companies ranked by the month's figures (a company over its estates in the
    area)."""
    by_estate = _by_estate(ctx, uow, due, shared)
    minimum = min_sample(uow)

    def of(estate_ids: Iterable[int]) -> Figures:
        return total((by_estate[e] for e in estate_ids if e in by_estate), minimum)

    companies: dict[int, list[int]] = defaultdict(list)
    for estate_id in reader.estate_ids:
        estate = uow.estates.get(estate_id)
        if estate is not None:
            companies[estate.company_id].append(estate_id)
    return {
        "min_sample": minimum,
        "estates": _ranked((e, of([e])) for e in reader.estate_ids),
        "companies": _ranked((c, of(ids)) for c, ids in sorted(companies.items())),
    }


def rate(line: list[Any], at: int, minimum: int) -> Rate:
    """A rate stored in a bulletin line (hits at `at`, cases after it)."""
    return Rate(int(line[at]), int(line[at + 1]), minimum)
