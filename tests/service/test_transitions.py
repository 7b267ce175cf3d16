"""Every use case that moves a ticket, tried in every status a ticket can rest in, on a real database:
the legal ones land where the lifecycle table says and write exactly one event each; the illegal ones
are refused with nothing changed (ticket row, event log and outbox)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.domain import Ticket
from handlers.rules.lifecycle import Event, IllegalTransition, Status, next_status
from handlers.services import tickets
from handlers.services.errors import Conflict, UserError
from tests.service.world import LIU_COMMUNITY, WANG_MANAGER, ZHANG_OWNER, ZHAO_REPAIR, World

Action = Callable[[World, Ticket], object]

# Each use case, the lifecycle event it applies, and the person entitled to do it.
ACTIONS: dict[Event, Action] = {
    Event.ASSIGN: lambda w, t: tickets.assign(w.ctx, w.pid(WANG_MANAGER), t.id or 0, w.pid(ZHAO_REPAIR)),
    Event.ACKNOWLEDGE: lambda w, t: tickets.acknowledge(w.ctx, t.assignee_id or 0, t.id or 0),
    Event.START: lambda w, t: tickets.start_work(w.ctx, t.assignee_id or 0, t.id or 0),
    Event.ASK_OWNER: lambda w, t: tickets.ask_owner(w.ctx, t.assignee_id or 0, t.id or 0, "在家吗？"),
    Event.OWNER_REPLY: lambda w, t: tickets.owner_reply(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, "在家"),
    Event.RESOLVE: lambda w, t: tickets.resolve(w.ctx, t.assignee_id or 0, t.id or 0, "已修好"),
    Event.CONFIRM: lambda w, t: tickets.confirm(w.ctx, w.pid(ZHANG_OWNER), t.id or 0),
    Event.REOPEN: lambda w, t: tickets.reopen(w.ctx, w.pid(ZHANG_OWNER), t.id or 0, "还是坏的"),
    Event.CLOSE_UNCONFIRMED: lambda w, t: tickets.close_unconfirmed(w.ctx, t.id or 0),
    Event.REJECT: lambda w, t: tickets.reject(w.ctx, t.assignee_id or 0, t.id or 0, "不属于物业服务范围"),
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
