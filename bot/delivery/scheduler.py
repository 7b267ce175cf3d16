"""APScheduler drives the sweep; the database, not the job store, says what is due.

APScheduler 3 keeps jobs in memory and cannot share a job store between processes, and its default
misfire grace of one second would drop a run after downtime. So the jobs are interval sweeps over
what is stored: the ladder's over `next_action_at`, which catches up on everything that came due while
the bot was down the first time it runs; the disclosure deadlines'; the digests', which the calendar
and the outbox's keys make due and send once; the report calendar's, whose stored claims do the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.outage import Postponements
from handlers.services.context import Context
from handlers.services.ladder import SweepReport, prune_processed_updates, sweep

log = logging.getLogger("wuye.scheduler")


class _Executor(AsyncIOExecutor):
    """APScheduler's asyncio executor, except that a run cancelled by the shutdown is no error: stopping
    while a sweep is due is normal (its transaction finishes or rolls back where it runs, and the next
    start catches up), and APScheduler would log it with a CancelledError traceback."""

    def _run_job_error(self, job_id: str, exc: BaseException, traceback: Any = None) -> None:
        if isinstance(exc, asyncio.CancelledError):
            super()._run_job_success(job_id, [])  # releases the run, as an error would, without the log
            log.debug("%s: cancelled by shutdown", job_id)
            return
        super()._run_job_error(job_id, exc, traceback)


class LadderScheduler:
    def __init__(
        self,
        ctx: Context,
        after_sweep: Callable[[], None],
        every_seconds: float = 5.0,
        run_db: Callable[..., Awaitable[Any]] = asyncio.to_thread,
    ) -> None:
        self.ctx = ctx
        self.run_db = run_db
        self.after_sweep = after_sweep
        self.every_seconds = every_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC", executors={"default": _Executor()})
        self.last: SweepReport | None = None
        self._ladder = Postponements("the ladder")
        self._pruning = Postponements("pruning")
        self._deadlines = Postponements("disclosure deadlines")
        self._digests = Postponements("digests")
        self._reports = Postponements("report calendar")

    async def run_once(self) -> SweepReport | None:
        try:
            report = await self._ladder.guard(self.run_db(sweep, self.ctx))
        except asyncio.CancelledError:
            # Stopping: the sweep's own transaction finishes or rolls back in its thread; nothing is lost.
            log.debug("sweep cancelled by shutdown")
            return None
        if report is None:  # the database out of reach: the next run catches up
            return None
        self.last = report
        if report.steps:
            log.info("sweep: %d steps on %d tickets", len(report.steps), report.looked_at)
            self.after_sweep()
        return report

    async def prune_once(self) -> int:
        return int(await self._pruning.guard(self.run_db(prune_processed_updates, self.ctx)) or 0)

    async def disclosures_once(self) -> None:
        """Disclosure reminders and warnings (handlers/services/revenue_deadlines.py)."""
        from handlers.services.revenue_deadlines import sweep_deadlines

        report = await self._deadlines.guard(self.run_db(sweep_deadlines, self.ctx))
        if report is not None and (report.reminded or report.missed):
            log.info("disclosures: %d reminded, %d missed", len(report.reminded), len(report.missed))
            self.after_sweep()

    async def digests_once(self) -> None:
        """The weekly round and the monthly bulletin (handlers/services/digests.py), when due."""
        from handlers.services.digests import sweep_digests

        report = await self._digests.guard(self.run_db(sweep_digests, self.ctx))
        if report is not None and report.queued:
            log.info("digests: %d queued", len(report.queued))
            self.after_sweep()

    async def reports_once(self) -> None:
        """The report calendar's drafts and automatic sending (handlers/services/report_calendar.py)."""
        from bot.delivery.report_jobs import sweep_reports

        report = await self._reports.guard(self.run_db(sweep_reports, self.ctx))
        if report is not None and (report.drafted or report.sent):
            log.info("reports: %d drafted, %d sent automatically", len(report.drafted), len(report.sent))
            self.after_sweep()

    def start(self) -> None:
        # The sweeps catch up at once after a restart; pruning can wait. APScheduler runs on the wall
        # clock and steps a first run in its past forward interval by interval up to now (millions of
        # steps for a clock set months back, as in the tests) only to coalesce them into one run now:
        # a time already past is given as now, which is the same one run.
        now = max(self.ctx.clock.now(), datetime.now(UTC))
        self._every(self.run_once, "wuye-sweep", now, seconds=self.every_seconds)
        self._every(self.prune_once, "wuye-prune-updates", None, hours=6)
        self._every(self.disclosures_once, "wuye-disclosure-deadlines", now, minutes=15)
        self._every(self.digests_once, "wuye-digests", now, minutes=5)
        self._every(self.reports_once, "wuye-reports", now, minutes=5)
        self.scheduler.start()

    def _every(self, job: Callable[[], Any], name: str, first: datetime | None, **interval: float) -> None:
        """A job on an interval: never two at once (a slow run is not overlapped), runs missed while
        busy collapse into one, and late is better than never."""
        # APScheduler reads next_run_time=None as "paused": left out, the first run is one interval on.
        start: dict[str, Any] = {"next_run_time": first} if first is not None else {}
        self.scheduler.add_job(
            job,
            "interval",
            **interval,
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **start,
        )

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
