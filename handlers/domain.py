"""The records the use cases work on: plain dataclasses, mapped to tables by storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.rules.categories import Category, Duty, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status


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
class Attachment:
    ticket_id: int
    kind: str  # photo | document
    file_id: str
    file_unique_id: str | None = None
    event_id: int | None = None
    added_by: int | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass
class Notification:
    """A message owed to someone because of a state change; rendered in their language when sent."""

    key: str  # unique: ticket, kind, rung, cycle, recipient
    person_id: int
    kind: str  # template code, e.g. "ticket.assigned"
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
    outcome: str | None = None  # sent | uncertain | blocked | rerouted | failed
    id: int | None = None


@dataclass
class CardMessage:
    """A ticket card sitting in someone's chat, so it can be edited in place as the ticket moves."""

    ticket_id: int
    person_id: int
    chat_id: int
    message_id: int
    created_at: datetime
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
    status: str  # draft | published | discarded
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
