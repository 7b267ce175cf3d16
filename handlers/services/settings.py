"""The settings sections of the setup file (`supervision: {min_sample: 5}`, the `reports:` calendar), as
the use cases read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from handlers.ports import UnitOfWork
from handlers.rules.ranking import DEFAULT_MIN_SAMPLE, check_min_sample
from handlers.rules.report_calendar import DEFAULT_SCHEDULES, Schedule, schedule_from

SUPERVISION = "supervision"


def min_sample(uow: UnitOfWork) -> int:
    """The fewest cases a rate needs to be ranked, as the setup file last set it (default 5)."""
    stored = (uow.settings.get(SUPERVISION) or {}).get("min_sample", DEFAULT_MIN_SAMPLE)
    try:
        return check_min_sample(stored)
    except ValueError:  # the setup file's check lets none through; a hand-edited row falls back
        return DEFAULT_MIN_SAMPLE


REPORTS = "reports"


def report_calendar(uow: UnitOfWork) -> list[Schedule]:
    """Which office kind sends which report by which day, as the setup file's `reports:` last set it;
    the defaults (street offices by the 20th, the bureau by the 23rd) until one did."""
    stored = uow.settings.get(REPORTS)
    if stored is None:
        return list(DEFAULT_SCHEDULES)
    found = []
    for raw in stored.get("schedules", []):
        try:
            found.append(schedule_from(raw))
        except ValueError:  # the setup file's check lets none through; a hand-edited row is skipped
            continue
    return found


def put_report_calendar(uow: UnitOfWork, schedules: list[Schedule], now: datetime | None = None) -> bool:
    """The whole calendar, replacing the one before (an empty list: no report is due); True if there
    was none before. Each line keeps when it was first loaded (`since`: a line already there keeps its
    own, a new one gets `now`), so that a report due before its line existed is never owed."""
    before = uow.settings.get(REPORTS)
    kept = {s.line: s.since for s in report_calendar(uow)} if before is not None else {}
    lines = [replace(s, since=kept.get(s.line) or s.since or now) for s in schedules]
    uow.settings.put(REPORTS, {"schedules": [s.as_dict() for s in lines]})
    return before is None


def start_report_calendar(uow: UnitOfWork, now: datetime) -> None:
    """A setup file without `reports:` loaded where none was before: the defaults, kept with their
    start, so that a bot down across its first due days knows what it missed."""
    if uow.settings.get(REPORTS) is None:
        put_report_calendar(uow, list(DEFAULT_SCHEDULES), now)
