"""The digests on a real database and a controlled clock: due on the first working day of the week (and
of the month) from 09:00, counted as the supervision figures count, queued once however often the
sweep runs, after a restart, and with two instances at once on PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine

from handlers.conversations.buttons import unversioned
from handlers.conversations.notices import render
from handlers.domain.workdays import CalendarOverride
from handlers.rules.categories import Urgency
from handlers.rules.periods import Period
from handlers.services import tickets
from handlers.services.context import Context
from handlers.services.digests import DigestReport, sweep_digests
from handlers.services.figures import Scope, ScopeKind, figures_for
from handlers.services.ladder import sweep
from storage.engine import make_engine
from tests.service.world import (
    HUANG_MANAGER,
    LI_REPAIR,
    LIN_MANAGER,
    WANG_MANAGER,
    WU_STREET,
    ZHANG_OWNER,
    ZHENG_BUREAU,
    World,
    build_world,
    sh,
    unit_of_work,
)
from tests.support.translations import shared_translations

WEEKLY = "digest.weekly"


@pytest.fixture
def world(engine: Engine) -> World:
    """The example world with a week to tell: on 9 November a case that reaches listed supervision on
    the 18th; on the 17th an urgent case left unacknowledged and one fixed and confirmed the next day."""
    w = build_world(engine, sh(2026, 11, 9, 10))
    w.report(urgency=Urgency.URGENT, description="地下车库积水，车辆无法进出")
    w.clock.set(sh(2026, 11, 17, 10))
    w.report(urgency=Urgency.URGENT, description="5栋电梯困人报警")
    fixed = w.report(description="大堂灯不亮").id or 0
    w.clock.set(sh(2026, 11, 18, 10))
    tickets.acknowledge(w.ctx, w.pid(LI_REPAIR), fixed)
    tickets.resolve(w.ctx, w.pid(LI_REPAIR), fixed, "已更换灯管")
    tickets.confirm(w.ctx, w.pid(ZHANG_OWNER), fixed)
    assert sweep(w.ctx).failed == 0
    return w


def weekly(world: World) -> dict[int, dict[str, object]]:
    """Each weekly digest queued, by recipient: its parameters."""
    return {n.person_id: n.params for n in world.notifications(kind=WEEKLY)}


def office_id(world: World, key: str) -> int:
    with world.ctx.uow() as uow:
        office = uow.offices.by_key(key)
        assert office is not None and office.id is not None
        return office.id


def test_the_weekly_digest_comes_on_monday_at_nine_once_and_counts_as_the_figures_do(world: World) -> None:
    world.clock.set(sh(2026, 11, 23, 8, 59))
    sweep_digests(world.ctx)
    assert weekly(world) == {}  # before the office opens
    world.clock.set(sh(2026, 11, 23, 9, 0))
    report = sweep_digests(world.ctx)
    assert report.failed == 0
    sent = weekly(world)
    # the street office and the bureau (officials), and each project manager; not the community
    expected = {world.pid(p) for p in (WU_STREET, ZHENG_BUREAU, WANG_MANAGER, HUANG_MANAGER, LIN_MANAGER)}
    assert set(sent) == expected
    street = sent[world.pid(WU_STREET)]
    assert (street["first"], street["last"]) == ("2026-11-16", "2026-11-22")
    figures = figures_for(
        world.ctx, Scope(ScopeKind.STREET, office_id(world, "jialian-street")), Period.days(*_days(street))
    )
    assert (street["received"], street["closed_confirmed"], street["closed_unconfirmed"]) == (
        figures.received,
        figures.closed_confirmed,
        figures.closed_unconfirmed,
    )
    assert (street["supervised"], street["overdue"]) == (figures.supervised, figures.overdue_now)
    assert (street["received"], street["closed_confirmed"], street["supervised"], street["overdue"]) == (
        2,
        1,
        1,
        2,
    )
    assert len(street["oldest"]) == 2  # type: ignore[arg-type]
    # 前埔 (another street, another company) had nothing: its manager's digest says so
    lin = sent[world.pid(LIN_MANAGER)]
    assert (lin["received"], lin["overdue"], lin["oldest"]) == (0, 0, [])
    # Later runs that day and that week queue nothing more.
    before = [n.key for n in world.notifications()]
    for moment in (sh(2026, 11, 23, 9, 5), sh(2026, 11, 25, 15)):
        world.clock.set(moment)
        assert sweep_digests(world.ctx).queued == []
    assert [n.key for n in world.notifications()] == before


def _days(params: dict[str, object]) -> tuple[object, object]:
    from datetime import date

    return date.fromisoformat(str(params["first"])), date.fromisoformat(str(params["last"]))


def test_the_weekly_digest_reads_in_the_readers_language_with_buttons_to_the_oldest_overdue(
    world: World,
) -> None:
    world.clock.set(sh(2026, 11, 23, 9, 30))
    sweep_digests(world.ctx)
    street = world.pid(WU_STREET)
    [queued] = [n for n in world.notifications(kind=WEEKLY) if n.person_id == street]
    translations = shared_translations()
    with world.ctx.uow() as uow:
        notification = uow.notifications.get(queued.id or 0)
        assert notification is not None
        person = uow.people.get(street)
        assert person is not None
        person.language = "en"
        uow.people.save(person)
        uow.commit()
        [english] = render(uow, translations.for_lang, notification, world.ctx)
        person.language = "zh_Hant"
        uow.people.save(person)
        uow.commit()
        [chinese] = render(uow, translations.for_lang, notification, world.ctx)
    assert "Weekly round" in english.text and "Overdue now: 2" in english.text
    assert "Weekly round" not in chinese.text and "2" in chinese.text
    opened = [unversioned(b.data) for row in english.buttons for b in row]
    assert opened == [f"cd:{i}" for i in queued.params["oldest"]]


def test_a_monday_off_moves_the_digest_to_the_first_working_day_of_the_week(world: World) -> None:
    with world.ctx.uow() as uow:
        uow.calendar.put(CalendarOverride(sh(2026, 11, 30).date(), False, "停工"))
        uow.commit()
    world.clock.set(sh(2026, 11, 23, 9))
    sweep_digests(world.ctx)
    before = {n.key for n in world.notifications(kind=WEEKLY)}
    world.clock.set(sh(2026, 11, 30, 10))  # the Monday, off
    sweep_digests(world.ctx)
    assert {n.key for n in world.notifications(kind=WEEKLY)} == before
    world.clock.set(sh(2026, 12, 1, 8, 59))
    sweep_digests(world.ctx)
    assert {n.key for n in world.notifications(kind=WEEKLY)} == before
    world.clock.set(sh(2026, 12, 1, 9, 0))  # Tuesday: the week's first working day
    sweep_digests(world.ctx)
    new = [n for n in world.notifications(kind=WEEKLY) if n.key not in before]
    assert len(new) == 5 and all(n.params["first"] == "2026-11-23" for n in new)
    # and the first working day of December brings November's bulletin to the officials
    bulletins = [n for n in world.notifications(kind="digest.monthly") if n.params["first"] == "2026-11-01"]
    assert {n.person_id for n in bulletins} == {world.pid(WU_STREET), world.pid(ZHENG_BUREAU)}


def test_a_restart_on_the_day_sends_nothing_twice(world: World, database_url: str) -> None:
    world.clock.set(sh(2026, 11, 23, 9, 1))
    # five weekly digests; no October bulletin: the estates joined on 9 November
    assert len(sweep_digests(world.ctx).queued) == 5
    before = [n.key for n in world.notifications()]
    engine = make_engine(database_url)  # the bot started again: a fresh engine, nothing in memory
    try:
        restarted = replace(world.ctx, uow=unit_of_work(engine))
        world.clock.set(sh(2026, 11, 23, 11))
        assert sweep_digests(restarted).queued == []
    finally:
        engine.dispose()
    assert [n.key for n in world.notifications()] == before


def test_the_bulletin_ranks_estates_and_companies_and_leaves_small_samples_unranked(world: World) -> None:
    world.clock.set(sh(2026, 12, 1, 9))
    sweep_digests(world.ctx)
    [bureau] = [
        n.params
        for n in world.notifications(kind="digest.monthly")
        if n.person_id == world.pid(ZHENG_BUREAU) and n.params["first"] == "2026-11-01"
    ]
    # November's cases are too few to rank anyone (minimum 5): counted apart, no places
    assert bureau["estates"] == {"ranked": [], "of": 0, "unranked": 3}
    assert bureau["companies"] == {"ranked": [], "of": 0, "unranked": 2}
    with world.ctx.uow() as uow:
        uow.settings.put("supervision", {"min_sample": 1})
        uow.commit()
    with world.ctx.uow() as uow:  # a bulletin already queued stays as it was
        assert uow.notifications.exists(world.notifications(kind="digest.monthly")[-1].key)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_instances_at_once_on_postgresql_queue_each_digest_once(world: World, database_url: str) -> None:
    world.clock.set(sh(2026, 11, 23, 9, 0))
    engines = [make_engine(database_url) for _ in range(2)]
    reports: list[DigestReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(ctx: Context) -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(sweep_digests(ctx))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=work, args=(replace(world.ctx, uow=unit_of_work(e)),)) for e in engines
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for e in engines:
            e.dispose()
    assert not errors, errors
    assert sum(r.failed for r in reports) == 0
    digests = [n for n in world.notifications() if n.kind.startswith("digest.")]
    assert len(digests) == 5 and len({n.key for n in digests}) == 5  # weekly: they joined in November
    assert sum(len(r.queued) for r in reports) == 5  # between them, each queued by one of the two


def test_an_area_loaded_today_gets_no_digest_of_the_weeks_and_months_before_it_joined(engine: Engine) -> None:
    """A new deployment: the first thing its officials and managers are sent is not a round of zeros
    about the week and the month before wuye knew their estates."""
    fresh = build_world(engine, sh(2026, 12, 7, 8, 30))  # loaded on a Monday morning
    fresh.clock.set(sh(2026, 12, 7, 9, 0))  # the weekly round and November's bulletin come due
    report = sweep_digests(fresh.ctx)
    assert report.queued == [] and fresh.notifications(kind=WEEKLY) == []
    fresh.clock.set(sh(2026, 12, 14, 9, 0))  # the first week it was there: told
    assert sweep_digests(fresh.ctx).queued
