"""The escalation ladder and reminders as a pure plan: what is due for a ticket, and when next.

A ticket's plan for its current cycle is computed from stored timestamps and counters; nothing
lives in a scheduler's memory. Running the plan twice for the same moment yields nothing new,
because each step records that it was done (rung, reminder bits, last overdue reminder).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from handlers.rules.lifecycle import Status
from handlers.rules.policy import RUNG_ORDER, Policy, Rung, Trigger
from handlers.rules.worktime import Duration, DurationUnit, WorkCalendar


class Action(StrEnum):
    REMIND_HALF = "remind_half"  # half the time has passed
    REMIND_BEFORE = "remind_before"  # one working day (by default) before the deadline
    REMIND_DEADLINE = "remind_deadline"  # at the deadline
    REMIND_OVERDUE = "remind_overdue"  # every working morning while overdue
    ESCALATE = "escalate"  # to the next rung
    CLOSE_UNCONFIRMED = "close_unconfirmed"  # resolved, and the owner stayed quiet


REMINDER_BITS: dict[Action, int] = {Action.REMIND_HALF: 1, Action.REMIND_BEFORE: 2, Action.REMIND_DEADLINE: 4}

# The clock runs for these; waiting for the owner pauses it, resolving stops it.
LADDER_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.REOPENED,
        Status.REJECTED,
        Status.TRANSFERRED,
    }
)


@dataclass(frozen=True)
class LadderState:
    """What the plan needs to know about a ticket; copied from the stored ticket."""

    status: Status
    cycle_started_at: datetime
    ack_due_at: datetime | None
    due_at: datetime | None
    acknowledged: bool
    rung: int  # index into RUNG_ORDER reached so far (0: only the assignee)
    reminders_sent: int  # REMINDER_BITS of this cycle
    overdue_reminded_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Step:
    action: Action
    at: datetime
    rung: Rung | None = None

    @property
    def rung_index(self) -> int:
        return RUNG_ORDER.index(self.rung) if self.rung else 0


def _before(calendar: WorkCalendar, due: datetime, amount: Duration) -> datetime:
    """`amount` before the deadline, counted the way the deadline itself is counted."""
    if amount.unit is DurationUnit.HOURS:
        return due - timedelta(hours=amount.amount)
    if amount.unit is DurationUnit.WORKING_HOURS:
        return due - timedelta(hours=amount.amount)  # close enough for a reminder; never after `due`
    local = due.astimezone(calendar.tz)
    day, left = local.date(), amount.amount
    while left > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return datetime.combine(day, local.timetz()).astimezone(due.tzinfo)


def plan(state: LadderState, policy: Policy, calendar: WorkCalendar) -> list[Step]:
    """Every step of the current cycle that has not been done yet, earliest first. Unless the policy
    pings after hours (emergencies, by default), a step that falls due while the office is closed
    comes when it opens: the deadlines stay where they are, only the pings wait for the morning."""
    steps = _steps(state, policy, calendar)
    if not policy.pings_after_hours():
        steps = [replace(s, at=calendar.open_at(s.at)) for s in steps]
    return sorted(steps, key=lambda s: (s.at, s.rung_index))


def _steps(state: LadderState, policy: Policy, calendar: WorkCalendar) -> list[Step]:
    """The steps at the moments they fall due, office hours or not."""
    steps: list[Step] = []
    if state.status is Status.RESOLVED and state.resolved_at is not None:
        close = calendar.add_working_time(state.resolved_at, policy.quiet_period).at
        return [Step(Action.CLOSE_UNCONFIRMED, close)]
    if state.status not in LADDER_STATUSES or state.due_at is None:
        return []
    start, due = state.cycle_started_at, state.due_at
    if not state.reminders_sent & REMINDER_BITS[Action.REMIND_HALF]:
        span = calendar.working_time_between(start, due)
        if span > timedelta(0) and policy.resolve_within.unit is not DurationUnit.HOURS:
            half = calendar.add_working_delta(start, span * policy.remind_at_fraction).at
        else:
            half = start + (due - start) * policy.remind_at_fraction
        steps.append(Step(Action.REMIND_HALF, half))
    if not state.reminders_sent & REMINDER_BITS[Action.REMIND_BEFORE]:
        before = _before(calendar, due, policy.remind_before)
        half_at = next((s.at for s in steps if s.action is Action.REMIND_HALF), start)
        if before > half_at and before > start:
            steps.append(Step(Action.REMIND_BEFORE, before))
    if not state.reminders_sent & REMINDER_BITS[Action.REMIND_DEADLINE]:
        steps.append(Step(Action.REMIND_DEADLINE, due))
    else:
        # Overdue: a reminder at the start of every working day, never at night or on holidays.
        last = max(due, state.overdue_reminded_at) if state.overdue_reminded_at else due
        steps.append(Step(Action.REMIND_OVERDUE, calendar.start_of_working_day_after(last)))
    for ladder_step in policy.ladder:
        index = RUNG_ORDER.index(ladder_step.rung)
        if index <= state.rung:
            continue
        if ladder_step.trigger is Trigger.NOT_ACKNOWLEDGED:
            if state.acknowledged or state.ack_due_at is None:
                continue
            base = state.ack_due_at
        else:
            base = due
        steps.append(
            Step(Action.ESCALATE, calendar.add_working_time(base, ladder_step.after).at, ladder_step.rung)
        )
    return steps


@dataclass(frozen=True)
class Due:
    send: list[Step]  # the steps to carry out now, in order
    done: list[Step]  # every step to record as done (includes reminders absorbed by a later one)
    next_at: datetime | None  # when the sweep must look at the ticket again


def due_steps(steps: list[Step], now: datetime) -> Due:
    """What to do at `now`. Every rung that came due is climbed, in order; reminders that came due
    together (after downtime) collapse into the latest, so nobody gets three pings at once."""
    ready = [s for s in steps if s.at <= now]
    later = [s.at for s in steps if s.at > now]
    reminders = [s for s in ready if s.action in REMINDER_BITS or s.action is Action.REMIND_OVERDUE]
    send = [s for s in ready if s not in reminders]
    if reminders:
        send.append(max(reminders, key=lambda s: s.at))
    order = {Action.CLOSE_UNCONFIRMED: 0, Action.ESCALATE: 1}
    send.sort(key=lambda s: (order.get(s.action, 2), s.at, s.rung_index))
    return Due(send=send, done=ready, next_at=min(later) if later else None)
