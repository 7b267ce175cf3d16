"""The guard of the figures counted in the database: for many random ticket histories, written the one way
tickets change (their own acts, logged and saved by handlers/services/tickets/records.py, with the
deadlines the use cases set), the database's figures of each estate (storage/repositories/figures.py)
equal what the definition (handlers/rules/figures.py) makes of the same tickets and histories read
back, for months, quarters and runs of days, and moments `now` before, at and after the limits. On
SQLite and PostgreSQL. The migration's fill-in of tickets recorded before the table existed makes the
same rows as the tickets' own writes."""

from __future__ import annotations

import importlib.util
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select, text

from handlers.domain.ticket import Move, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.categories import Category, Urgency
from handlers.rules.figures import Figures, figures, total
from handlers.rules.lifecycle import HANDLING_STATUSES, OPEN_STATUSES, TRANSITIONS, Event, Status
from handlers.rules.policy import RUNG_ORDER, Rung
from handlers.services.figures import facts_of, figures_by_estate
from handlers.services.tickets.records import log_opening, opening_status, record_event, save
from storage.tables import TicketFigureRow
from tests.service.world import LI_REPAIR, LIU_COMMUNITY, ZHANG_OWNER, World, sh

GRID = timedelta(minutes=30)  # every moment on it, so that limits, acts and periods often coincide
FIRST = sh(2026, 10, 20)
MIGRATION = Path(__file__).resolve().parents[2] / "storage/migrations/versions/0019_ticket_figures.py"


def gap(rng: random.Random) -> timedelta:
    return GRID * rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 13, 24, 48, 96, 200])


@dataclass
class Cast:
    estates: list[int]
    owner: int
    staff: int
    official: int
    department: int


def cast(world: World) -> Cast:
    with world.ctx.uow() as uow:
        estates = sorted(e.id for e in uow.estates.all() if e.id is not None)
        department = uow.offices.by_key("siming-chengguan")
        assert department is not None and department.id is not None
    return Cast(
        estates, world.pid(ZHANG_OWNER), world.pid(LI_REPAIR), world.pid(LIU_COMMUNITY), department.id
    )


def allowed(ticket: Ticket, event: Event) -> bool:
    return (ticket.status, event) in TRANSITIONS


def act(rng: random.Random, uow: UnitOfWork, ticket: Ticket, who: Cast, now: datetime) -> None:
    """One act the ticket's status allows, chosen at random, as the use case carries it out."""

    def do(fn: Callable[[Ticket], Move], actor: int | None = None, **data: Any) -> None:
        record_event(uow, ticket, fn, actor, data=data or None)

    def fresh(hours: int) -> datetime:
        return now + GRID * rng.choice([0, 1, 2 * hours, 4 * hours, 48])

    choices: list[Callable[[], None]] = []
    if allowed(ticket, Event.ASSIGN):
        choices.append(lambda: do(lambda t: t.assign(who.staff, now), assignee_id=who.staff))
    if allowed(ticket, Event.ACKNOWLEDGE):
        choices += [lambda: do(lambda t: t.acknowledge(who.staff, now), who.staff)] * 3
    if allowed(ticket, Event.START):
        choices.append(lambda: do(lambda t: t.start(now), who.staff))
    if allowed(ticket, Event.ASK_OWNER):
        choices.append(lambda: do(lambda t: t.pause(now), who.staff))
    if allowed(ticket, Event.OWNER_REPLY):
        paused = ticket.paused_at or now
        moved = ticket.due_at + (now - paused) if ticket.due_at else None
        choices.append(lambda: do(lambda t: t.resume(now, moved), who.owner))
    if allowed(ticket, Event.RESOLVE):
        due = {"due_at": ticket.due_at.isoformat()} if ticket.due_at else {}
        choices += [lambda: do(lambda t: t.resolve(now), who.staff, **due)] * 3
    if allowed(ticket, Event.CONFIRM):
        choices.append(lambda: do(lambda t: t.confirm(now), who.owner))
    if allowed(ticket, Event.CLOSE_UNCONFIRMED):
        choices.append(lambda: do(lambda t: t.close_unconfirmed(now)))
    if allowed(ticket, Event.REOPEN):

        def reopen() -> None:
            do(lambda t: t.reopen(now), who.owner, cycle=ticket.cycle + 1)
            ack = fresh(1)
            ticket.begin_cycle(now, ack, ack + GRID * rng.choice([0, 4, 24]), False)
            save(uow, ticket)

        choices.append(reopen)
    if allowed(ticket, Event.REJECT):
        choices.append(lambda: do(lambda t: t.reject("不归我们管", now), who.staff))
    if allowed(ticket, Event.TRANSFER_DEPARTMENT):

        def transfer() -> None:
            do(lambda t: t.transfer(who.department, now), who.official, office_id=who.department)
            ticket.restart_clock(now, fresh(24), False)
            save(uow, ticket)

        choices.append(transfer)
    if allowed(ticket, Event.RETURN_TO_COMPANY):

        def give_back() -> None:
            do(lambda t: t.return_to_company(None, now), who.official)
            ticket.await_acknowledgement(fresh(1))
            ticket.restart_clock(now, fresh(12), False)
            save(uow, ticket)

        choices.append(give_back)
    if allowed(ticket, Event.HANDOVER):
        choices.append(lambda: do(lambda t: t.hand_over(None, now), reason="left"))
    if allowed(ticket, Event.WITHDRAW):
        choices.append(lambda: do(lambda t: t.withdraw(now), who.owner))
    if ticket.status in (Status.CLOSED, Status.CLOSED_UNCONFIRMED) and ticket.rating is None:
        stars = rng.randint(1, 5)
        choices += [lambda: do(lambda t: t.rate(stars, None, now), who.owner, stars=stars)] * 2
    if ticket.status in OPEN_STATUSES:
        rung = rng.choice([*RUNG_ORDER, Rung.BUREAU])
        choices.append(lambda: do(lambda t: t.escalate(rung, now), rung=rung.value))
        choices.append(lambda: do(lambda t: t.note(Event.URGE, now), who.official))
    if ticket.status in HANDLING_STATUSES and ticket.extension_requested_until is None:
        until = fresh(24)
        choices.append(
            lambda: do(lambda t: t.request_extension(until, now), who.staff, until=until.isoformat())
        )
    if ticket.extension_requested_until is not None and ticket.status in OPEN_STATUSES:
        choices.append(lambda: do(lambda t: t.grant_extension(now), who.official))
        choices.append(lambda: do(lambda t: t.refuse_extension(now), who.official))
    choices.append(lambda: do(lambda t: t.note(Event.COMMENT, now), who.owner))
    rng.choice(choices)()


def histories(world: World, rng: random.Random, n: int) -> datetime:
    """`n` tickets reported from late October over about two months, each acted on up to 14 times; the
    last moment of any history."""
    who, last = cast(world), FIRST
    with world.ctx.uow() as uow:
        for i in range(n):
            reported = FIRST + GRID * rng.randrange(0, 2 * 24 * 60)
            limit = reported + GRID * rng.choice([0, 1, 2, 4])
            assigned = rng.random() < 0.7
            ticket = uow.tickets.add(
                Ticket(
                    number=f"FX-2026-{i:06d}",
                    estate_id=rng.choice(who.estates),
                    category=Category.LIFT,
                    urgency=Urgency.URGENT,
                    description="电梯停在两层之间",
                    status=opening_status(assigned),
                    policy={},
                    created_at=reported,
                    updated_at=reported,
                    cycle_started_at=reported,
                    reporter_id=who.owner,
                    ack_due_at=limit,
                    due_at=limit + GRID * rng.choice([0, 2, 8, 24, 96]),
                    assignee_id=who.staff if assigned else None,
                )
            )
            log_opening(uow, ticket, reported, who.owner)
            now = reported
            for _ in range(rng.randint(0, 14)):
                now += gap(rng)
                act(rng, uow, ticket, who, now)
            last = max(last, now)
        uow.commit()
    return last


def by_definition(
    uow: UnitOfWork, estate_ids: list[int], start: datetime, end: datetime, now: datetime
) -> dict[int, Figures]:
    """What handlers/rules/figures.py makes of each estate's tickets reported before `end`, their
    histories read back."""
    found: dict[int, Figures] = {}
    for estate_id in estate_ids:
        tickets = [t for t in uow.tickets.of_estates([estate_id], frozenset(Status)) if t.created_at < end]
        events = uow.events.of_tickets([t.id or 0 for t in tickets])
        facts = [facts_of(t, events.get(t.id or 0, [])) for t in tickets]
        found[estate_id] = figures(facts, start, end, now, 2)
    return found


def spans(rng: random.Random, last: datetime) -> list[tuple[datetime, datetime]]:
    months = [(sh(2026, m, 1), sh(2026 + m // 12, m % 12 + 1, 1)) for m in (10, 11, 12)]
    found = [*months, (sh(2026, 10, 1), sh(2027, 1, 1))]  # the quarter
    for _ in range(8):  # runs of time starting and ending on the grid
        start = FIRST + GRID * rng.randrange(0, 3 * 24 * 60)
        found.append((start, start + GRID * rng.choice([1, 2, 48, 24 * 7, 24 * 30])))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_databases_figures_are_the_definitions_for_random_histories(world: World, seed: int) -> None:
    rng = random.Random(seed)
    last = histories(world, rng, 70)
    who = cast(world)
    with world.ctx.uow() as uow:  # "now" exactly at a limit still awaited (not yet missed) too
        limits = sorted(
            {
                at
                for t in uow.tickets.of_estates(who.estates, OPEN_STATUSES)
                for at in (t.ack_due_at, t.due_at)
                if at
            }
        )
    nows = [
        last + GRID,
        last + timedelta(days=30),
        *(FIRST + GRID * rng.randrange(0, 4 * 24 * 60) for _ in range(3)),
        *rng.sample(limits, 4),
    ]
    compared = Counter[str]()
    with world.ctx.uow() as uow:
        for start, end in spans(rng, last):
            for now in nows:
                expected = by_definition(uow, who.estates, start, end, now)
                found = figures_by_estate(uow, who.estates, start, end, now, 2)
                assert found == expected, (start, end, now)
                assert total(found.values(), 2) == total(expected.values(), 2)
                for f in expected.values():
                    compared["received"] += f.received
                    compared["responses"] += f.responded_in_time.cases
                    compared["responded"] += f.responded_in_time.hits
                    compared["resolutions"] += f.resolved_on_time.cases
                    compared["resolved"] += f.resolved_on_time.hits
                    compared["rated"] += f.satisfaction.cases
                    compared["satisfied"] += f.satisfaction.hits
                    compared["overdue"] += f.overdue_now
                    for name in ("closed_confirmed", "closed_unconfirmed", "withdrawn", "reopened"):
                        compared[name] += getattr(f, name)
                    compared["supervised"] += f.supervised
                    compared["transferred"] += f.transferred
    # the histories reached every figure, met and missed: the comparison was not of zeros
    missed = {"responses": "responded", "resolutions": "resolved", "rated": "satisfied"}
    assert all(compared[k] > 0 for k in compared) and len(compared) == 14, compared
    assert all(compared[cases] > compared[hits] for cases, hits in missed.items()), compared


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("figures_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kept(world: World) -> Counter[tuple[Any, ...]]:
    f = TicketFigureRow.__table__  # type: ignore[attr-defined]
    columns = [f.c.ticket_id, f.c.estate_id, f.c.kind, f.c.at, f.c.met, f.c.stopped, f.c.previous]
    with world.engine.connect() as c:
        return Counter(tuple(r) for r in c.execute(select(*columns)))


def test_the_migrations_fill_in_makes_the_rows_the_tickets_own_writes_made(world: World) -> None:
    histories(world, random.Random(7), 60)
    written = kept(world)
    assert len(written) > 200
    with world.engine.begin() as c:
        c.execute(text("DELETE FROM ticket_figure"))
        assert migration().backfill(c) == sum(written.values())
    assert kept(world) == written
