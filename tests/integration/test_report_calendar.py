"""The report calendar across restarts and instances, on a real database and a controlled clock: a bot
started again on the due day sends each report once; two instances sweeping at once on PostgreSQL draft
and send each report once between them; two officials pressing Confirm and send at the same moment send
it once, and the one who came second is told who did."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.report_jobs import sweep_reports
from bot.documents.revenue_files import RevenueDocuments
from handlers.domain.people import Role, RoleKind
from handlers.services import report_calendar
from handlers.services.context import Context
from handlers.services.errors import Conflict
from storage.engine import make_engine
from tests.service.world import LIU_COMMUNITY, WU_STREET, World, build_world, sh, unit_of_work

DRAFT_DAY, DUE_DAY = sh(2026, 2, 11, 9, 0), sh(2026, 2, 14, 18, 0)
OFFICES = ("jialian-street", "lianqian-street", "siming-bureau")


@pytest.fixture
def world(engine: Engine) -> World:
    """The example world loaded on 5 January 2026 with a January case; 2026's Spring Festival moves both
    default due days to Saturday 14 February, the drafts to the 11th."""
    w = build_world(engine, sh(2026, 1, 5, 10))
    w.ctx = replace(w.ctx, documents=RevenueDocuments())
    w.report(description="3栋电梯门关不上，一直响警报")
    return w


def office_id(world: World, key: str) -> int:
    with world.ctx.uow() as uow:
        office = uow.offices.by_key(key)
        assert office is not None and office.id is not None
        return office.id


def calendar_messages(world: World) -> list[str]:
    return sorted(n.key for n in world.notifications() if n.kind.startswith("report."))


def ledgers_kept(world: World) -> int:
    with world.ctx.uow() as uow:
        return sum(
            1
            for key in OFFICES
            for kind in ("street", "district")
            if uow.ledgers.latest(kind, office_id(world, key), "2026-01") is not None
        )


def test_a_restart_on_the_due_day_sends_each_report_once(world: World, database_url: str) -> None:
    world.clock.set(DRAFT_DAY)
    assert len(sweep_reports(world.ctx).drafted) == 3
    world.clock.set(DUE_DAY)
    assert len(sweep_reports(world.ctx).sent) == 3
    before = calendar_messages(world)
    engine = make_engine(database_url)  # the bot started again: a fresh engine, nothing in memory
    try:
        restarted = replace(world.ctx, uow=unit_of_work(engine))
        for moment in (sh(2026, 2, 14, 18, 5), sh(2026, 2, 14, 23, 0), sh(2026, 2, 24, 9, 0)):
            world.clock.set(moment)
            done = sweep_reports(restarted)
            assert (done.drafted, done.sent, done.failed) == ([], [], 0)
    finally:
        engine.dispose()
    assert calendar_messages(world) == before
    assert ledgers_kept(world) == 3  # one version each, never built again


def test_a_bot_down_from_before_the_draft_until_after_the_due_day_sends_at_once_without_a_draft(
    world: World, database_url: str
) -> None:
    engine = make_engine(database_url)  # it comes back on the Tuesday after the holiday
    try:
        restarted = replace(world.ctx, uow=unit_of_work(engine))
        world.clock.set(sh(2026, 2, 24, 9, 30))
        done = sweep_reports(restarted)
    finally:
        engine.dispose()
    assert len(done.sent) == 3 and done.drafted == []
    kinds = {n.kind for n in world.notifications() if n.kind.startswith("report.")}
    assert kinds == {"report.received", "report.auto_sent"}


def run_at_once(works: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def instances(world: World, database_url: str, n: int = 2) -> tuple[list[Engine], list[Context]]:
    engines = [make_engine(database_url) for _ in range(n)]
    return engines, [replace(world.ctx, uow=unit_of_work(e)) for e in engines]


POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@POSTGRES_ONLY
def test_two_instances_at_once_on_postgresql_draft_and_send_each_report_once(
    world: World, database_url: str
) -> None:
    engines, contexts = instances(world, database_url)
    try:
        world.clock.set(DRAFT_DAY)
        drafts, errors = run_at_once([lambda c=c: sweep_reports(c) for c in contexts])
        assert not errors, errors
        world.clock.set(DUE_DAY)
        sends, errors = run_at_once([lambda c=c: sweep_reports(c) for c in contexts])
        assert not errors, errors
    finally:
        for e in engines:
            e.dispose()
    assert sum(r.failed for r in drafts + sends) == 0
    assert sorted(o for r in drafts for o, _ in r.drafted) == sorted(office_id(world, k) for k in OFFICES)
    assert sorted(o for r in sends for o, _ in r.sent) == sorted(office_id(world, k) for k in OFFICES)
    keys = [n.key for n in world.notifications() if n.kind.startswith("report.")]
    assert len(keys) == len(set(keys))
    counts = {
        k: sum(1 for n in world.notifications() if n.kind == k) for k in ("report.draft", "report.received")
    }
    # drafts: 吴科长 and 郑处长; received: 郑处长, of each street
    assert counts == {"report.draft": 2, "report.received": 2}
    assert ledgers_kept(world) == 3


@POSTGRES_ONLY
def test_two_officials_pressing_at_once_send_it_once_and_the_second_is_told_who_did(
    world: World, database_url: str
) -> None:
    """A second official of the street (刘主任 of the community, made one for the test): both press at
    the same moment."""
    street = office_id(world, "jialian-street")
    second = world.pid(LIU_COMMUNITY)
    with world.ctx.uow() as uow:
        uow.roles.add(Role(second, RoleKind.OFFICIAL, office_id=street))
        uow.commit()
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    [draft] = [
        n for n in world.notifications() if n.kind == "report.draft" and n.params["office_id"] == street
    ][:1]
    report_id, ledger_id = draft.params["report_id"], draft.params["ledger_id"]
    engines, contexts = instances(world, database_url)
    try:
        results, errors = run_at_once(
            [
                lambda: report_calendar.confirm_and_send(
                    contexts[0], world.pid(WU_STREET), report_id, ledger_id
                ),
                lambda: report_calendar.confirm_and_send(contexts[1], second, report_id, ledger_id),
            ]
        )
    finally:
        for e in engines:
            e.dispose()
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    [refused] = errors
    assert isinstance(refused, Conflict) and refused.code == "report_sent_already"
    winner = results[0].record.sent_by
    with world.ctx.uow() as uow:
        person = uow.people.get(winner)
        assert person is not None and refused.params["by"] == person.display_name
    received = [n for n in world.notifications() if n.kind == "report.received"]
    assert len(received) == 1


def periods_sent(world: World) -> list[tuple[int, str]]:
    """(office, period) of every report that went up, in the order the messages were queued."""
    return [
        (n.params["office_id"], n.params["period"])
        for n in world.notifications()
        if n.kind == "report.auto_sent" or (n.kind == "report.received" and n.params.get("automatic"))
    ]


def test_a_restart_after_several_missed_due_days_sends_each_once_oldest_first(
    world: World, database_url: str
) -> None:
    world.clock.set(DUE_DAY)
    assert len(sweep_reports(world.ctx).sent) == 3  # January's; then the bot was down until late May
    engine = make_engine(database_url)
    try:
        restarted = replace(world.ctx, uow=unit_of_work(engine))
        world.clock.set(sh(2026, 5, 25, 10))
        done = sweep_reports(restarted)
        world.clock.set(sh(2026, 5, 25, 10, 5))
        again = sweep_reports(restarted)
    finally:
        engine.dispose()
    assert [p for _, p in done.sent] == ["2026-02"] * 3 + ["2026-03"] * 3 + ["2026-04"] * 3
    assert (again.sent, again.drafted) == ([], [])
    street = office_id(world, "jialian-street")
    assert [p for o, p in periods_sent(world) if o == street][::2] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]


@POSTGRES_ONLY
def test_two_instances_catching_up_at_once_on_postgresql_send_each_missed_report_once(
    world: World, database_url: str
) -> None:
    world.clock.set(DUE_DAY)
    sweep_reports(world.ctx)
    engines, contexts = instances(world, database_url)
    try:
        world.clock.set(sh(2026, 5, 25, 10))
        sends, errors = run_at_once([lambda c=c: sweep_reports(c) for c in contexts])
        assert not errors, errors
    finally:
        for e in engines:
            e.dispose()
    assert sum(r.failed for r in sends) == 0
    sent = sorted(s for r in sends for s in r.sent)
    assert sent == sorted(
        (office_id(world, k), p) for k in OFFICES for p in ("2026-02", "2026-03", "2026-04")
    )
    keys = [n.key for n in world.notifications() if n.kind.startswith("report.")]
    assert len(keys) == len(set(keys))
    received = [n for n in world.notifications() if n.kind == "report.received"]
    assert len(received) == 2 * 4  # the two streets' four months, to 郑处长, once each
    with world.ctx.uow() as uow:  # one ledger version per office and month, never built twice
        for key in OFFICES:
            for period in ("2026-02", "2026-03", "2026-04"):
                kind = "district" if key == "siming-bureau" else "street"
                kept = uow.ledgers.latest(kind, office_id(world, key), period)
                assert kept is not None and kept.version == 1


@POSTGRES_ONLY
def test_two_instances_on_postgresql_draft_and_send_a_quarterly_report_once(
    world: World, database_url: str
) -> None:
    from handlers.rules.report_calendar import Cadence, ReportKind, Schedule
    from handlers.services.settings import put_report_calendar

    with world.ctx.uow() as uow:
        put_report_calendar(uow, [Schedule("street", ReportKind.LEDGER, 5, Cadence.QUARTER)])
        uow.commit()
    engines, contexts = instances(world, database_url)
    try:
        world.clock.set(sh(2026, 4, 1, 9))
        drafts, errors = run_at_once([lambda c=c: sweep_reports(c) for c in contexts])
        assert not errors, errors
        world.clock.set(sh(2026, 4, 3, 18))
        sends, errors = run_at_once([lambda c=c: sweep_reports(c) for c in contexts])
        assert not errors, errors
    finally:
        for e in engines:
            e.dispose()
    streets = sorted(office_id(world, k) for k in OFFICES[:2])
    assert sorted(o for r in drafts for o, p in r.drafted if p == "2026Q1") == streets
    assert sorted(o for r in sends for o, p in r.sent if p == "2026Q1") == streets
    keys = [n.key for n in world.notifications() if n.kind.startswith("report.")]
    assert len(keys) == len(set(keys))
    assert sum(1 for n in world.notifications() if n.kind == "report.received") == 2
