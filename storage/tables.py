"""The database tables. Codes and enums are stored as short strings; no display text is stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from handlers.rules.lifecycle import OPEN_STATUSES, Status
from storage.types import UTCDateTime

# Named constraints: SQLite can only alter a table by copying it (Alembic's batch mode), and the copy
# can drop or change a constraint only if it has a name. The same names on both databases, too.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _status_in(statuses: frozenset[Status]) -> str:
    return "status IN (" + ", ".join(f"'{s.value}'" for s in sorted(statuses)) + ")"


# The predicates of the partial indexes, written out as literal SQL: a query finds a partial index only
# when its WHERE carries the same terms (SQLite compares them as written; PostgreSQL must prove them, which
# a bound parameter in a prepared statement would defeat). storage/repositories/tickets.py and
# notifications.py put these very strings into their WHERE; migration 0015 spells them out.
OPEN_TICKET = _status_in(OPEN_STATUSES)
RUNNING_TICKET = _status_in(OPEN_STATUSES - {Status.WAITING_OWNER})  # open, the deadline clock running
UNFINISHED_NOTIFICATION = "sent_at IS NULL AND failed_at IS NULL"


def _partial(name: str, *columns: str, where: str) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class OfficeRow(SQLModel, table=True):
    __tablename__ = "office"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="office.id", index=True)
    department: str | None = Field(default=None, max_length=32)


class CompanyRow(SQLModel, table=True):
    __tablename__ = "company"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class EstateRow(SQLModel, table=True):
    __tablename__ = "estate"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=6, unique=True)
    community_id: int = Field(foreign_key="office.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    invite_code: str = Field(max_length=32, unique=True)
    address: str | None = Field(default=None, max_length=300)
    created_at: datetime | None = _ts()  # when it joined wuye (None: before that was recorded)
    language: str = Field(default="zh_Hans", max_length=8, sa_column_kwargs={"server_default": "zh_Hans"})
    # person keys told of emergencies outside office hours (the setup file's `on_call`)
    on_call: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    display_name: str = Field(max_length=200)
    language: str | None = Field(default=None, max_length=8)
    unreachable: bool = False
    deleted_at: datetime | None = _ts()
    created_at: datetime | None = _ts()
    key: str | None = Field(default=None, max_length=64, unique=True)  # the setup file's key
    telegram_name: str | None = Field(default=None, max_length=200)  # as they chat, kept apart
    code_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    code_failed_at: datetime | None = _ts()
    signed_out_at: datetime | None = _ts()  # web sessions begun before this are over


class RoleRow(SQLModel, table=True):
    __tablename__ = "role"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=16)
    estate_id: int | None = Field(default=None, foreign_key="estate.id", index=True)
    company_id: int | None = Field(default=None, foreign_key="company.id")
    office_id: int | None = Field(default=None, foreign_key="office.id", index=True)
    unit: str | None = Field(default=None, max_length=100)
    duty: str | None = Field(default=None, max_length=16)
    active: bool = True
    created_at: datetime | None = _ts()
    from_setup: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class InviteRow(SQLModel, table=True):
    __tablename__ = "invite"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    role: str = Field(max_length=16)
    estate_id: int | None = Field(default=None, foreign_key="estate.id")
    company_id: int | None = Field(default=None, foreign_key="company.id")
    office_id: int | None = Field(default=None, foreign_key="office.id")
    duty: str | None = Field(default=None, max_length=16)
    person_key: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    created_at: datetime | None = _ts()
    expires_at: datetime | None = _ts()
    used_at: datetime | None = _ts()
    used_by: int | None = Field(default=None, foreign_key="person.id")


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status_estate", "estate_id", "status"),
        # The officials' lists (/area, /overdue, /supervision) count and page open tickets of an area from
        # this index alone: a tenth of the table, every column they filter and sort by.
        _partial("ix_ticket_open", "estate_id", "due_at", "supervised", "status", "id", where=OPEN_TICKET),
        # ... and walk them by deadline, where an area holds most estates (a district's first page).
        _partial(
            "ix_ticket_open_due", "due_at", "id", "estate_id", "supervised", "status", where=OPEN_TICKET
        ),
        # Who reported what in a week or a month (digests, figures), by estate.
        Index("ix_ticket_created_estate", "created_at", "estate_id"),
        # The figures' "overdue now": by estate, past the deadline, reported before the period's end.
        _partial("ix_ticket_running_due", "estate_id", "due_at", "created_at", where=RUNNING_TICKET),
        # A month's ledger walks an estate's tickets by id, a page at a time: each page starts where the
        # last ended (without it every page read and sorted all of the estate's tickets again).
        Index("ix_ticket_estate_id", "estate_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    estate_id: int = Field(foreign_key="estate.id")
    category: str = Field(max_length=32)
    urgency: str = Field(max_length=16)
    description: str = Field(max_length=2000)
    status: str = Field(max_length=24)
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reporter_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    reporter_unit: str | None = Field(default=None, max_length=100)
    location: str | None = Field(default=None, max_length=200)
    privacy: str = Field(max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    department_office_id: int | None = Field(default=None, foreign_key="office.id", index=True)
    ack_due_at: datetime | None = _ts()
    due_at: datetime | None = _ts()
    deadline_provisional: bool = False
    paused_at: datetime | None = _ts()
    acknowledged_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    cycle: int = 1
    reopen_count: int = 0
    rung: int = 0
    supervised: bool = False
    next_action_at: datetime | None = _ts(index=True)
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=1000)
    reject_reason: str | None = Field(default=None, max_length=1000)
    updated_at: datetime | None = _ts()
    cycle_started_at: datetime | None = _ts()
    reminders_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    overdue_reminded_at: datetime | None = _ts()
    extension_requested_until: datetime | None = _ts()
    version: int = 1
    draft_key: str | None = Field(default=None, max_length=40, unique=True)  # the report draft it came from


class TicketSequenceRow(SQLModel, table=True):
    __tablename__ = "ticket_sequence"
    estate_id: int = Field(foreign_key="estate.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class TicketEventRow(SQLModel, table=True):
    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_event_at", "event", "at"),)  # closings, rungs in a period
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    event: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    note: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TicketFigureRow(SQLModel, table=True):
    """One moment of a ticket that the supervision figures count (handlers/rules/figures.py), kept as
    the ticket's events are written (storage/repositories/figures.py), so that a scope's figures over a
    period are counted here, by estate and moment, without reading a ticket or its history.

    `kind` names the figure; `at` is the moment it counts in. `met`: for a rate's case, True met, False
    missed, None undecided (missed at `at` once that moment is past, unless the clock `stopped` first:
    a pending acknowledgement or resolution); for a rating, 4 or 5 stars; for a count, True. A kind a
    ticket can reach more than once (reopened, transferred...) keeps the `previous` time it did, so
    each ticket is counted once in a period: by its first moment in it."""

    __tablename__ = "ticket_figure"
    __table_args__ = (
        # A scope's figures over a period: its estates' moments in it, read from the index alone.
        Index("ix_ticket_figure_scope", "estate_id", "at", "kind", "met", "stopped", "previous"),
        Index("ix_ticket_figure_ticket", "ticket_id", "kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    estate_id: int = Field(foreign_key="estate.id")
    kind: str = Field(max_length=12)
    at: datetime | None = _ts()
    met: bool | None = None
    stopped: datetime | None = _ts()
    previous: datetime | None = _ts()


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=16)
    file_id: str = Field(max_length=200)
    file_unique_id: str | None = Field(default=None, max_length=100)
    event_id: int | None = Field(default=None, foreign_key="ticket_event.id")
    added_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime | None = _ts()


class NotificationRow(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_pending", "sent_at", "failed_at", "not_before"),
        # `wuye status` counts, and finds the oldest of, those not yet finished: a handful among millions.
        _partial("ix_notification_unfinished", "id", where=UNFINISHED_NOTIFICATION),
        # A claim sent again finds what its first run took by its token, among the unfinished only.
        _partial("ix_notification_claimed_by", "claimed_by", where=UNFINISHED_NOTIFICATION),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=48)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    not_before: datetime | None = _ts()
    attempts: int = 0
    sent_at: datetime | None = _ts()
    failed_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=500)
    parts_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_until: datetime | None = _ts()
    outcome: str | None = Field(default=None, max_length=16)
    claimed_by: str | None = Field(default=None, max_length=32)  # the claim that took the lease: its token


class CardMessageRow(SQLModel, table=True):
    """Which message in which chat shows a ticket's card, so it can be edited in place."""

    __tablename__ = "card_message"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_card_message_chat_message"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    shown_version: int | None = None  # the ticket's version a press last drew in this message


class GroupBindingRow(SQLModel, table=True):
    """A Telegram group that also receives the ticket cards of an estate's company or of an office."""

    __tablename__ = "group_binding"
    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    estate_id: int | None = Field(default=None, foreign_key="estate.id", index=True)
    office_id: int | None = Field(default=None, foreign_key="office.id", index=True)
    title: str | None = Field(default=None, max_length=200)


class PolicyRow(SQLModel, table=True):
    __tablename__ = "escalation_policy"
    key: str = Field(max_length=80, primary_key=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SettingRow(SQLModel, table=True):
    """A section of settings the setup file gives as one mapping (`supervision: {min_sample: 5}`)."""

    __tablename__ = "setting"
    key: str = Field(max_length=80, primary_key=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CalendarOverrideRow(SQLModel, table=True):
    __tablename__ = "calendar_override"
    day: date = Field(primary_key=True)
    working: bool
    note: str | None = Field(default=None, max_length=200)


class ConversationRow(SQLModel, table=True):
    """Where each chat is in a conversation, so a restart or another process carries on."""

    __tablename__ = "conversation"
    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, primary_key=True)
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ProcessedUpdateRow(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update changes nothing."""

    __tablename__ = "processed_update"
    __table_args__ = (UniqueConstraint("bot_id", "update_id"),)
    id: int | None = Field(default=None, primary_key=True)
    bot_id: int = Field(sa_type=BigInteger)
    update_id: int = Field(sa_type=BigInteger)
    processed_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class DisclosureRow(SQLModel, table=True):
    """A quarterly disclosure (公共收益, 专项维修资金, 公摊水电): a draft, or published and then immutable."""

    __tablename__ = "disclosure"
    __table_args__ = (
        UniqueConstraint("estate_id", "kind", "quarter", "revision", name="uq_disclosure_revision"),
        Index("ix_disclosure_estate_kind_quarter", "estate_id", "kind", "quarter"),
    )
    id: int | None = Field(default=None, primary_key=True)
    estate_id: int = Field(foreign_key="estate.id")
    kind: str = Field(max_length=24)
    quarter: str = Field(max_length=8)
    revision: int
    status: str = Field(max_length=16)
    account_bank: str = Field(max_length=200)
    account_number: str = Field(max_length=40)
    opening_fen: int = Field(sa_type=BigInteger)
    closing_fen: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    published_at: datetime | None = _ts()
    published_by: int | None = Field(default=None, foreign_key="person.id")
    reason: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, max_length=200)


class DisclosureLineRow(SQLModel, table=True):
    __tablename__ = "disclosure_line"
    id: int | None = Field(default=None, primary_key=True)
    disclosure_id: int = Field(foreign_key="disclosure.id", index=True)
    position: int = 0
    section: str = Field(max_length=16)
    item: str = Field(max_length=32)
    amount_fen: int = Field(sa_type=BigInteger)
    reference: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)


class DisclosureDeadlineRow(SQLModel, table=True):
    """One estate's due date for one quarter's disclosure, and the reminders and mark the sweep made."""

    __tablename__ = "disclosure_deadline"
    estate_id: int = Field(foreign_key="estate.id", primary_key=True)
    kind: str = Field(max_length=24, primary_key=True)
    quarter: str = Field(max_length=8, primary_key=True)
    due_on: date
    reminded: int = 0
    missed_at: datetime | None = _ts()
    published_at: datetime | None = _ts()


class DisclosureQuestionRow(SQLModel, table=True):
    """A ticket opened by an owner about one line of a disclosure."""

    __tablename__ = "disclosure_question"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    disclosure_id: int = Field(foreign_key="disclosure.id", index=True)
    line_id: int = Field(foreign_key="disclosure_line.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class TypicalCaseRow(SQLModel, table=True):
    """An official's mark on a ticket as a typical case (典型案例), with its three texts."""

    __tablename__ = "typical_case"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    background: str = Field(max_length=1000)  # 基本情况
    handling: str = Field(max_length=1000)  # 处理过程
    outcome: str = Field(max_length=1000)  # 处理结果
    marked_by: int | None = Field(default=None, foreign_key="person.id")
    marked_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime | None = _ts()


class SendPaceRow(SQLModel, table=True):
    """When the bot may next send, overall ("all") and to each chat ("c<id>"): Telegram's limits are
    per bot, so every instance on one database reserves its slots here (storage/pacing.py)."""

    __tablename__ = "send_pace"
    key: str = Field(max_length=32, primary_key=True)
    next_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class LedgerRow(SQLModel, table=True):
    """A version of a scope's monthly ledger (台账) as sent, its files kept to be sent again unchanged."""

    __tablename__ = "ledger"
    __table_args__ = (
        UniqueConstraint("scope_kind", "scope_id", "month", "version", name="uq_ledger_version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    scope_kind: str = Field(max_length=16)
    scope_id: int
    month: str = Field(max_length=7)
    version: int
    built_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    built_by: int | None = Field(default=None, foreign_key="person.id")
    rows: int = 0
    erased: bool = False


class LedgerPieceRow(SQLModel, table=True):
    """A piece of a kept ledger version's file (xlsx or csv), in order: a file is written and read a
    piece at a time, never bound whole as one value (the driver would copy it)."""

    __tablename__ = "ledger_piece"
    ledger_id: int = Field(foreign_key="ledger.id", primary_key=True)
    file: str = Field(max_length=4, primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary, nullable=False)


class LedgerNamedRow(SQLModel, table=True):
    """Someone a ledger's files name (a reporter, a handler): erasing them drops those files."""

    __tablename__ = "ledger_named"
    ledger_id: int = Field(foreign_key="ledger.id", primary_key=True)
    person_id: int = Field(primary_key=True, index=True)


class WebCodeRow(SQLModel, table=True):
    """A way into the web front door (handlers/domain/people.py's WebCode): only the code's digest is kept."""

    __tablename__ = "web_code"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=16)
    digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = _ts()
    used_at: datetime | None = _ts()


class WebAttemptRow(SQLModel, table=True):
    """Failed sign-in attempts of one client (its address) in the current window."""

    __tablename__ = "web_attempt"
    key: str = Field(max_length=80, primary_key=True)
    failures: int = 0
    since: datetime | None = _ts()


class WebVisitRow(SQLModel, table=True):
    """When a person last looked at the web pages: what changed since is shown on arrival."""

    __tablename__ = "web_visit"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class DueReportRow(SQLModel, table=True):
    """An office's report of a period on the report calendar: drafted, sent (by whom, or automatically),
    with the ledger version that went up. One row per office, report and period: the claim that makes
    each draft and each sending happen once, whichever instance gets there first."""

    __tablename__ = "due_report"
    __table_args__ = (UniqueConstraint("office_id", "report", "period", name="uq_due_report_period"),)
    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    report: str = Field(max_length=32)
    period: str = Field(max_length=16)
    due_on: date
    drafted_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    sent_by: int | None = Field(default=None, foreign_key="person.id")
    automatic: bool = False
    ledger_id: int | None = Field(default=None, foreign_key="ledger.id")
