"""Night and holidays through the sweep on a real database (examples/setup.yaml, office hours
09:00-18:00): an ordinary or urgent report at night pings nobody until the office opens; an emergency
pings at once, the assignee and the estate's on-call people (sun-security at 海滨花园), and its
escalation reaches the on-call people beside the manager; the setup file's on_call is checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.status import oldest_wait
from bot.documents.setup_file import read_setup
from handlers.rules.categories import Category, Urgency
from handlers.services.ladder import sweep
from handlers.services.setup import apply_setup
from handlers.services.setup_document import SetupError
from tests.service.world import (
    LI_REPAIR,
    SETUP,
    SUN_SECURITY,
    WANG_MANAGER,
    ZHAO_REPAIR,
    World,
    build_world,
    sh,
)

NIGHT = sh(2026, 11, 24, 23)  # Tuesday 23:00, a working day
MORNING = sh(2026, 11, 25, 9)  # Wednesday, when the office opens


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, NIGHT)


def run(world: World) -> list[tuple[str, str]]:
    report = sweep(world.ctx)
    assert report.failed == 0
    return report.steps


def due_now(world: World, ticket_id: int) -> list[tuple[str, int]]:
    """What the outbox would send now about the ticket: (kind, person id)."""
    now = world.clock.now()
    return [
        (n.kind, n.person_id)
        for n in world.notifications(ticket_id)
        if n.sent_at is None and (n.not_before is None or n.not_before <= now)
    ]


def test_an_urgent_report_at_night_pings_nobody_until_the_office_opens(world: World) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.URGENT)  # the example: 1h / 12h
    tid, number = ticket.id or 0, ticket.number
    assert ticket.ack_due_at == sh(2026, 11, 25, 0)  # the limit is still one clock hour
    assert run(world) == []
    assert due_now(world, tid) == []  # the assignee's card waits in the outbox
    [card] = world.notifications(tid, "ticket.assigned")
    assert card.not_before == MORNING
    assert oldest_wait(world.ctx) is None  # a card held for the morning is not a late message
    world.clock.set(sh(2026, 11, 25, 0))  # the very moment the hour to acknowledge runs out
    assert run(world) == []
    for hour in (0, 1, 3, 8):
        world.clock.set(sh(2026, 11, 25, hour, 59))
        assert run(world) == []
        assert due_now(world, tid) == []
    assert world.ticket(tid).next_action_at == MORNING
    world.clock.set(MORNING)
    assert due_now(world, tid) == [("ticket.assigned", card.person_id)]
    # Half of its 12 hours (05:00) and the hour to acknowledge (00:00) both came at night: now.
    assert run(world) == [(number, "escalate/manager"), (number, "remind_half")]
    assert world.recipients(tid, "ticket.escalated") == {world.pid(WANG_MANAGER)}
    assert world.recipients(tid, "ticket.on_call") == set()
    assert run(world) == []  # the same moment twice: nothing new


def test_after_downtime_at_night_what_came_due_by_day_waits_for_the_morning(world: World) -> None:
    # fire_safety/ordinary in the example: acknowledge within 4 working hours.
    world.clock.set(sh(2026, 11, 24, 13))
    late = world.report(category=Category.FIRE_SAFETY)
    world.clock.set(sh(2026, 11, 24, 14))
    on_time = world.report(category=Category.FIRE_SAFETY)
    assert run(world) == []
    assert (late.ack_due_at, on_time.ack_due_at) == (sh(2026, 11, 24, 17), sh(2026, 11, 24, 18))
    # The sweep finds the closing-time step a few minutes late: it goes out; the one due at 17:00,
    # found at 18:05 after the bot was down, waits for the morning.
    world.clock.set(sh(2026, 11, 24, 18, 5))
    assert run(world) == [(on_time.number, "escalate/manager")]
    assert world.ticket(late.id or 0).next_action_at == MORNING
    world.clock.set(sh(2026, 11, 24, 23))
    assert run(world) == []
    world.clock.set(MORNING)
    assert run(world) == [(late.number, "escalate/manager")]


def test_an_emergency_at_night_pings_the_assignee_and_the_on_call_people_at_once(world: World) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.EMERGENCY)  # 1h / 2h, pings at night
    tid, number = ticket.id or 0, ticket.number
    sun, wang = world.pid(SUN_SECURITY), world.pid(WANG_MANAGER)
    assert ticket.assignee_id in {world.pid(LI_REPAIR), world.pid(ZHAO_REPAIR)}
    assert sorted(due_now(world, tid)) == sorted(
        [("ticket.assigned", ticket.assignee_id or 0), ("ticket.on_call", sun)]
    )
    world.clock.set(sh(2026, 11, 25, 0))  # not acknowledged within the hour, half of the 2 hours gone
    assert run(world) == [(number, "escalate/manager"), (number, "remind_half")]
    assert world.recipients(tid, "ticket.escalated") == {wang, sun}


def test_by_day_an_emergency_goes_to_the_assignee_and_the_manager_only(world: World) -> None:
    world.clock.set(sh(2026, 11, 24, 10))
    ticket = world.report(category=Category.LIFT, urgency=Urgency.EMERGENCY)
    tid = ticket.id or 0
    assert due_now(world, tid) == [("ticket.assigned", ticket.assignee_id or 0)]
    world.clock.set(sh(2026, 11, 24, 11))
    run(world)
    assert world.recipients(tid, "ticket.escalated") == {world.pid(WANG_MANAGER)}


def test_a_policy_marked_after_hours_ping_pings_at_night(world: World) -> None:
    # water_power_out/urgent in the example: 2h, after_hours: ping.
    ticket = world.report(category=Category.WATER_POWER_OUT, urgency=Urgency.URGENT)
    tid, number = ticket.id or 0, ticket.number
    # Whatever pings at night, pings the on-call people too: they are the ones awake.
    assert sorted(due_now(world, tid)) == sorted(
        [("ticket.assigned", ticket.assignee_id or 0), ("ticket.on_call", world.pid(SUN_SECURITY))]
    )
    world.clock.set(sh(2026, 11, 25, 1))
    assert run(world) == [(number, "escalate/manager")]
    assert world.recipients(tid, "ticket.escalated") == {world.pid(WANG_MANAGER), world.pid(SUN_SECURITY)}


def _example_with_on_call(value: str) -> dict[str, list]:  # type: ignore[type-arg]
    doc = read_setup(SETUP)
    [haibin] = [e for e in doc["estates"] if e.data["key"] == "haibin"]
    haibin.data["on_call"] = [value]
    return doc


def test_an_unknown_person_on_call_is_one_line_naming_them_and_loads_nothing(engine: Engine) -> None:
    world = build_world(engine, NIGHT)
    with world.ctx.uow() as uow:
        before = [(e.key, e.on_call) for e in uow.estates.all()], len(uow.people.all())
    doc = _example_with_on_call("nobody-here")
    with pytest.raises(SetupError) as raised:
        apply_setup(world.ctx, doc)
    line = next(e for e in doc["estates"] if e.data["key"] == "haibin").line_of("on_call")
    assert str(raised.value) == f"line {line}: estates.on_call: unknown person 'nobody-here'"
    # Someone known who does not work at the estate is refused too, by name.
    with pytest.raises(
        SetupError, match=r"estates.on_call: 'xu-repair' is not staff or a manager of 'haibin'"
    ):
        apply_setup(world.ctx, _example_with_on_call("xu-repair"))
    with world.ctx.uow() as uow:
        assert ([(e.key, e.on_call) for e in uow.estates.all()], len(uow.people.all())) == before
    assert ("haibin", ["sun-security"]) in before[0]


def test_a_reload_without_on_call_leaves_nobody_on_call(world: World) -> None:
    doc = read_setup(SETUP)
    doc["estates"] = [
        replace(e, data={k: v for k, v in e.data.items() if k != "on_call"}) for e in doc["estates"]
    ]
    apply_setup(world.ctx, doc)
    ticket = world.report(category=Category.LIFT, urgency=Urgency.EMERGENCY)
    assert world.recipients(ticket.id or 0, "ticket.on_call") == set()
    world.clock.set(NIGHT + timedelta(hours=1))
    run(world)
    assert world.recipients(ticket.id or 0, "ticket.escalated") == {world.pid(WANG_MANAGER)}


def test_someone_on_call_whose_role_stopped_is_not_pinged(world: World) -> None:
    sun = world.pid(SUN_SECURITY)
    with world.ctx.uow() as uow:
        for role in uow.roles.of_person(sun):
            role.active = False
            uow.roles.save(role)
        uow.commit()
    ticket = world.report(category=Category.LIFT, urgency=Urgency.EMERGENCY)
    assert world.recipients(ticket.id or 0, "ticket.on_call") == set()
