"""The records the use cases work on: plain dataclasses, mapped to tables by storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from handlers.rules.categories import Category, Duty, Privacy, Urgency
from handlers.rules.lifecycle import FINAL_STATUSES, Event, IllegalTransition, Status, next_status
from handlers.rules.policy import RUNG_ORDER, Rung


class OfficeKind(StrEnum):
    BUREAU = "bureau"  # 区住建局 / 整治工作专班
    STREET = "street"  # 街道办事处
    COMMUNITY = "community"  # 社区居委会
    DEPARTMENT = "department"  # 城管, 市场监管, 资源规划, 消防


class RoleKind(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    MANAGER = "manager"
    COMMITTEE = "committee"  # owners' committee member (业委会)
    OFFICIAL = "official"  # member of an office
    ADMIN = "admin"


@dataclass
class Office:
    key: str
    name: str
    kind: OfficeKind
    parent_id: int | None = None
    department: str | None = None  # city_management, market_regulation, planning, fire
    id: int | None = None


@dataclass
class Company:
    key: str
    name: str
    phone: str | None = None
    id: int | None = None


@dataclass
class Estate:
    key: str
    name: str
    prefix: str  # ticket number prefix
    community_id: int
    company_id: int
    invite_code: str
    address: str | None = None
    created_at: datetime | None = None  # when it joined wuye (None: before that was recorded)
    language: str = "zh_Hans"  # for its people who chose none (a manager from the setup file, say)
    # person keys of the setup file's `on_call`: told of emergencies outside office hours
    on_call: list[str] = field(default_factory=list)
    id: int | None = None


# The one anonymous person that an erased person's records point to (PIPL): nothing links them to it.
ERASED_PERSON_KEY = "~erased"


@dataclass
class Person:
    display_name: str  # the setup file's name when it names them, else the name they chat under
    telegram_id: int | None = None
    language: str | None = None
    unreachable: bool = False
    deleted_at: datetime | None = None
    created_at: datetime | None = None
    key: str | None = None  # the setup file's key: the file names this person
    telegram_name: str | None = None  # the name they chat under, kept apart from the file's
    code_failures: int = 0  # wrong invite codes tried since code_failed_at
    code_failed_at: datetime | None = None
    # the web pages' sessions begun before this are over (signed out; a new personal link issued)
    signed_out_at: datetime | None = None
    id: int | None = None


@dataclass
class Role:
    person_id: int
    kind: RoleKind
    estate_id: int | None = None
    company_id: int | None = None
    office_id: int | None = None
    unit: str | None = None  # owner's building/unit, free text (3栋2单元501)
    duty: Duty | None = None  # staff only
    active: bool = True
    created_at: datetime | None = None
    from_setup: bool = False  # declared by the setup file (which may take it away again)
    id: int | None = None


@dataclass
class Invite:
    code: str
    role: RoleKind
    estate_id: int | None = None
    company_id: int | None = None
    office_id: int | None = None
    duty: Duty | None = None
    person_key: str | None = None  # the setup file's key for the person, if pre-declared
    display_name: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    used_at: datetime | None = None
    used_by: int | None = None
    id: int | None = None


class WebCodeKind(StrEnum):
    """Which way into the web front door a code is: stored as the value."""

    ONCE = "once"  # a one-time sign-in code, from /web in the chat or `wuye invite web`
    LINK = "link"  # an owner's personal sign-in link
    RECOVERY = "recovery"  # an owner's recovery code, for a lost link


@dataclass
class WebCode:
    """A way into the web front door: a one-time sign-in code (from /web or `wuye invite`), an owner's
    personal sign-in link, or their recovery code. Only a digest of the code is kept."""

    person_id: int
    kind: WebCodeKind
    digest: str  # sha256 of the code, hex
    created_at: datetime
    expires_at: datetime | None = None
    used_at: datetime | None = None
    id: int | None = None


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


class NoticeKind(StrEnum):
    """What a notification says (its template): stored as the value, so the database keeps these codes."""

    CARD_REFRESH = "card.refresh"  # a ticket's card edited in place where it was sent
    TICKET_ACKNOWLEDGED = "ticket.acknowledged"
    TICKET_ANSWER = "ticket.answer"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_CHASED = "ticket.chased"
    TICKET_CLOSED_UNCONFIRMED = "ticket.closed_unconfirmed"
    TICKET_COMMENT = "ticket.comment"
    TICKET_CONFIRMED = "ticket.confirmed"
    TICKET_DEPARTMENT = "ticket.department"
    TICKET_ESCALATED = "ticket.escalated"
    TICKET_EXTENSION_GRANTED = "ticket.extension_granted"
    TICKET_EXTENSION_REFUSED = "ticket.extension_refused"
    TICKET_EXTENSION_REQUESTED = "ticket.extension_requested"
    TICKET_ON_CALL = "ticket.on_call"
    TICKET_PHOTO = "ticket.photo"
    TICKET_QUESTION = "ticket.question"
    TICKET_RATED = "ticket.rated"
    TICKET_REJECTED = "ticket.rejected"
    TICKET_REJECTION_REVIEW = "ticket.rejection_review"
    TICKET_REMINDER = "ticket.reminder"
    TICKET_RESOLVED = "ticket.resolved"
    TICKET_RETURNED = "ticket.returned"
    TICKET_STARTED = "ticket.started"
    TICKET_SUPERVISED = "ticket.supervised"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_UNASSIGNED = "ticket.unassigned"
    TICKET_UNREACHED = "ticket.unreached"
    TICKET_URGED = "ticket.urged"
    TICKET_URGED_OWNER = "ticket.urged_owner"
    TICKET_WITHDRAWN = "ticket.withdrawn"
    GROUP_BOUND = "group.bound"
    GROUP_UNBOUND = "group.unbound"
    REVENUE_MISSED = "revenue.missed"
    REVENUE_PUBLISHED = "revenue.published"
    REVENUE_REMINDER = "revenue.reminder"
    REVENUE_REVISED = "revenue.revised"
    DIGEST_MONTHLY = "digest.monthly"
    DIGEST_WEEKLY = "digest.weekly"
    REPORT_AUTO_SENT = "report.auto_sent"
    REPORT_DRAFT = "report.draft"
    REPORT_RECEIVED = "report.received"
    REPORT_SENT = "report.sent"


class Outcome(StrEnum):
    """How a notification's delivery ended (None while it waits)."""

    SENT = "sent"
    UNCERTAIN = "uncertain"  # it may have arrived (a timeout after sending), so it is not resent
    BLOCKED = "blocked"  # the recipient blocked the bot
    REROUTED = "rerouted"  # blocked, and handed to the next person up
    FAILED = "failed"
    WEB = "web"  # the person has no Telegram chat: kept for them, shown on their next visit to the web pages


@dataclass
class Notification:
    """A message owed to someone because of a state change; rendered in their language when sent."""

    key: str  # unique: ticket, kind, rung, cycle, recipient
    person_id: int
    kind: str  # a NoticeKind
    params: dict[str, Any]
    created_at: datetime
    ticket_id: int | None = None
    chat_id: int | None = None  # a bound group instead of a person's private chat
    not_before: datetime | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None
    parts_sent: int = 0  # messages of this notification already delivered (a card plus its photos)
    claimed_until: datetime | None = None  # a dispatcher's lease; another may take it after this
    outcome: str | None = None  # an Outcome; None: not finished
    id: int | None = None


@dataclass
class CardMessage:
    """A ticket card sitting in someone's chat, so it can be edited in place as the ticket moves."""

    ticket_id: int
    person_id: int
    chat_id: int
    message_id: int
    created_at: datetime
    # the ticket's version the message last showed, when a press drew it in place (the refresh the
    # same change queued then has nothing to add to it)
    shown_version: int | None = None
    id: int | None = None


@dataclass
class GroupBinding:
    """A Telegram group bound to a unit: an estate's company staff, or an office."""

    chat_id: int
    person_id: int  # who bound it; cards are rendered with that person's role and language
    created_at: datetime
    estate_id: int | None = None
    office_id: int | None = None
    title: str | None = None


@dataclass
class CalendarOverride:
    day: Any  # datetime.date
    working: bool
    note: str | None = None


@dataclass
class DisclosureLine:
    """One line of a disclosure: an income item, a cost, or a use of the money, in integer fen."""

    section: str  # handlers.rules.revenue.Section
    item: str  # an item code of handlers.rules.revenue.ITEMS
    amount_fen: int
    position: int = 0
    reference: str = ""  # the contract, or the owners' assembly decision
    note: str = ""
    disclosure_id: int | None = None
    id: int | None = None


@dataclass
class Disclosure:
    """A quarterly disclosure of an estate's money (公共收益, 专项维修资金, 公摊水电); once published it
    never changes: a correction is a new revision with a reason."""

    estate_id: int
    kind: str  # handlers.rules.revenue.DisclosureKind
    quarter: str  # 2026Q3
    revision: int
    status: str  # a DisclosureStatus
    account_bank: str
    account_number: str  # masked: ****2345
    opening_fen: int
    closing_fen: int
    created_at: datetime
    created_by: int | None = None
    published_at: datetime | None = None
    published_by: int | None = None
    reason: str | None = None  # why this revision corrects the one before
    source: str | None = None  # the file it was imported from
    lines: list[DisclosureLine] = field(default_factory=list)
    id: int | None = None


@dataclass
class DisclosureDeadline:
    """The due date of one estate's disclosure for one quarter, and what the sweep did about it."""

    estate_id: int
    kind: str
    quarter: str
    due_on: Any  # datetime.date
    reminded: int = 0  # bits: which reminders before the due date went out
    missed_at: datetime | None = None  # the mark on the estate: the due date passed unpublished
    published_at: datetime | None = None


@dataclass
class DisclosureQuestion:
    """An owner's question about one line, opened as a ticket."""

    ticket_id: int
    disclosure_id: int
    line_id: int
    created_at: datetime


@dataclass
class LedgerVersion:
    """One version of a scope's monthly ledger (台账) as it was sent: its files are kept and sent again
    byte for byte; a correction is the next version. The files are dropped (`erased`) when someone they
    name deletes their data (PIPL), and the next request builds a new version."""

    scope_kind: str  # handlers.services.figures.ScopeKind: an office's area, or an estate
    scope_id: int
    month: str  # 2026-11
    version: int
    built_at: datetime  # also the workbook's created and modified time
    rows: int  # tickets on the first sheet
    xlsx: bytes | None = None
    csv: bytes | None = None  # the first sheet, GBK
    built_by: int | None = None  # None: from the command line
    erased: bool = False
    id: int | None = None


@dataclass
class DueReport:
    """One office's report of one period on the report calendar (handlers/rules/report_calendar.py):
    when its draft went to the office's officials, and when it was sent upward, by whom (None and
    `automatic`: by the calendar on the due day), with which ledger version (the bytes that went up)."""

    office_id: int
    report: str  # handlers.rules.report_calendar.ReportKind
    period: str  # 2026-11
    due_on: date  # the working day it is due
    drafted_at: datetime | None = None
    sent_at: datetime | None = None
    sent_by: int | None = None
    automatic: bool = False
    ledger_id: int | None = None
    id: int | None = None
