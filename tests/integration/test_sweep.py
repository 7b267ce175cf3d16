"""The ladder sweep on a real database: each due step happens exactly once, in order, to the right
people, also after downtime and with two sweeps at once on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine

from handlers.domain.notifications import CardMessage, GroupBinding
from handlers.rules.categories import Category
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import RUNG_ORDER, Rung
from handlers.services import supervision, tickets
from handlers.services.context import Context
from handlers.services.errors import UserError
from handlers.services.ladder import SweepReport, sweep
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.service.world import (
    FENG_CHENGGUAN,
    LI_REPAIR,
    LIU_COMMUNITY,
    START,
    WANG_MANAGER,
    WU_STREET,
    ZHANG_OWNER,
    ZHENG_BUREAU,
    World,
    build_world,
    sh,
    unit_of_work,
)


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, START)


def run(world: World) -> list[tuple[str, str]]:
    report = sweep(world.ctx)
    assert report.failed == 0
    return report.steps


def escalations(world: World, ticket_id: int) -> list[str]:
    return [e.data["rung"] for e in world.events(ticket_id) if e.event is Event.ESCALATE]


def reminders(world: World, ticket_id: int) -> list[str]:
    return [e.data["action"] for e in world.events(ticket_id) if e.event is Event.REMIND]


def test_a_due_ticket_escalates_exactly_once_when_the_sweep_runs_twice(
    world: World,
) -> None:
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    assert run(world) == []  # at once: the sweep only plans the ticket's next moment
    assert world.ticket(tid).next_action_at == sh(2026, 11, 24, 10)  # not acknowledged in a working day
    world.clock.set(sh(2026, 11, 24, 9, 59))
    assert run(world) == []
    world.clock.set(sh(2026, 11, 24, 10))
    assert run(world) == [(number, "escalate/manager")]
    outbox = world.notifications()
    assert len(outbox) == 2  # the assignment card to 李师傅, the escalation card to 王建国
    events = world.events(tid)
    assert run(world) == []  # the second run at the same moment
    assert [(n.key, n.params) for n in world.notifications()] == [(n.key, n.params) for n in outbox]
    assert world.events(tid) == events
    assert escalations(world, tid) == ["manager"]
    assert world.ticket(tid).rung == RUNG_ORDER.index(Rung.MANAGER)
    assert world.recipients(tid, "ticket.escalated") == {world.pid(WANG_MANAGER)}
    # A later sweep (the half-time reminder at 11-26 14:30 is next) still does not repeat the rung.
    world.clock.set(sh(2026, 11, 26, 15))
    assert run(world) == [(number, "remind_half")]
    assert escalations(world, tid) == ["manager"]


def test_after_downtime_every_step_that_came_due_happens_once_in_order(
    world: World,
) -> None:
    zhang, li, wang = (
        world.pid(ZHANG_OWNER),
        world.pid(LI_REPAIR),
        world.pid(WANG_MANAGER),
    )
    liu, wu, zheng = (
        world.pid(LIU_COMMUNITY),
        world.pid(WU_STREET),
        world.pid(ZHENG_BUREAU),
    )
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    assert ticket.due_at == sh(2026, 12, 2, 10)
    # Down from the moment the ticket was opened until Monday 12-21 10:30, four weeks later.
    world.clock.set(sh(2026, 12, 21, 10, 30))
    assert run(world) == [
        (number, "escalate/manager"),  # ack limit 11-24 10:00
        (number, "escalate/community"),  # deadline 12-02 10:00
        (number, "escalate/street"),  # +3 working days: 12-07 10:00
        (number, "escalate/bureau"),  # +5 working days: 12-09 10:00
        (number, "remind_deadline"),  # the reminders that piled up collapse into one
    ]
    assert escalations(world, tid) == ["manager", "community", "street", "bureau"]
    assert reminders(world, tid) == ["remind_deadline"]
    after = world.ticket(tid)
    assert after.supervised and after.rung == RUNG_ORDER.index(Rung.BUREAU)  # 挂牌督办
    assert after.status is Status.ASSIGNED  # escalation records, it does not move the status
    # Each rung's people got the card, once each.
    escalated = world.notifications(tid, "ticket.escalated")
    by_rung = {(n.params["rung"], n.person_id) for n in escalated}
    assert by_rung == {
        ("manager", wang),
        ("community", liu),
        ("street", wu),
        ("bureau", zheng),
    }
    assert len(escalated) == 4
    assert world.recipients(tid, "ticket.supervised") == {zhang}  # the owner learns of listed supervision
    assert world.recipients(tid, "ticket.reminder") == {li}
    # Nothing repeats; the next thing is tomorrow morning's overdue reminder.
    assert run(world) == []
    assert world.ticket(tid).next_action_at == sh(2026, 12, 22, 9)
    world.clock.set(sh(2026, 12, 22, 9))
    assert run(world) == [(number, "remind_overdue")]
    assert run(world) == []
    assert escalations(world, tid) == ["manager", "community", "street", "bureau"]
    assert reminders(world, tid) == ["remind_deadline", "remind_overdue"]
    keys = [n.key for n in world.notifications()]
    assert len(keys) == len(set(keys))


def test_the_daily_overdue_reminder_waits_for_the_morning_and_skips_holidays(
    world: World,
) -> None:
    li = world.pid(LI_REPAIR)
    world.clock.set(sh(2026, 9, 18, 10))  # Friday before the autumn holidays
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    tickets.acknowledge(world.ctx, li, tid)
    assert ticket.due_at == sh(2026, 9, 29, 10)  # the make-up Sunday 09-20 counts, Mid-autumn does not
    world.clock.set(sh(2026, 9, 29, 10))
    steps = run(world)
    assert steps[:1] == [(number, "escalate/community")] and steps[-1] == (
        number,
        "remind_deadline",
    )
    world.clock.set(sh(2026, 9, 30, 9))
    assert run(world) == [(number, "remind_overdue")]
    # Through the National Day week nothing is sent, day or night.
    for day in range(1, 8):
        for hour in (3, 9, 15):
            world.clock.set(sh(2026, 10, day, hour))
            assert run(world) == [], (day, hour)
    world.clock.set(sh(2026, 10, 8, 9))
    assert run(world) == [(number, "remind_overdue")]
    # Caught up in the middle of the night after a long outage: an ordinary case pings nobody at
    # night, so the rungs that came due meanwhile and the reminder all wait for 09:00.
    world.clock.set(sh(2026, 10, 13, 2))
    assert run(world) == []
    assert world.ticket(tid).next_action_at == sh(2026, 10, 13, 9)
    assert run(world) == []
    world.clock.set(sh(2026, 10, 13, 9))
    assert run(world) == [
        (number, "escalate/street"),
        (number, "escalate/bureau"),
        (number, "remind_overdue"),
    ]
    overdue = [
        e.at for e in world.events(tid) if e.event is Event.REMIND and e.data["action"] == "remind_overdue"
    ]
    assert overdue == [sh(2026, 9, 30, 9), sh(2026, 10, 8, 9), sh(2026, 10, 13, 9)]
    assert len(world.notifications(tid, "ticket.reminder")) == len(reminders(world, tid))


def test_rungs_reach_the_bound_groups(world: World) -> None:
    """A staff group bound to the estate gets the manager rung; a community's group gets its rung."""
    liu, wang = world.pid(LIU_COMMUNITY), world.pid(WANG_MANAGER)
    with world.ctx.uow() as uow:
        community, estate = uow.offices.by_key("lianhua-community"), uow.estates.by_key("haibin")
        assert community is not None and estate is not None
        uow.groups.put(
            GroupBinding(chat_id=-1001234, person_id=liu, created_at=START, office_id=community.id)
        )
        uow.groups.put(GroupBinding(chat_id=-1005678, person_id=wang, created_at=START, estate_id=estate.id))
        uow.commit()
    ticket = world.report()
    tid = ticket.id or 0
    world.clock.set(sh(2026, 11, 24, 10))
    assert [step for _, step in run(world)] == ["escalate/manager"]
    world.clock.set(sh(2026, 12, 2, 10))
    assert [step for _, step in run(world)] == ["escalate/community", "remind_deadline"]
    escalated = world.notifications(tid, "ticket.escalated")
    assert {(n.params["rung"], n.person_id, n.chat_id) for n in escalated} == {
        ("manager", wang, None),
        ("manager", wang, -1005678),
        ("community", liu, None),
        ("community", liu, -1001234),
    }
    assert len(escalated) == 4
    # The street has no group: only its official.
    world.clock.set(sh(2026, 12, 7, 10))
    run(world)
    street = [n for n in world.notifications(tid, "ticket.escalated") if n.params["rung"] == "street"]
    assert [(n.person_id, n.chat_id) for n in street] == [(world.pid(WU_STREET), None)]


def test_resolving_stops_the_ladder_and_the_quiet_period_closes_it(
    world: World,
) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    tickets.acknowledge(world.ctx, li, tid)
    world.clock.set(sh(2026, 11, 25, 16))
    tickets.resolve(world.ctx, li, tid, "已修好")
    assert run(world) == []
    assert world.ticket(tid).next_action_at == sh(2026, 11, 30, 16)  # 3 working days of quiet
    world.clock.set(sh(2026, 11, 30, 15, 59))
    assert run(world) == []  # the deadline 12-02 is not reached, and no reminders for a resolved ticket
    world.clock.set(sh(2026, 12, 21, 10))  # long after the deadline and every rung's moment
    assert run(world) == [(number, "close_unconfirmed")]
    closed = world.ticket(tid)
    assert closed.status is Status.CLOSED_UNCONFIRMED and closed.next_action_at is None
    assert closed.closed_at == world.clock.now()
    assert escalations(world, tid) == [] and reminders(world, tid) == []
    assert world.recipients(tid, "ticket.closed_unconfirmed") == {zhang}
    last = world.events(tid)[-1]
    assert (last.event, last.from_status, last.to_status) == (
        Event.CLOSE_UNCONFIRMED,
        Status.RESOLVED,
        Status.CLOSED_UNCONFIRMED,
    )
    assert run(world) == []
    with pytest.raises(UserError):
        tickets.confirm(world.ctx, zhang, tid)


def test_waiting_for_the_owner_pauses_the_ladder(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    tickets.acknowledge(world.ctx, li, tid)
    tickets.ask_owner(world.ctx, li, tid, "几号梯？")
    world.clock.set(sh(2026, 12, 21, 10))  # weeks of silence from the owner
    assert run(world) == []
    assert escalations(world, tid) == [] and reminders(world, tid) == []
    tickets.owner_reply(world.ctx, zhang, tid, "2号梯")
    # The deadline moved on by the office time spent waiting: four weeks, 20 working days.
    assert world.ticket(tid).due_at == sh(2026, 12, 30, 10)
    # Only the half-time reminder has come due on the moved clock; no rung was climbed.
    assert run(world) == [(number, "remind_half")]
    assert escalations(world, tid) == []


def test_reopening_starts_a_fresh_ladder(world: World) -> None:
    zhang, wang = world.pid(ZHANG_OWNER), world.pid(WANG_MANAGER)
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    world.clock.set(sh(2026, 12, 21, 10))
    run(world)
    assert world.ticket(tid).supervised
    li = world.pid(LI_REPAIR)
    tickets.acknowledge(world.ctx, li, tid)
    tickets.resolve(world.ctx, li, tid, "已修好")
    world.clock.set(sh(2026, 12, 22, 10))
    reopened = tickets.reopen(world.ctx, zhang, tid, "还是坏的")
    assert (reopened.cycle, reopened.rung, reopened.supervised) == (2, 0, False)
    run(world)
    assert world.ticket(tid).next_action_at == sh(2026, 12, 23, 10)  # the fresh acknowledgement limit
    world.clock.set(sh(2026, 12, 23, 10))
    assert run(world) == [(number, "escalate/manager")]
    manager_cards = [n for n in world.notifications(tid, "ticket.escalated") if n.person_id == wang]
    assert [(":c1:" in n.key, ":c2:" in n.key) for n in manager_cards] == [
        (True, False),
        (False, True),
    ]
    assert escalations(world, tid) == [
        "manager",
        "community",
        "street",
        "bureau",
        "manager",
    ]


def test_acknowledging_in_time_spares_the_manager(world: World) -> None:
    ticket = world.report()
    tid = ticket.id or 0
    tickets.acknowledge(world.ctx, world.pid(LI_REPAIR), tid)
    world.clock.set(sh(2026, 12, 2, 10))
    steps = [s for _, s in run(world)]
    assert "escalate/manager" not in steps and "escalate/community" in steps
    assert escalations(world, tid) == ["community"]


def sweep_concurrently(contexts: list[Context]) -> list[SweepReport]:
    """One sweep per context, in threads released at the same instant."""
    barrier = threading.Barrier(len(contexts))
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def work(ctx: Context) -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(sweep(ctx))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(ctx,)) for ctx in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    return reports


@pytest.mark.parametrize(
    "database_url",
    [pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_two_sweeps_at_once_on_postgresql_escalate_each_ticket_once(world: World, database_url: str) -> None:
    numbers = [world.report(description=f"第{i}号楼电梯故障").number for i in range(12)]
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        contexts = [replace(world.ctx, uow=unit_of_work(e)) for e in engines]
        for moment in (
            START,
            sh(2026, 11, 24, 10),
            sh(2026, 12, 21, 10, 30),
            sh(2026, 12, 22, 9),
        ):
            world.clock.set(moment)
            reports = sweep_concurrently(contexts)
            assert len(reports) == 2
            assert all(r.failed == 0 for r in reports)
            steps = Counter(step for r in reports for step in r.steps)
            assert all(count == 1 for count in steps.values()), steps
        with world.ctx.uow() as uow:
            ids = [t.id or 0 for n in numbers if (t := uow.tickets.by_number(n)) is not None]
        assert len(ids) == len(numbers)
        for tid in ids:
            assert escalations(world, tid) == [
                "manager",
                "community",
                "street",
                "bureau",
            ]
            assert reminders(world, tid) == ["remind_deadline", "remind_overdue"]
        keys = [n.key for n in world.notifications()]
        assert len(keys) == len(set(keys))
        assert len(world.notifications(kind="ticket.escalated")) == 4 * len(numbers)
    finally:
        for engine in engines:
            engine.dispose()


def test_across_the_new_year_into_a_year_without_holiday_data(world: World) -> None:
    li = world.pid(LI_REPAIR)
    world.clock.set(sh(2026, 12, 24, 10))
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    tickets.acknowledge(world.ctx, li, tid)
    assert ticket.due_at == sh(2027, 1, 5, 10) and ticket.deadline_provisional
    world.clock.set(sh(2026, 12, 31, 18))
    run(world)  # the half-time and before reminders, whatever came due in 2026
    world.clock.set(sh(2027, 1, 1, 9))  # New Year's Day: a holiday by the setup file's override
    assert run(world) == []
    world.clock.set(sh(2027, 1, 5, 10))
    assert run(world) == [(number, "escalate/community"), (number, "remind_deadline")]
    world.clock.set(sh(2027, 1, 6, 9))
    assert run(world) == [(number, "remind_overdue")]
    world.clock.set(sh(2027, 1, 8, 10))  # +3 working days, Monday to Friday assumed
    # no sweep ran on the 7th: the missed morning reminders collapse into one
    assert run(world) == [(number, "escalate/street"), (number, "remind_overdue")]
    world.clock.set(sh(2027, 1, 12, 10))  # +5 working days (the weekend does not count)
    steps = run(world)
    assert steps[0] == (number, "escalate/bureau")
    assert world.ticket(tid).supervised
    assert escalations(world, tid) == ["community", "street", "bureau"]


def test_after_an_extension_the_reminders_start_over_and_are_delivered(world: World) -> None:
    li, liu = world.pid(LI_REPAIR), world.pid(LIU_COMMUNITY)
    ticket = world.report()
    tid, number = ticket.id or 0, ticket.number
    tickets.acknowledge(world.ctx, li, tid)
    world.clock.set(sh(2026, 11, 26, 15))
    assert run(world) == [(number, "remind_half")]
    supervision.request_extension(world.ctx, li, tid, 5)
    supervision.decide_extension(world.ctx, liu, tid, True)
    assert world.ticket(tid).due_at == sh(2026, 12, 9, 10)
    # Against the new deadline: half time again, one working day before, the deadline itself.
    seen = []
    for moment in (sh(2026, 12, 1, 12), sh(2026, 12, 8, 10), sh(2026, 12, 9, 10)):
        world.clock.set(moment)
        seen += [step for _, step in run(world)]
    assert seen == ["remind_half", "remind_before", "escalate/community", "remind_deadline"]
    # Every reminder recorded on the ticket reached the assignee: one message per reminder event.
    assert reminders(world, tid) == ["remind_half", "remind_half", "remind_before", "remind_deadline"]
    assert len(world.notifications(tid, "ticket.reminder")) == 4


def test_once_a_case_is_transferred_to_a_department_its_reminders_go_to_the_department(world: World) -> None:
    liu, feng = world.pid(LIU_COMMUNITY), world.pid(FENG_CHENGGUAN)
    ticket = world.report(category=Category.COMMON_SPACE, description="楼下空地被违章搭建占用")
    tid, assignee = ticket.id or 0, ticket.assignee_id
    assert assignee is not None
    tickets.acknowledge(world.ctx, assignee, tid)
    world.clock.set(sh(2026, 11, 26, 11))
    tickets.transfer_department(world.ctx, liu, tid, "siming-chengguan", "违章搭建，请城管处理")
    assert world.ticket(tid).due_at == sh(2026, 12, 17, 11)  # the department's own deadline
    run(world)
    # half the department's time (7.5 working days) has passed: the department must report, so it is
    # the department that is reminded, not the company's staff member who can no longer close it
    world.clock.set(sh(2026, 12, 8, 12))
    assert [step for _, step in run(world)] == ["remind_half"]
    assert world.recipients(tid, "ticket.reminder") == {feng}
    world.clock.set(sh(2026, 12, 17, 11))
    assert "remind_deadline" in [step for _, step in run(world)]
    assert world.recipients(tid, "ticket.reminder") == {feng}
    assert reminders(world, tid) == ["remind_half", "remind_deadline"]


def test_every_rung_refreshes_the_cards_people_hold(world: World) -> None:
    """The card each person received is edited in place as the ticket climbs: one refresh per change."""
    li = world.pid(LI_REPAIR)
    ticket = world.report()
    tid = ticket.id or 0
    with world.ctx.uow() as uow:
        uow.cards.add(
            CardMessage(ticket_id=tid, person_id=li, chat_id=ZHANG_OWNER + 1, message_id=7, created_at=START)
        )
        uow.commit()
    tickets.acknowledge(world.ctx, li, tid)
    tickets.start_work(world.ctx, li, tid)
    refreshes = len(world.notifications(tid, "card.refresh"))
    assert refreshes == 2  # acknowledged, started
    world.clock.set(sh(2026, 12, 2, 10))
    assert [step for _, step in run(world)] == ["escalate/community", "remind_deadline"]
    assert len(world.notifications(tid, "card.refresh")) == refreshes + 1  # the rung shows on the card
    world.clock.set(sh(2026, 12, 7, 10))
    assert [step for _, step in run(world)] == ["escalate/street", "remind_overdue"]
    assert len(world.notifications(tid, "card.refresh")) == refreshes + 2


class CrashAtCommit(SqlUnitOfWork):
    def commit(self) -> None:
        raise RuntimeError("killed before commit")


def test_a_sweep_that_dies_before_commit_leaves_no_trace_and_the_next_one_does_the_work(world: World) -> None:
    ticket = world.report()
    tid = ticket.id or 0
    world.clock.set(sh(2026, 12, 21, 10, 30))
    before = world.snapshot(tid)
    report = sweep(replace(world.ctx, uow=unit_of_work(world.engine, CrashAtCommit)))
    assert report.failed == 1 and report.steps == []
    assert world.snapshot(tid) == before  # no rung, no event, no message
    assert [step for _, step in run(world)] == [
        "escalate/manager",
        "escalate/community",
        "escalate/street",
        "escalate/bureau",
        "remind_deadline",
    ]
    assert run(world) == [] and escalations(world, tid) == ["manager", "community", "street", "bureau"]
