"""The escalation ladder as a pure plan, on a fixed clock and the official PRC calendar.

Dates used (chinesecalendar's data for 2026): Sunday 2026-09-20 is a make-up working day (调休),
2026-09-25..27 the Mid-autumn holiday, 2026-10-01..07 the National Day holiday, 2026-10-08 the first
working day after it and Saturday 2026-10-10 another make-up working day. 2027 is a year the installed
package does not know: Monday to Friday count.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.holidays import ChineseCalendarSource, known_years
from handlers.rules.categories import Category, Urgency
from handlers.rules.deadlines import deadlines_for, shift_for_pause
from handlers.rules.ladder import (
    LADDER_STATUSES,
    REMINDER_BITS,
    Action,
    LadderState,
    Step,
    due_steps,
    plan,
)
from handlers.rules.lifecycle import Status
from handlers.rules.policy import DEFAULT_POLICIES, RUNG_ORDER, AfterHours, Policy, Rung, choose_policy
from handlers.rules.worktime import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
ORDINARY = choose_policy(DEFAULT_POLICIES, Category.OTHER, Urgency.ORDINARY)  # 1wd / 7wd
URGENT = choose_policy(DEFAULT_POLICIES, Category.SHARED_UTILITIES, Urgency.URGENT)  # 2h / 24h
ALL_BITS = sum(REMINDER_BITS.values())


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def calendar(overrides: dict[date, bool] | None = None, unknown: list[date] | None = None) -> WorkCalendar:
    return WorkCalendar(
        ChineseCalendarSource(),
        SH,
        overrides=overrides,
        on_unknown=unknown.append if unknown is not None else None,
    )


def opened(
    at: datetime, policy: Policy = ORDINARY, cal: WorkCalendar | None = None, **kw: Any
) -> LadderState:
    """The state of a ticket opened (and assigned) at `at`, as open_ticket stores it."""
    limits = deadlines_for(policy, cal or calendar(), at)
    state = LadderState(
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
    return replace(state, **kw)


def described(steps: list[Step]) -> list[tuple[str, datetime]]:
    return [(s.action.value + (f"/{s.rung.value}" if s.rung else ""), s.at.astimezone(SH)) for s in steps]


def test_the_data_the_tests_rely_on() -> None:
    """If the holiday package changes its mind about these days, the expectations below are void."""
    cal = calendar()
    assert 2026 in known_years() and 2027 not in known_years()
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert not any(cal.is_working_day(date(2026, 9, d)) for d in (19, 25, 26, 27))
    assert all(cal.is_working_day(date(2026, m, d)) for m, d in ((9, 20), (10, 8), (10, 10)))  # 调休 Sun, Sat
    assert not cal.is_working_day(date(2026, 10, 11))


OPENED = sh(2026, 9, 18, 10)  # Friday 10:00


def test_the_whole_plan_of_an_ordinary_ticket_around_the_autumn_holidays() -> None:
    """Opened Friday 2026-09-18 10:00: 1 working day to acknowledge, 7 to resolve."""
    state = opened(OPENED)
    assert state.ack_due_at == sh(2026, 9, 20, 10)  # the make-up Sunday counts
    assert state.due_at == sh(2026, 9, 29, 10)  # 20, 21, 22, 23, 24, (Mid-autumn 25-27) 28, 29
    assert described(plan(state, ORDINARY, calendar())) == [
        ("escalate/manager", sh(2026, 9, 20, 10)),  # not acknowledged in time: the project manager
        # half of 63 office hours (7 days × 9 h) = 31.5 h: 8 h on the 18th, 9 + 9 on 20th/21st, 5.5 h
        ("remind_half", sh(2026, 9, 22, 14, 30)),
        ("remind_before", sh(2026, 9, 28, 10)),  # one working day before
        ("remind_deadline", sh(2026, 9, 29, 10)),
        ("escalate/community", sh(2026, 9, 29, 10)),  # the community committee at the deadline
        # +3 working days: the National Day week does not count
        ("escalate/street", sh(2026, 10, 9, 10)),  # 09-30, 10-08, 10-09
        ("escalate/bureau", sh(2026, 10, 12, 10)),  # 09-30, 10-08, 09, 10 (Sat 调休), 12: listed supervision
    ]


def test_acknowledging_stops_only_the_acknowledgement_clock() -> None:
    state = opened(OPENED, status=Status.ACKNOWLEDGED, acknowledged=True)
    steps = described(plan(state, ORDINARY, calendar()))
    assert [name for name, _ in steps] == [
        "remind_half",
        "remind_before",
        "remind_deadline",
        "escalate/community",
        "escalate/street",
        "escalate/bureau",
    ]
    assert steps[-1] == ("escalate/bureau", sh(2026, 10, 12, 10))  # the deadline clock still runs


def test_waiting_for_the_owner_pauses_and_resolving_stops_the_ladder() -> None:
    cal = calendar()
    waiting = opened(OPENED, status=Status.WAITING_OWNER, acknowledged=True)
    assert plan(waiting, ORDINARY, cal) == []
    for status in set(Status) - LADDER_STATUSES - {Status.RESOLVED}:
        assert plan(replace(waiting, status=status), ORDINARY, cal) == [], status
    # Resolved: only the quiet period runs (3 working days by default), then it closes unconfirmed.
    resolved = replace(waiting, status=Status.RESOLVED, resolved_at=sh(2026, 9, 29, 16))
    assert described(plan(resolved, ORDINARY, cal)) == [("close_unconfirmed", sh(2026, 10, 9, 16))]


def test_a_pause_moves_the_deadline_by_the_office_time_spent_waiting() -> None:
    cal = calendar()
    # Asked on 09-30 at 17:00, answered on 10-08 at 10:00: 1 h + 1 h of office time waited.
    due = sh(2026, 10, 9, 10)
    assert shift_for_pause(ORDINARY, due, sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), cal) == sh(
        2026, 10, 9, 12
    )
    # Waiting entirely inside the holiday costs no working time: the deadline stays.
    assert shift_for_pause(ORDINARY, due, sh(2026, 10, 2, 9), sh(2026, 10, 6, 9), cal) == due
    # A clock-hours policy moves by clock hours, holiday or not.
    urgent_due = sh(2026, 10, 2, 9)
    assert shift_for_pause(URGENT, urgent_due, sh(2026, 10, 1, 9), sh(2026, 10, 1, 12), cal) == sh(
        2026, 10, 2, 12
    )


def test_reopening_starts_a_fresh_plan() -> None:
    cal = calendar()
    old = opened(OPENED, rung=RUNG_ORDER.index(Rung.STREET), reminders_sent=ALL_BITS)
    assert [s.action for s in plan(old, ORDINARY, cal)] == [Action.REMIND_OVERDUE, Action.ESCALATE]
    # reopen() stores a new cycle start, new limits, rung 0, no reminders: the whole ladder again.
    fresh = opened(sh(2026, 10, 12, 15), cal=cal)
    assert fresh.due_at == sh(2026, 10, 21, 15)
    assert [name for name, _ in described(plan(fresh, ORDINARY, cal))] == [
        "escalate/manager",
        "remind_half",
        "remind_before",
        "remind_deadline",
        "escalate/community",
        "escalate/street",
        "escalate/bureau",
    ]
    assert min(s.at for s in plan(fresh, ORDINARY, cal)) > sh(2026, 10, 12, 15)


def test_daily_overdue_reminder_at_the_start_of_each_working_day_never_in_the_holiday() -> None:
    cal = calendar()
    state = opened(OPENED, reminders_sent=ALL_BITS, rung=RUNG_ORDER.index(Rung.BUREAU))
    moments = []
    last = sh(2026, 9, 29, 10)  # the deadline reminder went out at the deadline
    for _ in range(5):
        state = replace(state, overdue_reminded_at=last)
        steps = plan(state, ORDINARY, cal)
        assert [s.action for s in steps] == [Action.REMIND_OVERDUE]  # every rung already climbed
        last = steps[0].at
        moments.append(last.astimezone(SH))
    assert moments == [
        sh(2026, 9, 30, 9),
        sh(2026, 10, 8, 9),  # not during the National Day week
        sh(2026, 10, 9, 9),
        sh(2026, 10, 10, 9),  # the make-up Saturday is a working day
        sh(2026, 10, 12, 9),  # not on Sunday
    ]


def test_due_steps_sends_what_came_due_and_says_when_to_look_again() -> None:
    steps = plan(opened(OPENED), ORDINARY, calendar())
    before = due_steps(steps, sh(2026, 9, 20, 9, 59))
    assert before.send == [] and before.done == [] and before.next_at == sh(2026, 9, 20, 10)
    at_ack = due_steps(steps, sh(2026, 9, 20, 10))
    assert described(at_ack.send) == [("escalate/manager", sh(2026, 9, 20, 10))]
    assert at_ack.next_at == sh(2026, 9, 22, 14, 30)


def test_after_downtime_every_rung_is_climbed_in_order_and_reminders_collapse() -> None:
    """The bot was down from before the deadline until 10-14: one catch-up, rungs in order."""
    state = opened(OPENED, status=Status.ACKNOWLEDGED, acknowledged=True)
    caught_up = due_steps(plan(state, ORDINARY, calendar()), sh(2026, 10, 14, 11))
    assert described(caught_up.send) == [
        ("escalate/community", sh(2026, 9, 29, 10)),
        ("escalate/street", sh(2026, 10, 9, 10)),
        ("escalate/bureau", sh(2026, 10, 12, 10)),
        ("remind_deadline", sh(2026, 9, 29, 10)),  # one reminder, not three
    ]
    # Every reminder that came due is recorded as done, so none of them comes back later.
    assert {s.action for s in caught_up.done} >= {
        Action.REMIND_HALF,
        Action.REMIND_BEFORE,
        Action.REMIND_DEADLINE,
    }
    assert caught_up.next_at is None


def test_running_the_plan_again_after_recording_yields_nothing_new() -> None:
    """What advance() records (bits, rung, last overdue) makes a second run at the same moment empty."""
    cal = calendar()
    state = opened(OPENED)
    for now, rung, then in (
        (sh(2026, 9, 29, 10), Rung.COMMUNITY, sh(2026, 9, 30, 9)),
        (sh(2026, 9, 30, 9), Rung.COMMUNITY, sh(2026, 10, 8, 9)),  # the next morning after the holiday
    ):
        first = due_steps(plan(state, ORDINARY, cal), now)
        assert first.send
        bits = sum(REMINDER_BITS[s.action] for s in first.done if s.action in REMINDER_BITS)
        state = replace(
            state,
            reminders_sent=state.reminders_sent | bits,
            rung=max([state.rung, *(s.rung_index for s in first.send)]),
            overdue_reminded_at=now,
        )
        assert state.rung == RUNG_ORDER.index(rung)
        again = due_steps(plan(state, ORDINARY, cal), now)
        assert again.send == [] and again.done == []
        assert again.next_at == then


def test_urgent_tickets_count_clock_hours_even_on_holidays() -> None:
    """A policy marked `after_hours: ping` (as the example's water outages are) pings as its steps fall
    due; by default an urgent ticket's pings wait for the office (tests/unit/test_ladder_night.py)."""
    pinging = replace(URGENT, after_hours=AfterHours.PING)
    state = opened(sh(2026, 10, 1, 20), policy=pinging)  # National Day evening, water out
    assert state.ack_due_at == sh(2026, 10, 1, 22) and state.due_at == sh(2026, 10, 2, 20)
    steps = described(plan(state, pinging, calendar()))
    assert steps[:4] == [
        ("escalate/manager", sh(2026, 10, 1, 22)),
        ("remind_half", sh(2026, 10, 2, 8)),  # half of 24 clock hours
        ("remind_before", sh(2026, 10, 2, 16)),  # 4 hours before, per the urgent policy
        ("remind_deadline", sh(2026, 10, 2, 20)),
    ]
    # The government rungs after the deadline still count working days: 3 and 5 of them.
    # counted from the first working moment after the deadline (10-08 09:00)
    assert ("escalate/street", sh(2026, 10, 12, 9)) in steps  # 10-09, 10-10 (Sat 调休), 10-12
    assert ("escalate/bureau", sh(2026, 10, 14, 9)) in steps


def test_over_the_new_year_into_a_year_the_package_does_not_know() -> None:
    unknown: list[date] = []
    cal = calendar(unknown=unknown)
    limits = deadlines_for(ORDINARY, cal, sh(2026, 12, 24, 10))
    # 25, 28, 29, 30, 31 December, then Mon–Fri assumed: Fri 1 January and Mon 4 January.
    assert limits.due_at == sh(2027, 1, 4, 10)
    assert limits.provisional
    assert unknown and unknown[0].year == 2027
    state = opened(sh(2026, 12, 24, 10), cal=cal)
    steps = described(plan(state, ORDINARY, cal))
    assert ("escalate/street", sh(2027, 1, 7, 10)) in steps
    assert ("escalate/bureau", sh(2027, 1, 11, 10)) in steps
    # The setup file's override for New Year's Day moves everything by a day.
    with_override = calendar(overrides={date(2027, 1, 1): False})
    assert deadlines_for(ORDINARY, with_override, sh(2026, 12, 24, 10)).due_at == sh(2027, 1, 5, 10)
    # Overdue mornings in the unknown year: Mon–Fri, at opening time.
    late = replace(
        state,
        reminders_sent=ALL_BITS,
        rung=RUNG_ORDER.index(Rung.BUREAU),
        overdue_reminded_at=sh(2027, 1, 8, 9),
    )
    assert described(plan(late, ORDINARY, cal)) == [("remind_overdue", sh(2027, 1, 11, 9))]


@pytest.mark.parametrize("start_day", [date(2026, 12, 1) + timedelta(days=i) for i in range(0, 45, 3)])
def test_plans_never_crash_and_stay_in_order_around_the_new_year(start_day: date) -> None:
    cal = calendar()
    for policy in (ORDINARY, URGENT, choose_policy(DEFAULT_POLICIES, Category.OTHER, Urgency.COMPLEX)):
        state = opened(
            datetime.combine(start_day, datetime.min.time(), tzinfo=SH) + timedelta(hours=23),
            policy=policy,
            cal=cal,
        )
        steps = plan(state, policy, cal)
        assert steps == sorted(steps, key=lambda s: (s.at, s.rung_index))
        assert all(s.at >= state.cycle_started_at for s in steps)
        rungs = [s.rung for s in steps if s.action is Action.ESCALATE]
        assert rungs == [Rung.MANAGER, Rung.COMMUNITY, Rung.STREET, Rung.BUREAU]
