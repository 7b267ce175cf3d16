"""`wuye status`: the outbox backlog, the oldest undelivered message, and the next ladder actions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from handlers.domain.notifications import Notification
from handlers.domain.ticket import Ticket
from handlers.rules.ladder import plan
from handlers.rules.lifecycle import OPEN_STATUSES, Status
from handlers.rules.policy import Policy
from handlers.services.context import Context
from handlers.services.ladder import ladder_state


def status_lines(ctx: Context, limit: int = 10) -> list[str]:
    now = ctx.clock.now()
    tz = ctx.tz
    with ctx.uow() as uow:
        waiting = uow.notifications.waiting()  # the unfinished only: never a count of all ever sent
        oldest = uow.notifications.oldest_waiting(now)  # a card held for the morning is not late
        calendar = ctx.calendar(uow)
        upcoming = uow.tickets.due(datetime.max.replace(tzinfo=now.tzinfo), limit)
        lines = [f"outbox: waiting {waiting}" if waiting else "outbox: empty"]
        if oldest is not None:
            age = waited(oldest, now)
            lines.append(
                f"oldest undelivered: #{oldest.id} {oldest.kind} to person {oldest.person_id}, waiting "
                f"{int(age.total_seconds() // 60)} min, attempts {oldest.attempts}"
                + (f", last error: {oldest.last_error}" if oldest.last_error else "")
            )
        else:
            lines.append("oldest undelivered: none")
        lines.append(f"next ladder actions (times in {tz.key}):")
        if not upcoming:
            lines.append("  none")
        for ticket in upcoming:
            steps = plan(ladder_state(ticket), Policy.from_dict(ticket.policy), calendar)
            what = (
                ", ".join(s.action.value + (f"/{s.rung.value}" if s.rung else "") for s in steps[:2])
                or "re-plan"
            )
            when = ticket.next_action_at.astimezone(tz) if ticket.next_action_at else None
            late = lateness(ticket, now)
            lines.append(f"  {when:%Y-%m-%d %H:%M}  {ticket.number}  {ticket.status.value}  {what}{late}")
    return lines


def lateness(ticket: Ticket, now: datetime) -> str:
    """What is late about a ticket, if anything: its deadline passed (overdue), or the limit for
    acknowledging it; a ladder action merely due now (a reminder at half-time) is not lateness."""
    marks = []
    if ticket.status in OPEN_STATUSES and ticket.status is not Status.WAITING_OWNER:
        if ticket.due_at is not None and ticket.due_at < now:
            marks.append("overdue")
        elif ticket.status in (Status.NEW, Status.ASSIGNED) and ticket.ack_due_at and ticket.ack_due_at < now:
            marks.append("not acknowledged in time")
    if ticket.next_action_at is not None and ticket.next_action_at < now:
        marks.append("action due now")
    return f" ({', '.join(marks)})" if marks else ""


def oldest_wait(ctx: Context) -> timedelta | None:
    """How long the oldest undelivered message has waited; None when none waits (a notice held for
    the morning waits from the morning on)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        oldest = uow.notifications.oldest_waiting(now)
    return waited(oldest, now) if oldest is not None else None


def waited(n: Notification, now: datetime) -> timedelta:
    """How long `n` has waited by `now`; nothing, not a negative time, for one queued after `now` (a
    database whose clock a console moved on, or an instance whose clock runs a little ahead)."""
    return max(now - waiting_since(n), timedelta(0))


def waiting_since(n: Notification) -> datetime:
    """When a notification was first due: when it was queued, or the morning it was held for."""
    if n.attempts == 0 and n.not_before is not None:
        return max(n.created_at, n.not_before)
    return n.created_at


_AGE = re.compile(r"^\s*(\d{1,6})\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_age(text: str) -> timedelta | None:
    """`30s`, `10m`, `2h`, `1d` as a duration; None for anything else."""
    found = _AGE.match(text.lower())
    return timedelta(seconds=int(found[1]) * _UNITS[found[2]]) if found else None
