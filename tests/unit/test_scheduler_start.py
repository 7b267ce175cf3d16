"""The scheduler's first sweeps after a start: at once when the clock says a time already past for
APScheduler (a test's clock set months back), given to it as now rather than as a past it would step
through five seconds at a time; at the clock's time when that is still ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.scheduler import LadderScheduler
from bot.holidays import ChineseCalendarSource
from handlers.clock import FixedClock
from handlers.services.context import Context

SWEEPS = ("wuye-sweep", "wuye-disclosure-deadlines", "wuye-digests", "wuye-reports")


def no_database() -> object:
    raise AssertionError("starting the scheduler opens no unit of work")


def first_runs(moment: datetime) -> dict[str, datetime]:
    """Each sweep's first run as APScheduler holds it, right after a start on a clock fixed at `moment`
    (stopped before any runs: nothing here waits on the event loop)."""
    clock = FixedClock(moment)
    ctx = Context(uow=no_database, clock=clock, holidays=ChineseCalendarSource())  # type: ignore[arg-type]
    scheduler = LadderScheduler(ctx, after_sweep=lambda: None)
    scheduler.start()
    try:
        return {name: scheduler.scheduler.get_job(name).next_run_time for name in SWEEPS}
    finally:
        scheduler.stop()


async def test_a_clock_months_back_has_the_sweeps_run_now_not_from_its_past() -> None:
    before = datetime.now(UTC)
    runs = first_runs(datetime(2026, 1, 5, 2, tzinfo=UTC))
    after = datetime.now(UTC)
    assert all(before <= at <= after for at in runs.values()), runs


async def test_a_clock_ahead_keeps_its_time_for_the_first_sweeps() -> None:
    ahead = datetime.now(UTC) + timedelta(days=400)
    assert set(first_runs(ahead).values()) == {ahead}
