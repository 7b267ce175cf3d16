"""Every use case that moves a ticket, tried in every status a ticket can rest in, on a real database:
the legal ones land where the lifecycle table says and write exactly one event each; the illegal ones
are refused with nothing changed (ticket row, event log and outbox). Then every event there is (notes,
extensions, department returns and handovers included), through its use case, in every status: the
lifecycle table is the only way a ticket changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from handlers.domain.ticket import Move, Ticket
from handlers.rules.categories import Category, Urgency
from handlers.rules.lifecycle import NOTES, TRANSITIONS, Event, IllegalTransition, Status, next_status
from handlers.rules.policy import Rung
from handlers.services import membership, supervision, tickets
from handlers.services.errors import Conflict, UserError
from handlers.services.tickets.records import log_event
from tests.service.world import (
    CHEN_SERVICE,
    FENG_CHENGGUAN,
    LIU_COMMUNITY,
    WANG_MANAGER,
    ZHANG_OWNER,
    ZHAO_REPAIR,
    World,
)

Action = Callable[[World, Ticket], object]


def handler(world: World, ticket: Ticket) -> int:
    """Whoever may handle it now: the department while it has the case (吹哨报到), else the assignee."""
    return world.pid(FENG_CHENGGUAN) if ticket.status is Status.TRANSFERRED else ticket.assignee_id or 0


# Each use case, the lifecycle event it applies, and the person entitled to do it.
ACTIONS: dict[Event, Action] = {
    Event.ASSIGN: lambda w, t: tickets.assign(w.ctx, w.pid(WANG_MANAGER), t.id or 0, w.pid(ZHAO_REPAIR)),
    Event.ACKNOWLEDGE: lambda w, t: tickets.acknowledge(w.ctx, handler(w, t), t.id or 0),
    Event.START: lambda w, t: tickets.start_work(w.ctx, handler(w, t), t.id or 0),
    Event.ASK_OWNER: lambda w, t: tickets.ask_owner(w.ctx, handler(w, t), t.id or 0, "在家吗？"),
    Event.OWNER_REPLY: lambda w, t: tickets.owner_reply(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, "在家"),
    Event.RESOLVE: lambda w, t: tickets.resolve(w.ctx, handler(w, t), t.id or 0, "已修好"),
    Event.CONFIRM: lambda w, t: tickets.confirm(w.ctx, w.pid(ZHANG_OWNER), t.id or 0),
    Event.REOPEN: lambda w, t: tickets.reopen(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, "还是坏的"),
    Event.CLOSE_UNCONFIRMED: lambda w, t: tickets.close_unconfirmed(w.ctx, t.id or 0),
    Event.REJECT: lambda w, t: tickets.reject(w.ctx, handler(w, t), t.id or 0, "不属于物业服务范围"),
    Event.TRANSFER_DEPARTMENT: lambda w, t: tickets.transfer_department(
        w.ctx, w.pid(LIU_COMMUNITY), t.id or 0, "siming-chengguan", "请城管处理"
    ),
    Event.WITHDRAW: lambda w, t: tickets.withdraw(w.ctx, w.pid(ZHANG_OWNER), t.id or 0),
    Event.RATE: lambda w, t: tickets.rate(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, 4),
}

# How to bring a fresh ticket into each status a ticket can rest in (NEW needs an estate without
# staff or managers, and REOPENED is reassigned in the same transaction: neither rests).
PATHS: dict[Status, list[Event]] = {
    Status.ASSIGNED: [],
    Status.ACKNOWLEDGED: [Event.ACKNOWLEDGE],
    Status.IN_PROGRESS: [Event.ACKNOWLEDGE, Event.START],
    Status.WAITING_OWNER: [Event.ACKNOWLEDGE, Event.ASK_OWNER],
    Status.RESOLVED: [Event.ACKNOWLEDGE, Event.RESOLVE],
    Status.CLOSED: [Event.ACKNOWLEDGE, Event.RESOLVE, Event.CONFIRM],
    Status.CLOSED_UNCONFIRMED: [Event.ACKNOWLEDGE, Event.RESOLVE, Event.CLOSE_UNCONFIRMED],
    Status.REJECTED: [Event.REJECT],
    Status.TRANSFERRED: [Event.TRANSFER_DEPARTMENT],
    Status.WITHDRAWN: [Event.WITHDRAW],
}
# Follow-up events a use case records in the same transaction (reopening hands the ticket back).
CHAINED: dict[Event, list[Event]] = {Event.REOPEN: [Event.ASSIGN]}


def ticket_in(world: World, status: Status) -> Ticket:
    ticket = world.report(description="电梯门关不上，一直报警")
    for event in PATHS[status]:
        ACTIONS[event](world, ticket)
        ticket = world.ticket(ticket.id or 0)
    assert ticket.status is status
    return ticket


def test_every_resting_status_has_a_path() -> None:
    assert set(PATHS) == set(Status) - {Status.NEW, Status.REOPENED}


@pytest.mark.parametrize("status", list(PATHS), ids=lambda s: s.value)
def test_every_use_case_in_every_status(world: World, status: Status) -> None:
    for event, action in ACTIONS.items():
        ticket = ticket_in(world, status)
        tid = ticket.id or 0
        before = world.snapshot(tid)
        try:
            expected: Status | None = next_status(status, event)
        except IllegalTransition:
            expected = None
        if expected is None:
            with pytest.raises(UserError) as caught:
                action(world, ticket)
            if isinstance(caught.value, Conflict):  # 签收 twice: told who took it
                assert event is Event.ACKNOWLEDGE and caught.value.code == "already_acknowledged"
            else:
                assert caught.value.code == "illegal_transition", (status, event, caught.value)
            assert world.snapshot(tid) == before, (status, event)
            continue
        action(world, ticket)
        after = world.ticket(tid)
        chain = [event, *CHAINED.get(event, [])]
        landed = expected
        for follow in chain[1:]:
            landed = next_status(landed, follow)
        assert after.status is landed, (status, event)
        new_events = world.events(tid)[len(before[1]) :]
        assert [e.event for e in new_events] == chain, (status, event)
        assert new_events[0].from_status is status and new_events[0].to_status is expected


# ---- every event, in every status, on a ticket put straight into that status -----------------------
def _system(act: Callable[[Ticket, datetime], Move]) -> Action:
    """What the system does without a use case of its own: the ticket's act, logged and saved."""

    def run(world: World, t: Ticket) -> None:
        now = world.clock.now()
        with world.ctx.uow() as uow:
            ticket = uow.tickets.get(t.id or 0)
            assert ticket is not None
            log_event(uow, ticket, lambda t: act(t, now), None)
            uow.tickets.save(ticket)
            uow.commit()

    return run


def _handover(world: World, t: Ticket) -> None:
    with world.ctx.uow() as uow:
        ticket = uow.tickets.get(t.id or 0)
        assert ticket is not None
        membership.hand_to_company(world.ctx, uow, ticket, world.clock.now(), Event.HANDOVER)
        uow.commit()


EVERY_EVENT: dict[Event, Action] = {
    **ACTIONS,
    Event.RETURN_TO_COMPANY: lambda w, t: membership.return_to_company(
        w.ctx, w.pid(FENG_CHENGGUAN), t.id or 0, "这不属于城管的职责范围"
    ),
    Event.HANDOVER: _handover,
    Event.ADD_PHOTO: lambda w, t: tickets.add_photo(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, "photo", None),
    Event.COMMENT: lambda w, t: supervision.comment(w.ctx, w.pid(LIU_COMMUNITY), t.id or 0, "请尽快处理"),
    Event.URGE: lambda w, t: supervision.urge(w.ctx, w.pid(LIU_COMMUNITY), t.id or 0, "请今天处理"),
    Event.EXTENSION_REQUEST: lambda w, t: supervision.request_extension(
        w.ctx, w.pid(CHEN_SERVICE), t.id or 0, 3
    ),
    Event.EXTENSION_GRANT: lambda w, t: supervision.decide_extension(
        w.ctx, w.pid(LIU_COMMUNITY), t.id or 0, True
    ),
    Event.EXTENSION_REFUSE: lambda w, t: supervision.decide_extension(
        w.ctx, w.pid(LIU_COMMUNITY), t.id or 0, False
    ),
    Event.ESCALATE: _system(lambda t, now: t.escalate(Rung.MANAGER, now)),
    Event.REMIND: _system(lambda t, now: t.note(Event.REMIND, now)),
    Event.OPEN: _system(lambda t, now: t.note(Event.OPEN, now)),
    Event.ANONYMISE: _system(Ticket.anonymise),
}


def test_every_event_has_a_use_case_in_the_walk() -> None:
    assert set(EVERY_EVENT) == set(Event)


def in_state(world: World, status: Status, extension_asked: bool) -> Ticket:
    """A fresh ticket put straight into `status`, with what that status implies already there."""
    ticket = world.report(
        category=Category.SERVICE_QUALITY, urgency=Urgency.ORDINARY, description="楼道很久没打扫了"
    )
    now = world.clock.now()
    with world.ctx.uow() as uow:
        stored = uow.tickets.get(ticket.id or 0)
        assert stored is not None
        department = uow.offices.by_key("siming-chengguan")
        assert department is not None
        forced = replace(
            stored,
            status=status,
            acknowledged_at=now if status not in (Status.NEW, Status.ASSIGNED, Status.REOPENED) else None,
            paused_at=now if status is Status.WAITING_OWNER else None,
            resolved_at=now
            if status in (Status.RESOLVED, Status.CLOSED, Status.CLOSED_UNCONFIRMED)
            else None,
            department_office_id=department.id if status is Status.TRANSFERRED else None,
            extension_requested_until=(stored.due_at or now) + timedelta(days=3) if extension_asked else None,
        )
        uow.tickets.save(forced)
        uow.commit()
    return world.ticket(ticket.id or 0)


@pytest.mark.parametrize("status", list(Status))
def test_every_event_in_every_state_goes_through_the_table(world: World, status: Status) -> None:
    wrong = []
    for event, use_case in EVERY_EVENT.items():
        ticket = in_state(world, status, event in (Event.EXTENSION_GRANT, Event.EXTENSION_REFUSE))
        allowed = (status, event) in TRANSITIONS or (event in NOTES and status in NOTES[event])
        before = world.snapshot(ticket.id or 0)
        try:
            use_case(world, ticket)
        except UserError:
            if allowed:
                wrong.append((event.value, "refused though the table allows it"))
            elif world.snapshot(ticket.id or 0) != before:
                wrong.append((event.value, "refused but changed something"))
            continue
        if not allowed:
            wrong.append((event.value, "done though the table forbids it"))
            continue
        logged = [e for e in world.events(ticket.id or 0) if e.event is event][-1]
        if (logged.from_status, logged.to_status) != (status, next_status(status, event)):
            wrong.append((event.value, f"logged {logged.from_status} -> {logged.to_status}"))
    assert wrong == []
