"""Night and holidays in the pure plan: outside office hours (09:00-18:00 on working days) only a
policy that pings after hours (emergencies by default) pings anybody; every other step that falls due
while the office is closed comes when it opens. The deadlines themselves do not move.

Dates (chinesecalendar's 2026 data): Tuesday 2026-11-24 and Wednesday 2026-11-25 are ordinary
working days; Saturday 2026-02-14 is a make-up working day (调休) before the Spring Festival, which
is off from 02-15 to 02-23; Wednesday 2026-09-30 is the last working day before the National Day
week, 2026-10-08 the first after it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.holidays import ChineseCalendarSource
from handlers.rules.categories import Category, Urgency
from handlers.rules.deadlines import deadlines_for
from handlers.rules.ladder import REMINDER_BITS, LadderState, Step, due_steps, plan
from handlers.rules.lifecycle import Status
from handlers.rules.policy import DEFAULT_POLICIES, RUNG_ORDER, AfterHours, Policy, choose_policy
from handlers.rules.worktime import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
URGENT = choose_policy(DEFAULT_POLICIES, Category.SHARED_UTILITIES, Urgency.URGENT)  # 2h / 24h
EMERGENCY = choose_policy(DEFAULT_POLICIES, Category.LIFT, Urgency.EMERGENCY)  # 1h / 2h
ORDINARY = choose_policy(DEFAULT_POLICIES, Category.OTHER, Urgency.ORDINARY)  # 1wd / 7wd


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


CAL = WorkCalendar(ChineseCalendarSource(), SH)


def opened(at: datetime, policy: Policy) -> LadderState:
    limits = deadlines_for(policy, CAL, at)
    return LadderState(
        status=Status.ASSIGNED,
        cycle_started_at=at,
        ack_due_at=limits.ack_due_at,
        due_at=limits.due_at,
        acknowledged=False,
        rung=0,
        reminders_sent=0,
        overdue_reminded_at=None,
        resolved_at=None,
    )


def first(steps: list[Step], name: str) -> datetime:
    found = [s.at for s in steps if s.action.value + (f"/{s.rung.value}" if s.rung else "") == name]
    assert found, name
    return found[0].astimezone(SH)


def test_a_2h_urgent_report_at_23_reaches_the_manager_at_9_the_next_working_morning() -> None:
    state = opened(sh(2026, 11, 24, 23), URGENT)
    assert state.ack_due_at == sh(2026, 11, 25, 1)  # the limit itself stays in clock hours
    assert state.due_at == sh(2026, 11, 25, 23)
    steps = plan(state, URGENT, CAL)
    assert first(steps, "escalate/manager") == sh(2026, 11, 25, 9)  # not 01:00
    assert first(steps, "remind_half") == sh(2026, 11, 25, 11)  # inside office hours: unchanged
    # The deadline at 23:00 Wednesday: its reminder and the community rung on Thursday morning.
    assert first(steps, "remind_deadline") == sh(2026, 11, 26, 9)
    assert first(steps, "escalate/community") == sh(2026, 11, 26, 9)
    assert all(CAL.is_open(s.at) for s in steps)
    # Nothing is sent at 01:00; at 09:00 the manager rung is.
    assert due_steps(steps, sh(2026, 11, 25, 1)).send == []
    assert [s.rung for s in due_steps(steps, sh(2026, 11, 25, 9)).send] == [RUNG_ORDER[1]]


@pytest.mark.parametrize(
    ("at", "morning"),
    [
        (sh(2026, 2, 13, 23), sh(2026, 2, 14, 9)),  # Friday night: the make-up Saturday is a working day
        (sh(2026, 2, 14, 23), sh(2026, 2, 24, 9)),  # that Saturday night: after the Spring Festival
        (sh(2026, 9, 30, 23), sh(2026, 10, 8, 9)),  # the eve of the National Day week: after it
        (sh(2026, 10, 3, 15), sh(2026, 10, 8, 9)),  # a report in the middle of the holiday
    ],
)
def test_before_a_holiday_the_manager_hears_after_the_holiday(at: datetime, morning: datetime) -> None:
    steps = plan(opened(at, URGENT), URGENT, CAL)
    assert first(steps, "escalate/manager") == morning


def test_an_emergency_at_23_escalates_at_once_in_the_night() -> None:
    state = opened(sh(2026, 11, 24, 23), EMERGENCY)
    steps = plan(state, EMERGENCY, CAL)
    assert first(steps, "escalate/manager") == sh(2026, 11, 25, 0)  # acknowledge within 1 hour
    assert first(steps, "remind_deadline") == sh(2026, 11, 25, 1)
    # A policy marked after_hours: ping keeps its clock hours at night too: 23:00 + 2 h.
    pinging = replace(URGENT, after_hours=AfterHours.PING)
    assert first(plan(opened(sh(2026, 11, 24, 23), pinging), pinging, CAL), "escalate/manager") == sh(
        2026, 11, 25, 1
    )
    # And an emergency policy marked wait waits like any other.
    waiting = replace(EMERGENCY, after_hours=AfterHours.WAIT)
    assert first(plan(state, waiting, CAL), "escalate/manager") == sh(2026, 11, 25, 9)


def test_by_day_the_plan_is_what_it_was() -> None:
    state = opened(sh(2026, 11, 24, 10), URGENT)
    steps = plan(state, URGENT, CAL)
    assert first(steps, "escalate/manager") == sh(2026, 11, 24, 12)
    assert first(steps, "remind_half") == sh(2026, 11, 25, 9)  # half of 24 hours is 22:00: it waits
    # A working-hours deadline that lands on closing time stays at closing time.
    four = Policy.from_dict({"acknowledge_within": "4wh", "resolve_within": "8wh", "urgency": "ordinary"})
    at_close = plan(opened(sh(2026, 11, 24, 14), four), four, CAL)
    assert first(at_close, "escalate/manager") == sh(2026, 11, 24, 18)


def test_planning_the_same_moment_twice_gives_nothing_new() -> None:
    state = opened(sh(2026, 11, 24, 23), URGENT)
    morning = sh(2026, 11, 25, 9)
    once = due_steps(plan(state, URGENT, CAL), morning)
    assert plan(state, URGENT, CAL) == plan(state, URGENT, CAL)
    bits = sum(REMINDER_BITS[s.action] for s in once.done if s.action in REMINDER_BITS)
    recorded = replace(
        state, rung=max(s.rung_index for s in once.send), reminders_sent=state.reminders_sent | bits
    )
    again = due_steps(plan(recorded, URGENT, CAL), morning)
    assert again.send == [] and again.done == []
    assert again.next_at == sh(2026, 11, 25, 11)


def test_a_ticket_snapshot_says_whether_it_pings_after_hours() -> None:
    assert EMERGENCY.after_hours is AfterHours.PING and URGENT.after_hours is AfterHours.WAIT
    # A setup-file policy for a category alone, chosen for an emergency, still pings.
    lifts = Policy.from_dict({"category": "lift", "acknowledge_within": "4wh", "resolve_within": "2wd"})
    assert choose_policy([lifts], Category.LIFT, Urgency.EMERGENCY).after_hours is AfterHours.PING
    assert choose_policy([lifts], Category.LIFT, Urgency.ORDINARY).after_hours is AfterHours.WAIT
    # A snapshot stored before this field existed: the policy's urgency decides.
    old = {k: v for k, v in EMERGENCY.to_dict().items() if k != "after_hours"}
    assert Policy.from_dict(old).pings_after_hours()
    assert Policy.from_dict(ORDINARY.to_dict()) == ORDINARY


def test_after_hours_must_be_ping_or_wait() -> None:
    data = {"acknowledge_within": "2h", "resolve_within": "24h", "after_hours": "sometimes"}
    with pytest.raises(ValueError, match=r"^after_hours: 'sometimes' is neither ping"):
        Policy.from_dict(data)
