"""A world for use-case tests: the example setup loaded the way `wuye load` does, on a real database,
with a FixedClock and the official holiday calendar, wired like bot/wiring.py builds the Context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.documents.setup_file import read_setup
from bot.holidays import ChineseCalendarSource
from handlers.clock import FixedClock
from handlers.domain.ticket import Ticket, TicketEvent
from handlers.ports import UnitOfWork
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.worktime import OfficeHours
from handlers.services.context import Context
from handlers.services.setup import apply_setup
from handlers.services.tickets import TicketDraft, open_ticket
from storage.tables import NotificationRow
from storage.uow import SqlUnitOfWork
from tests.support.databases import TEMPLATES

SH = ZoneInfo("Asia/Shanghai")
SETUP = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"

# Telegram ids in examples/setup.yaml
WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, SUN_SECURITY = 100001, 100002, 100003, 100004, 100005
HUANG_MANAGER, LIN_MANAGER, XU_REPAIR = 100011, 100021, 100022
ZHOU_COMMITTEE, LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU, FENG_CHENGGUAN = (
    100031,
    100041,
    100051,
    100061,
    100071,
)
ZHANG_OWNER, HO_OWNER, SMITH_OWNER = 200001, 200002, 200003


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# Monday 2026-11-23 10:00 in Shanghai: an ordinary working morning.
START = sh(2026, 11, 23, 10)


@dataclass
class World:
    ctx: Context
    clock: FixedClock
    engine: Engine
    unknown_days: list[Any]

    def pid(self, telegram_id: int) -> int:
        """The person id behind a Telegram id of the setup file."""
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None and person.id is not None, telegram_id
            return person.id

    def ticket(self, ticket_id: int) -> Ticket:
        with self.ctx.uow() as uow:
            ticket = uow.tickets.get(ticket_id)
            assert ticket is not None
            return ticket

    def events(self, ticket_id: int) -> list[TicketEvent]:
        with self.ctx.uow() as uow:
            return uow.events.of_ticket(ticket_id)

    def notifications(self, ticket_id: int | None = None, kind: str | None = None) -> list[NotificationRow]:
        """The outbox as stored, oldest first (nothing is sent in these tests)."""
        with Session(self.engine) as session:
            stmt = select(NotificationRow).order_by(col(NotificationRow.id))
            if ticket_id is not None:
                stmt = stmt.where(col(NotificationRow.ticket_id) == ticket_id)
            if kind is not None:
                stmt = stmt.where(col(NotificationRow.kind) == kind)
            rows = list(session.exec(stmt).all())
            for row in rows:
                session.expunge(row)
            return rows

    def recipients(self, ticket_id: int, kind: str) -> set[int]:
        return {n.person_id for n in self.notifications(ticket_id, kind)}

    def snapshot(self, ticket_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
        """Everything a use case could change about a ticket: row, event log and outbox."""
        return (
            asdict(self.ticket(ticket_id)),
            [asdict(e) for e in self.events(ticket_id)],
            self.outbox_keys(),
        )

    def outbox_keys(self) -> list[str]:
        """Every notification's key, oldest first: the whole outbox, read as strings (the rows as objects
        cost a test that snapshots after each of a thousand presses most of its time)."""
        with self.engine.connect() as connection:
            found = connection.execute(select(col(NotificationRow.key)).order_by(col(NotificationRow.id)))
            return [str(key) for key in found.scalars()]

    def report(
        self,
        telegram_id: int = ZHANG_OWNER,
        category: Category = Category.LIFT,
        urgency: Urgency = Urgency.ORDINARY,
        description: str = "3栋电梯门关不上，一直响警报",
        privacy: Privacy = Privacy.GOVERNMENT,
        **kw: Any,
    ) -> Ticket:
        draft = TicketDraft(category, urgency, description, privacy=privacy, **kw)
        return open_ticket(self.ctx, self.pid(telegram_id), draft)


def unit_of_work(engine: Engine, kind: type[SqlUnitOfWork] = SqlUnitOfWork) -> Callable[[], UnitOfWork]:
    """A unit-of-work factory for a Context, as bot/wiring.py makes one."""
    return lambda: cast(UnitOfWork, kind(engine))


def world_context(engine: Engine, clock: FixedClock, unknown: list[Any]) -> Context:
    """The Context bot/wiring.py would build on `engine`, with the official holiday calendar."""
    return Context(
        uow=unit_of_work(engine),
        clock=clock,
        holidays=ChineseCalendarSource(),
        tz=SH,
        office_hours=OfficeHours.parse("09:00-18:00"),
        on_unknown_day=unknown.append,
    )


def load_world(engine: Engine, start: datetime) -> World:
    """Load examples/setup.yaml into the migrated database behind `engine`, as `wuye load` does."""
    clock = FixedClock(start)
    unknown: list[Any] = []
    ctx = world_context(engine, clock, unknown)
    apply_setup(ctx, read_setup(SETUP))
    return World(ctx, clock, engine, unknown)


def build_world(engine: Engine, start: datetime) -> World:
    """The world `load_world` makes, in the empty migrated database behind `engine`: loaded once per
    test process and `start`, and copied row by row into each test's database (the same rows, ids and
    sequences; loading costs a test more than most of them take)."""

    def load(template: Engine) -> list[Any]:
        return list(load_world(template, start).unknown_days)

    clock = FixedClock(start)
    unknown = list(TEMPLATES.fill(engine, ("example world", start), load))
    return World(world_context(engine, clock, unknown), clock, engine, unknown)
