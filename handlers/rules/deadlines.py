"""When a ticket must be acknowledged and resolved, and how waiting for the owner moves that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.rules.policy import Policy
from handlers.rules.worktime import DurationUnit, WorkCalendar


@dataclass(frozen=True)
class Deadlines:
    ack_due_at: datetime
    due_at: datetime
    provisional: bool


def deadlines_for(policy: Policy, calendar: WorkCalendar, start: datetime) -> Deadlines:
    """Both limits measured from `start` in the policy's units (calendar or working time)."""
    ack = calendar.add_working_time(start, policy.acknowledge_within)
    due = calendar.add_working_time(start, policy.resolve_within)
    # An acknowledgement limit longer than the whole deadline makes no sense: cap it.
    return Deadlines(
        ack_due_at=min(ack.at, due.at), due_at=due.at, provisional=ack.provisional or due.provisional
    )


def shift_for_pause(
    policy: Policy, due_at: datetime, paused_at: datetime, resumed_at: datetime, calendar: WorkCalendar
) -> datetime:
    """Move the deadline on by the time spent waiting for the owner, in the policy's own kind of time."""
    if resumed_at <= paused_at:
        return due_at
    if policy.resolve_within.unit is DurationUnit.HOURS:
        return due_at + (resumed_at - paused_at)
    waited = calendar.working_time_between(paused_at, resumed_at)
    if waited.total_seconds() <= 0:
        return due_at
    return calendar.add_working_delta(due_at, waited).at
