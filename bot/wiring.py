"""Builds the application from settings: engine, migrations, the use-case context."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.delivery.outbox import Queued
from bot.documents.revenue_files import RevenueDocuments
from bot.holidays import ChineseCalendarSource
from handlers.clock import SystemClock
from handlers.ports import Clock
from handlers.services.context import Context
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.turns import AdvisoryChatTurns
from storage.uow import SqlUnitOfWork

log = logging.getLogger("wuye")


class _UnknownYearLog:
    """Logs once per year, process-wide, that a deadline ran into a year with no holiday data."""

    def __init__(self) -> None:
        self.years: set[int] = set()

    def __call__(self, day: date) -> None:
        if day.year not in self.years:
            self.years.add(day.year)
            log.warning(
                "no statutory holiday data for %s: counting Monday-Friday as working days; "
                "deadlines in that year are provisional (upgrade chinesecalendar, or add calendar "
                "overrides in the setup file)",
                day.year,
            )


UNKNOWN_YEARS = _UnknownYearLog()


@dataclass
class App:
    settings: Settings
    engine: Engine
    ctx: Context
    queued: Queued  # ticks when a commit queued notifications


def build_app(settings: Settings, clock: Clock | None = None, migrate: bool = True) -> App:
    engine = make_engine(settings.url)
    if migrate:
        upgrade(engine)
    queued = Queued()
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine, on_queued=queued),
        clock=clock or SystemClock(),
        holidays=ChineseCalendarSource(),
        tz=settings.zone,
        office_hours=settings.hours,
        on_unknown_day=UNKNOWN_YEARS,
        invite_ttl_days=settings.invite_ttl_days,
        documents=RevenueDocuments(),
        chat_turns=AdvisoryChatTurns(engine),
        web_url=settings.web_url,
    )
    return App(settings, engine, ctx, queued)
