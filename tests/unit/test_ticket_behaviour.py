"""The ticket's own acts (handlers.domain.ticket.Ticket): each applies the lifecycle table, refuses what it
forbids with nothing changed, and changes exactly what the act changes."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.domain.ticket import PLAIN_NOTES, Move, Ticket
from handlers.rules.categories import Category, Urgency
from handlers.rules.lifecycle import FINAL_STATUSES, NOTES, TRANSITIONS, Event, IllegalTransition, Status
from handlers.rules.policy import Rung

OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NOW = OPENED + timedelta(days=1)
LATER = NOW + timedelta(days=7)
STAFF, COLLEAGUE, DEPARTMENT = 7, 8, 9


def ticket(status: Status = Status.ASSIGNED, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "number": "HB-2026-000001",
        "estate_id": 1,
        "category": Category.LIFT,
        "urgency": Urgency.ORDINARY,
        "description": "电梯门关不上",
        "status": status,
        "policy": {},
        "created_at": OPENED,
        "updated_at": OPENED,
        "cycle_started_at": OPENED,
        "reporter_id": 3,
        "reporter_unit": "3栋501",
        "assignee_id": STAFF,
        "ack_due_at": OPENED + timedelta(hours=4),
        "due_at": OPENED + timedelta(days=7),
        "extension_requested_until": LATER,  # so that a grant has something to grant
        "id": 1,
    }
    return Ticket(**{**values, **fields})


# Every event, done by the act that does it.
ACTS: dict[Event, Callable[[Ticket], Move]] = {
    Event.ASSIGN: lambda t: t.assign(COLLEAGUE, NOW),
    Event.ACKNOWLEDGE: lambda t: t.acknowledge(STAFF, NOW),
    Event.START: lambda t: t.start(NOW),
    Event.ASK_OWNER: lambda t: t.pause(NOW),
    Event.OWNER_REPLY: lambda t: t.resume(NOW),
    Event.RESOLVE: lambda t: t.resolve(NOW),
    Event.CONFIRM: lambda t: t.confirm(NOW),
    Event.REOPEN: lambda t: t.reopen(NOW),
    Event.CLOSE_UNCONFIRMED: lambda t: t.close_unconfirmed(NOW),
    Event.REJECT: lambda t: t.reject("不属于物业服务范围", NOW),
    Event.TRANSFER_DEPARTMENT: lambda t: t.transfer(DEPARTMENT, NOW),
    Event.RETURN_TO_COMPANY: lambda t: t.return_to_company(COLLEAGUE, NOW),
    Event.HANDOVER: lambda t: t.hand_over(COLLEAGUE, NOW),
    Event.WITHDRAW: lambda t: t.withdraw(NOW),
    Event.OPEN: lambda t: t.note(Event.OPEN, NOW),
    Event.COMMENT: lambda t: t.note(Event.COMMENT, NOW),
    Event.ADD_PHOTO: lambda t: t.note(Event.ADD_PHOTO, NOW),
    Event.RATE: lambda t: t.rate(4, "谢谢", NOW),
    Event.URGE: lambda t: t.note(Event.URGE, NOW),
    Event.ESCALATE: lambda t: t.escalate(Rung.MANAGER, NOW),
    Event.REMIND: lambda t: t.note(Event.REMIND, NOW),
    Event.EXTENSION_REQUEST: lambda t: t.request_extension(LATER, NOW),
    Event.EXTENSION_GRANT: lambda t: t.grant_extension(NOW),
    Event.EXTENSION_REFUSE: lambda t: t.refuse_extension(NOW),
    Event.ANONYMISE: lambda t: t.anonymise(NOW),
}


def test_every_event_has_an_act() -> None:
    assert set(ACTS) == set(Event)


def allowed(status: Status, event: Event) -> Status | None:
    if event in NOTES:
        return status if status in NOTES[event] else None
    return TRANSITIONS.get((status, event))


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
@pytest.mark.parametrize("event", list(Event), ids=lambda e: e.value)
def test_every_act_in_every_status_follows_the_table(status: Status, event: Event) -> None:
    t = ticket(status)
    before = deepcopy(t)
    after = allowed(status, event)
    if after is None:
        with pytest.raises(IllegalTransition) as refused:
            ACTS[event](t)
        assert str(refused.value) == f"cannot {event.value} a ticket that is {status.value}"
        assert (refused.value.status, refused.value.event) == (status, event)
        assert t == before  # nothing changed
        return
    assert ACTS[event](t) == Move(event, status, after, NOW)
    assert t.status is after and t.updated_at == NOW


def changes(t: Ticket, act: Callable[[Ticket], object]) -> dict[str, tuple[Any, Any]]:
    """What an act changed on the ticket, field by field: (before, after)."""
    before = deepcopy(t)
    act(t)
    return {k: (v, getattr(t, k)) for k, v in vars(before).items() if getattr(t, k) != v}


def test_acknowledging_stops_the_acknowledgement_clock_and_takes_an_unassigned_ticket() -> None:
    assert changes(ticket(Status.ASSIGNED), lambda t: t.acknowledge(STAFF, NOW)) == {
        "status": (Status.ASSIGNED, Status.ACKNOWLEDGED),
        "updated_at": (OPENED, NOW),
        "acknowledged_at": (None, NOW),
    }
    t = ticket(Status.REOPENED, assignee_id=None)
    t.acknowledge(COLLEAGUE, NOW)
    assert t.assignee_id == COLLEAGUE


@pytest.mark.parametrize("status", [Status.REOPENED, Status.REJECTED, Status.ACKNOWLEDGED])
def test_assigning_a_reopened_or_rejected_ticket_waits_for_a_fresh_acknowledgement(status: Status) -> None:
    t = ticket(status, acknowledged_at=OPENED)
    t.assign(COLLEAGUE, NOW)
    assert (t.status, t.assignee_id) == (Status.ASSIGNED, COLLEAGUE)
    assert t.acknowledged_at == (OPENED if status is Status.ACKNOWLEDGED else None)


def test_asking_the_owner_pauses_the_clock_and_the_answer_moves_the_deadline_on() -> None:
    t = ticket(Status.IN_PROGRESS)
    assert changes(t, lambda t: t.pause(NOW))["paused_at"] == (None, NOW)
    shifted = t.due_at + timedelta(hours=5) if t.due_at else None
    assert changes(t, lambda t: t.resume(LATER, shifted, provisional=True)) == {
        "status": (Status.WAITING_OWNER, Status.IN_PROGRESS),
        "updated_at": (NOW, LATER),
        "paused_at": (NOW, None),
        "due_at": (OPENED + timedelta(days=7), shifted),
        "deadline_provisional": (False, True),
    }
    t = ticket(Status.WAITING_OWNER, paused_at=NOW, deadline_provisional=True)
    t.resume(LATER)  # no shift given: the deadline stays, and stays provisional
    assert (t.due_at, t.deadline_provisional, t.paused_at) == (OPENED + timedelta(days=7), True, None)


def test_resolving_and_closing_note_their_moment() -> None:
    assert changes(ticket(Status.IN_PROGRESS), lambda t: t.resolve(NOW))["resolved_at"] == (None, NOW)
    for close, status, landed in [
        (Ticket.confirm, Status.RESOLVED, Status.CLOSED),
        (Ticket.close_unconfirmed, Status.RESOLVED, Status.CLOSED_UNCONFIRMED),
        (Ticket.withdraw, Status.ASSIGNED, Status.WITHDRAWN),
    ]:
        t = ticket(status)
        close(t, NOW)
        assert (t.status, t.closed_at) == (landed, NOW)


def test_reopening_counts_and_a_fresh_cycle_starts_afresh() -> None:
    t = ticket(
        Status.CLOSED_UNCONFIRMED,
        acknowledged_at=OPENED,
        resolved_at=OPENED,
        closed_at=OPENED,
        rung=4,
        supervised=True,
        reminders_sent=7,
        overdue_reminded_at=OPENED,
        deadline_provisional=True,
    )
    assert changes(t, lambda t: t.reopen(NOW)) == {
        "status": (Status.CLOSED_UNCONFIRMED, Status.REOPENED),
        "updated_at": (OPENED, NOW),
        "reopen_count": (0, 1),
    }
    t.begin_cycle(NOW, NOW + timedelta(hours=4), LATER, False)
    assert (t.cycle, t.reopen_count, t.rung, t.supervised) == (2, 1, 0, False)
    assert (t.ack_due_at, t.due_at, t.deadline_provisional) == (NOW + timedelta(hours=4), LATER, False)
    assert (t.acknowledged_at, t.resolved_at, t.closed_at) == (None, None, None)
    assert (t.cycle_started_at, t.reminders_sent, t.overdue_reminded_at) == (NOW, 0, None)
    assert t.extension_requested_until is None


def test_a_fresh_cycle_belongs_to_a_reopening_only() -> None:
    t = ticket(Status.RESOLVED)
    before = deepcopy(t)
    with pytest.raises(IllegalTransition):
        t.begin_cycle(NOW, NOW, LATER, False)
    assert t == before


def test_a_transfer_hands_the_case_to_a_department_with_its_own_clock() -> None:
    t = ticket(Status.ACKNOWLEDGED, reminders_sent=3, overdue_reminded_at=OPENED)
    t.transfer(DEPARTMENT, NOW)
    assert (t.status, t.department_office_id) == (Status.TRANSFERRED, DEPARTMENT)
    t.restart_clock(NOW, LATER, True)
    assert (t.due_at, t.deadline_provisional, t.cycle_started_at) == (LATER, True, NOW)
    assert (t.reminders_sent, t.overdue_reminded_at) == (0, None)


def test_the_company_takes_a_case_back() -> None:
    t = ticket(Status.TRANSFERRED, department_office_id=DEPARTMENT, acknowledged_at=OPENED)
    t.return_to_company(None, NOW)
    assert (t.status, t.department_office_id, t.assignee_id) == (Status.NEW, None, None)
    t.await_acknowledgement(LATER)
    assert (t.acknowledged_at, t.ack_due_at) == (None, LATER)
    waiting = ticket(Status.WAITING_OWNER)
    waiting.hand_over(COLLEAGUE, NOW)  # the owner still owes an answer: it stays where it is
    assert (waiting.status, waiting.assignee_id) == (Status.WAITING_OWNER, COLLEAGUE)


def test_escalation_only_climbs_and_the_bureau_supervises() -> None:
    t = ticket(Status.ASSIGNED, rung=2)
    t.escalate(Rung.MANAGER, NOW)
    assert (t.rung, t.supervised) == (2, False)
    t.escalate(Rung.BUREAU, NOW)
    assert (t.rung, t.supervised) == (4, True)


def test_an_extension_is_asked_then_granted_or_refused() -> None:
    t = ticket(Status.ACKNOWLEDGED, extension_requested_until=None, reminders_sent=3)
    t.request_extension(LATER, NOW)
    assert t.extension_requested_until == LATER
    refused = deepcopy(t)
    refused.refuse_extension(NOW)
    assert (refused.extension_requested_until, refused.due_at) == (None, t.due_at)
    t.grant_extension(NOW, provisional=True)
    assert (t.due_at, t.deadline_provisional, t.reminders_sent, t.extension_requested_until) == (
        LATER,
        True,
        0,
        None,
    )


def test_nothing_to_grant_changes_nothing() -> None:
    t = ticket(Status.ACKNOWLEDGED, extension_requested_until=None)
    before = deepcopy(t)
    with pytest.raises(ValueError):
        t.grant_extension(NOW)
    assert t == before


def test_rating_rejecting_and_anonymising_keep_what_they_say() -> None:
    t = ticket(Status.CLOSED)
    t.rate(5, "很快", NOW)
    assert (t.rating, t.rating_comment) == (5, "很快")
    t.anonymise(NOW)
    assert (t.reporter_id, t.reporter_unit, t.rating_comment, t.rating) == (None, None, None, 5)
    rejected = ticket(Status.ASSIGNED)
    rejected.reject("不属于物业服务范围", NOW)
    assert rejected.reject_reason == "不属于物业服务范围"


@pytest.mark.parametrize("event", sorted(set(NOTES) - PLAIN_NOTES))
def test_a_note_is_not_a_way_around_an_act(event: Event) -> None:
    t = ticket(Status.ACKNOWLEDGED)
    before = deepcopy(t)
    with pytest.raises(ValueError):
        t.note(event, NOW)
    assert t == before


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_the_sweep_looks_again_at_once_unless_the_ticket_is_final(status: Status) -> None:
    t = ticket(status, updated_at=NOW)
    t.schedule_now()
    assert t.next_action_at == (None if status in FINAL_STATUSES else NOW)
    t.schedule(LATER)
    assert t.next_action_at == LATER


def test_reminders_are_counted_by_their_bits() -> None:
    t = ticket(Status.ASSIGNED)
    t.mark_reminded(1)
    t.mark_reminded(4)
    t.mark_deadline_reminded(NOW)
    assert (t.reminders_sent, t.overdue_reminded_at) == (5, NOW)
