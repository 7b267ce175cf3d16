"""What is owed to whom and where it lands: notifications, the cards they left in chats, the groups bound to
a unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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
    claimed_by: str | None = None  # the claim that took the lease (a token its caller made for it)
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
