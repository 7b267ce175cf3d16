"""The ticket, its acts (each checked against the lifecycle table), and what its record holds: the events,
the attached files, an official's mark as a typical case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import FINAL_STATUSES, Event, IllegalTransition, Status, next_status
from handlers.rules.policy import RUNG_ORDER, Rung


@dataclass
class Ticket:
    number: str
    estate_id: int
    category: Category
    urgency: Urgency
    description: str
    status: Status
    policy: dict[str, Any]  # snapshot of the Policy it was opened under
    created_at: datetime
    reporter_id: int | None = None  # None once the reporter deleted their data
    reporter_unit: str | None = None
    location: str | None = None
    privacy: Privacy = Privacy.GOVERNMENT
    assignee_id: int | None = None
    department_office_id: int | None = None
    ack_due_at: datetime | None = None
    due_at: datetime | None = None
    deadline_provisional: bool = False
    paused_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    cycle: int = 1  # increases with every reopening: a fresh deadline and a fresh ladder
    reopen_count: int = 0
    rung: int = 0
    supervised: bool = False  # 挂牌督办
    next_action_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    reject_reason: str | None = None
    updated_at: datetime | None = None
    cycle_started_at: datetime | None = None  # when the current cycle's clock started (open or reopen)
    reminders_sent: int = 0  # bits of handlers.rules.ladder.REMINDER_BITS, for this cycle
    overdue_reminded_at: datetime | None = None
    extension_requested_until: datetime | None = None  # a pending request for more time
    version: int = 1
    draft_key: str | None = None  # the owner's report draft it was opened from (a resent report finds it)
    id: int | None = None

    # ---- its acts. Each applies the lifecycle table first (IllegalTransition, and nothing changed, if
    # the status forbids it), then changes what the act changes, and returns the Move for the event log
    # (handlers/services/tickets/records.log_event records it). Pure: the caller passes the moment, and
    # whatever needs the work calendar (deadlines), and saves the ticket.
    def _apply(self, event: Event, now: datetime) -> Move:
        before = self.status
        after = next_status(before, event)
        self.status, self.updated_at = after, now
        return Move(event, before, after, now)

    def assign(self, assignee_id: int, now: datetime) -> Move:
        """To a member of staff; a reopened or rejected ticket waits for a fresh acknowledgement."""
        move = self._apply(Event.ASSIGN, now)
        if move.before in (Status.REOPENED, Status.REJECTED):
            self.acknowledged_at = None
        self.assignee_id = assignee_id
        return move

    def acknowledge(self, actor_id: int, now: datetime) -> Move:
        """签收: stops the acknowledgement clock (never the deadline clock); an unassigned ticket is the
        acknowledger's."""
        move = self._apply(Event.ACKNOWLEDGE, now)
        self.assignee_id = self.assignee_id or actor_id
        self.acknowledged_at = now
        return move

    def start(self, now: datetime) -> Move:
        return self._apply(Event.START, now)

    def pause(self, now: datetime) -> Move:
        """Staff ask the owner (ASK_OWNER): the deadline clock pauses until the owner answers."""
        move = self._apply(Event.ASK_OWNER, now)
        self.paused_at = now
        return move

    def resume(self, now: datetime, due_at: datetime | None = None, provisional: bool = False) -> Move:
        """The owner answers (OWNER_REPLY): the clock runs again, against `due_at` when the pause moved
        the deadline on (`provisional`: it moved where the calendar has no holiday data)."""
        move = self._apply(Event.OWNER_REPLY, now)
        if due_at is not None:
            self.due_at = due_at
            self.deadline_provisional = self.deadline_provisional or provisional
        self.paused_at = None
        return move

    def resolve(self, now: datetime) -> Move:
        move = self._apply(Event.RESOLVE, now)
        self.resolved_at = now
        return move

    def confirm(self, now: datetime) -> Move:
        """The owner confirms the fix: 销号."""
        return self._close(Event.CONFIRM, now)

    def withdraw(self, now: datetime) -> Move:
        """The owner takes the report back."""
        return self._close(Event.WITHDRAW, now)

    def close_unconfirmed(self, now: datetime) -> Move:
        """The quiet period passed without an answer from the owner."""
        return self._close(Event.CLOSE_UNCONFIRMED, now)

    def _close(self, event: Event, now: datetime) -> Move:
        move = self._apply(event, now)
        self.closed_at = now
        return move

    def reopen(self, now: datetime) -> Move:
        """ "Not fixed": counted against the company. A fresh cycle follows (begin_cycle), once the
        reopening is on record: the reopening itself belongs to the cycle it ends."""
        move = self._apply(Event.REOPEN, now)
        self.reopen_count += 1
        return move

    def begin_cycle(self, now: datetime, ack_due_at: datetime, due_at: datetime, provisional: bool) -> None:
        """A reopened ticket's fresh cycle: fresh limits, a fresh ladder, nothing acknowledged yet."""
        if self.status is not Status.REOPENED:
            raise IllegalTransition(self.status, Event.REOPEN)
        self.cycle += 1
        self.rung, self.supervised = 0, False
        self.ack_due_at = ack_due_at
        self.acknowledged_at = self.resolved_at = self.closed_at = None
        self.restart_clock(now, due_at, provisional)
        self.extension_requested_until = None

    def restart_clock(self, now: datetime, due_at: datetime, provisional: bool) -> None:
        """A fresh deadline from `now`, against which the reminders start over (a department's own after
        a transfer, the company's when a department sends the case back, a reopened ticket's)."""
        self.due_at, self.deadline_provisional = due_at, provisional
        self.cycle_started_at, self.reminders_sent, self.overdue_reminded_at = now, 0, None

    def await_acknowledgement(self, ack_due_at: datetime) -> None:
        """Back at NEW with the company (handed over, or returned by a department): a new acknowledgement
        is owed, by `ack_due_at`."""
        self.acknowledged_at = None
        self.ack_due_at = ack_due_at

    def reject(self, reason: str, now: datetime) -> Move:
        """ "Not ours": the community decides."""
        move = self._apply(Event.REJECT, now)
        self.reject_reason = reason
        return move

    def transfer(self, department_id: int | None, now: datetime) -> Move:
        """吹哨报到: handed to a government department, which must report on it; its own deadline follows
        (restart_clock), once the transfer is on record."""
        move = self._apply(Event.TRANSFER_DEPARTMENT, now)
        self.department_office_id = department_id
        return move

    def return_to_company(self, assignee_id: int | None, now: datetime) -> Move:
        """The department sends the case back, not theirs either: its rights end; `assignee_id` (None:
        nobody yet) takes it for the company."""
        move = self._apply(Event.RETURN_TO_COMPANY, now)
        self.department_office_id = None
        self.assignee_id = assignee_id
        return move

    def hand_over(self, assignee_id: int | None, now: datetime) -> Move:
        """Its handler left, or the estate changed company: `assignee_id` (None: nobody yet) takes it."""
        move = self._apply(Event.HANDOVER, now)
        self.assignee_id = assignee_id
        return move

    def rate(self, stars: int, comment: str | None, now: datetime) -> Move:
        move = self._apply(Event.RATE, now)
        self.rating, self.rating_comment = stars, comment
        return move

    def comment_on_rating(self, comment: str, now: datetime) -> Move:
        """The owner's words to the company, written after the stars were stored."""
        if self.rating is None or self.rating_comment is not None:
            raise ValueError("a rating comment follows a rating, once")
        move = self._apply(Event.COMMENT, now)
        self.rating_comment = comment
        return move

    def escalate(self, rung: Rung, now: datetime) -> Move:
        """The ladder reached `rung`; at the bureau the ticket is under listed supervision (挂牌督办)."""
        move = self._apply(Event.ESCALATE, now)
        self.rung = max(self.rung, RUNG_ORDER.index(rung))
        if rung is Rung.BUREAU:
            self.supervised = True
        return move

    def request_extension(self, until: datetime, now: datetime) -> Move:
        """Staff ask for more time, until `until`; the community decides."""
        move = self._apply(Event.EXTENSION_REQUEST, now)
        self.extension_requested_until = until
        return move

    def grant_extension(self, now: datetime, provisional: bool = False) -> Move:
        """The pending request is granted: its moment is the deadline, and the reminders start over
        against it (`provisional`: the calendar has no holiday data for it)."""
        until = self.extension_requested_until
        if until is None:
            raise ValueError(f"no extension was requested for {self.number}")
        move = self._apply(Event.EXTENSION_GRANT, now)
        self.due_at = until
        self.deadline_provisional = self.deadline_provisional or provisional
        self.reminders_sent = 0
        self.extension_requested_until = None
        return move

    def refuse_extension(self, now: datetime) -> Move:
        move = self._apply(Event.EXTENSION_REFUSE, now)
        self.extension_requested_until = None
        return move

    def anonymise(self, now: datetime) -> Move:
        """The reporter erased their data (PIPL): the report stays, nothing links it back to them."""
        move = self._apply(Event.ANONYMISE, now)
        self.reporter_id, self.reporter_unit, self.rating_comment = None, None, None
        return move

    def note(self, event: Event, now: datetime) -> Move:
        """An event that only adds to the record (a comment, a photo, 督办, a reminder, the opening)."""
        if event not in PLAIN_NOTES:
            raise ValueError(f"{event.value} is an act of its own, not a plain note")
        return self._apply(event, now)

    # ---- the sweep's bookkeeping: when to look at the ticket again, which reminders it had
    def schedule(self, at: datetime | None) -> None:
        """The moment the sweep must next look at the ticket (None: never)."""
        self.next_action_at = at

    def schedule_now(self) -> None:
        """Ask the sweep to re-plan the ticket at once (its next moment is the ladder's to know); a
        final ticket is never looked at again."""
        self.schedule(None if self.status in FINAL_STATUSES else self.updated_at)

    def mark_reminded(self, bits: int) -> None:
        """Reminders of this cycle sent (bits of handlers.rules.ladder.REMINDER_BITS)."""
        self.reminders_sent |= bits

    def mark_deadline_reminded(self, now: datetime) -> None:
        """A reminder at or after the deadline went out now (the daily overdue reminder counts from it)."""
        self.overdue_reminded_at = now


# Events that only add to a ticket's record, with no field of their own to change (Ticket.note).
PLAIN_NOTES: frozenset[Event] = frozenset(
    {Event.OPEN, Event.COMMENT, Event.ADD_PHOTO, Event.URGE, Event.REMIND}
)


@dataclass(frozen=True)
class Move:
    """One act on a ticket, as its history records it: the status before and after (the same for an
    event that only adds to the record), and when."""

    event: Event
    before: Status
    after: Status
    at: datetime


@dataclass
class TicketEvent:
    ticket_id: int
    at: datetime
    event: Event
    from_status: Status | None
    to_status: Status | None
    actor_id: int | None = None  # None: the system (scheduler)
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class TypicalCase:
    """An official's mark on a ticket as a typical case (典型案例), with the three parts the monthly
    ledger reports: what happened (基本情况), how it was handled (处理过程), how it ended (处理结果)."""

    ticket_id: int
    background: str
    handling: str
    outcome: str
    marked_by: int | None  # the official who marked it (None: the system; the erased stand-in after)
    marked_at: datetime
    updated_by: int | None = None  # who last changed the texts, and when (None: never changed)
    updated_at: datetime | None = None


class AttachmentKind(StrEnum):
    """What a file attached to a ticket is: stored as the value."""

    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass
class Attachment:
    ticket_id: int
    kind: AttachmentKind
    file_id: str
    file_unique_id: str | None = None
    event_id: int | None = None
    added_by: int | None = None
    created_at: datetime | None = None
    id: int | None = None
