"""The ticket lifecycle table: every (status, event) pair, and the public ticket numbers."""

from __future__ import annotations

import itertools
from collections import deque

import pytest

from handlers.rules.lifecycle import (
    FINAL_STATUSES,
    HANDLING_STATUSES,
    NOTES,
    OPEN_STATUSES,
    TRANSITIONS,
    UNACKNOWLEDGED_STATUSES,
    Event,
    IllegalTransition,
    Status,
    allowed_events,
    next_status,
)
from handlers.rules.numbering import format_number, normalise_number, valid_prefix

# The whole cross product, derived from the enums: a new status or event is covered automatically.
PAIRS = list(itertools.product(Status, Event))
MOVING_EVENTS = frozenset(event for _, event in TRANSITIONS)


def _id(pair: tuple[Status, Event]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def expected(status: Status, event: Event) -> Status | None:
    """What the table says, read independently of next_status: None means illegal."""
    if (status, event) in TRANSITIONS:
        return TRANSITIONS[(status, event)]
    if event in NOTES and status in NOTES[event]:
        return status
    return None


@pytest.mark.parametrize("pair", PAIRS, ids=[_id(p) for p in PAIRS])
def test_every_status_event_pair(pair: tuple[Status, Event]) -> None:
    status, event = pair
    want = expected(status, event)
    table, notes = dict(TRANSITIONS), dict(NOTES)
    if want is None:
        with pytest.raises(IllegalTransition) as caught:
            next_status(status, event)
        # The error is clear: it names the event and the status, and carries both.
        assert caught.value.status is status
        assert caught.value.event is event
        assert str(caught.value) == f"cannot {event.value} a ticket that is {status.value}"
        assert event not in allowed_events(status)
    else:
        assert next_status(status, event) is want
        assert event in allowed_events(status)
    # Asking never changes the rules themselves.
    assert table == TRANSITIONS and notes == NOTES


def test_every_event_is_either_a_move_or_a_note() -> None:
    # An event that is neither could never be applied; one that is both would be ambiguous.
    for event in Event:
        assert (event in MOVING_EVENTS) != (event in NOTES), event


def test_the_table_uses_known_statuses_and_events_only() -> None:
    for (status, event), target in TRANSITIONS.items():
        assert isinstance(status, Status) and isinstance(event, Event) and isinstance(target, Status)
        assert event not in NOTES


@pytest.mark.parametrize(
    ("status", "event", "target"),
    [
        (Status.NEW, Event.ASSIGN, Status.ASSIGNED),
        (Status.ASSIGNED, Event.ACKNOWLEDGE, Status.ACKNOWLEDGED),
        (Status.ACKNOWLEDGED, Event.START, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Event.ASK_OWNER, Status.WAITING_OWNER),
        (Status.WAITING_OWNER, Event.OWNER_REPLY, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Event.RESOLVE, Status.RESOLVED),
        (Status.RESOLVED, Event.CONFIRM, Status.CLOSED),
        (Status.RESOLVED, Event.REOPEN, Status.REOPENED),
        (Status.RESOLVED, Event.CLOSE_UNCONFIRMED, Status.CLOSED_UNCONFIRMED),
        (Status.CLOSED_UNCONFIRMED, Event.REOPEN, Status.REOPENED),
        (Status.REOPENED, Event.ACKNOWLEDGE, Status.ACKNOWLEDGED),
        (Status.ASSIGNED, Event.REJECT, Status.REJECTED),
        (Status.REJECTED, Event.ASSIGN, Status.ASSIGNED),  # the community overrules the rejection
        (Status.REJECTED, Event.TRANSFER_DEPARTMENT, Status.TRANSFERRED),
        (Status.TRANSFERRED, Event.RESOLVE, Status.RESOLVED),
        (Status.ASSIGNED, Event.WITHDRAW, Status.WITHDRAWN),
        (Status.WAITING_OWNER, Event.WITHDRAW, Status.WITHDRAWN),
    ],
)
def test_the_main_story_and_its_branches(status: Status, event: Event, target: Status) -> None:
    """The issue's lifecycle, written out by hand so that a wrong edit of the table is caught."""
    assert next_status(status, event) is target


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (Status.NEW, Event.RESOLVE),  # nobody worked on it
        (Status.NEW, Event.CONFIRM),
        (Status.ASSIGNED, Event.CONFIRM),
        (Status.WAITING_OWNER, Event.RESOLVE),  # the owner has not answered yet
        (Status.CLOSED, Event.REOPEN),  # the owner confirmed; a new report is a new ticket
        (Status.CLOSED, Event.ASSIGN),
        (Status.WITHDRAWN, Event.ASSIGN),
        (Status.RESOLVED, Event.WITHDRAW),
        (Status.ACKNOWLEDGED, Event.ACKNOWLEDGE),  # twice: the second one is told someone took it
        (Status.RESOLVED, Event.RATE),  # rating comes with the confirmation
        (Status.CLOSED_UNCONFIRMED, Event.URGE),
    ],
)
def test_selected_illegal_moves(status: Status, event: Event) -> None:
    with pytest.raises(IllegalTransition):
        next_status(status, event)


def test_final_statuses_allow_no_work() -> None:
    for status in FINAL_STATUSES:
        moves = {event for event in allowed_events(status) if event in MOVING_EVENTS}
        # Only a ticket closed without the owner's word may be reopened by the owner.
        assert moves == ({Event.REOPEN} if status is Status.CLOSED_UNCONFIRMED else set()), status


def test_status_groups_are_consistent() -> None:
    assert OPEN_STATUSES.isdisjoint(FINAL_STATUSES)
    assert set(Status) == OPEN_STATUSES | FINAL_STATUSES | {Status.RESOLVED}
    assert HANDLING_STATUSES <= OPEN_STATUSES
    assert UNACKNOWLEDGED_STATUSES <= HANDLING_STATUSES


def test_every_status_is_reachable_from_new_and_every_open_one_can_end() -> None:
    graph: dict[Status, set[Status]] = {s: set() for s in Status}
    for (status, _), target in TRANSITIONS.items():
        graph[status].add(target)
    seen, todo = {Status.NEW}, deque([Status.NEW])
    while todo:
        for target in graph[todo.popleft()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(Status)
    for status in OPEN_STATUSES | {Status.RESOLVED}:
        reach, todo = {status}, deque([status])
        while todo:
            for target in graph[todo.popleft()] - reach:
                reach.add(target)
                todo.append(target)
        assert reach & FINAL_STATUSES, f"{status} can never be finished"


def test_allowed_events_follow_declaration_order() -> None:
    for status in Status:
        events = allowed_events(status)
        assert events == sorted(events, key=list(Event).index)
        assert events == [e for e in Event if expected(status, e) is not None]


# --- public ticket numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "year", "seq", "number"),
    [
        ("HB", 2026, 123, "HB-2026-000123"),
        ("HB", 2026, 1, "HB-2026-000001"),
        ("QPSUN", 2027, 999999, "QPSUN-2027-999999"),
        ("SD", 2026, 1234567, "SD-2026-1234567"),  # a seventh digit rather than a wrong number
    ],
)
def test_format_number(prefix: str, year: int, seq: int, number: str) -> None:
    assert format_number(prefix, year, seq) == number
    assert normalise_number(number) == number  # what is printed reads back as itself


@pytest.mark.parametrize("prefix", ["", "H", "hb", "HB1", "海滨", "ABCDEFG", "H B"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    assert not valid_prefix(prefix)
    with pytest.raises(ValueError, match="prefix"):
        format_number(prefix, 2026, 1)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("HB-2026-000123", "HB-2026-000123"),
        ("hb-2026-123", "HB-2026-000123"),
        (" HB - 2026 - 000123 ", "HB-2026-000123"),
        ("qp-2027-7", "QP-2027-000007"),
        ("HB-2026-0", "HB-2026-000000"),
    ],
)
def test_numbers_as_people_type_them(typed: str, number: str) -> None:
    assert normalise_number(typed) == number


@pytest.mark.parametrize(
    "typed", ["", "123", "HB2026000123", "HB-26-000123", "海滨-2026-1", "HB-2026-", "/my"]
)
def test_text_that_is_no_number(typed: str) -> None:
    assert normalise_number(typed) is None
