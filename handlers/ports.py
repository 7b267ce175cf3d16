"""The ports: every interface the core (handlers) needs from outside, declared once, implemented in
storage and bot. Repositories that never commit and a unit of work that does, the conversation state
store and its `ChatState`, one turn at a time per chat, the clock, translators, and the document tools
(spreadsheets and charts). The pure rules declare what they need themselves (`HolidaySource` in
handlers/rules/worktime.py), since they import nothing outside handlers.rules."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from handlers.domain.disclosures import Disclosure, DisclosureDeadline, DisclosureQuestion
from handlers.domain.ledgers import DueReport, LedgerVersion
from handlers.domain.notifications import CardMessage, GroupBinding, Notification
from handlers.domain.organisations import Company, Estate, Office
from handlers.domain.people import Invite, Person, Role, RoleKind, WebCode, WebCodeKind
from handlers.domain.ticket import Attachment, Ticket, TicketEvent, TypicalCase
from handlers.domain.workdays import CalendarOverride
from handlers.rules.categories import Category, Duty, Privacy, Urgency
from handlers.rules.figures import Figures
from handlers.rules.lifecycle import Event, Status
from handlers.rules.revenue import DisclosureKind, DisclosureStatus
from handlers.text import Lang

T = TypeVar("T")
Cell = str | int | Decimal | None
Grid = list[list[Cell]]  # a spreadsheet's rows of plain cells, as DocumentTools.read_grid gives them


class StaleTicket(Exception):
    """Someone else changed the ticket since it was read (optimistic lock lost)."""


class KeyedRepository(Protocol[T]):
    def get(self, id: int) -> T | None: ...
    def by_key(self, key: str) -> T | None: ...
    def add(self, item: T) -> T: ...
    def save(self, item: T) -> T: ...
    def all(self) -> list[T]: ...


class OfficeRepository(KeyedRepository[Office], Protocol):
    def children(self, office_id: int) -> list[Office]: ...
    def parents(self) -> dict[int, int | None]:
        """Every office's parent (None: the top), without reading the offices themselves."""
        ...


class CompanyRepository(KeyedRepository[Company], Protocol): ...


class EstateRepository(KeyedRepository[Estate], Protocol):
    def by_invite_code(self, code: str) -> Estate | None: ...
    def in_communities(self, community_ids: Sequence[int]) -> list[Estate]: ...
    def communities(self) -> dict[int, int]:
        """Every estate's community, without reading the estates themselves."""
        ...

    def names(self, ids: Collection[int] | None) -> dict[int, str]:
        """The names of those of `ids` that exist (None: of every estate)."""
        ...


class PersonRepository(Protocol):
    def get(self, id: int) -> Person | None: ...
    def by_telegram_id(self, telegram_id: int) -> Person | None: ...
    def by_key(self, key: str) -> Person | None: ...
    def names(self, ids: Collection[int]) -> dict[int, str]:
        """The display names of those of `ids` who exist and have not deleted their data."""
        ...

    def with_roles(self) -> list[Person]:
        """Everyone the setup file names or who holds a role (active or not), oldest first."""
        ...

    def erase(self, person_id: int, into: int, their_tickets: Sequence[int]) -> None:
        """Unlink a person from every record (PIPL): whatever pointed to them points to `into` instead;
        their roles, cards, bound groups and conversation state in every chat go; on `their_tickets`
        (those they reported) what they wrote outside the description and place goes, copies in
        messages' data included; then their row is deleted."""
        ...

    def add(self, item: Person) -> Person: ...
    def save(self, item: Person) -> Person: ...


class RoleRepository(Protocol):
    def add(self, item: Role) -> Role: ...
    def save(self, item: Role) -> Role: ...
    def of_person(self, person_id: int, active_only: bool = True) -> list[Role]: ...
    def at_estate(self, estate_id: int, kind: RoleKind, duty: Duty | None = None) -> list[Role]: ...
    def at_company(self, company_id: int, kind: RoleKind) -> list[Role]: ...
    def at_office(self, office_id: int) -> list[Role]: ...


class InviteRepository(Protocol):
    def by_code(self, code: str) -> Invite | None: ...
    def pending_for(self, person_key: str) -> list[Invite]:
        """Unused invites declared for a person of the setup file."""
        ...

    def declared(self, now: datetime) -> list[Invite]:
        """Unused, unexpired invites the setup file declared for people not on Telegram yet."""
        ...

    def add(self, item: Invite) -> Invite: ...
    def save(self, item: Invite) -> Invite: ...
    def use(self, invite_id: int, person_id: int, now: datetime) -> bool:
        """Mark the invite used by `person_id` if nobody used it yet (one conditional write, so of
        two people redeeming it at once exactly one gets True)."""
        ...


class TicketList(StrEnum):
    """An official's list of open tickets: all of the area (/area), those past their deadline with the
    clock running (/overdue), those listed for supervision (/supervision)."""

    AREA = "area"
    OVERDUE = "overdue"
    SUPERVISED = "supervised"


@dataclass(frozen=True)
class ListScope:
    """Which open tickets a list holds: those of `estate_ids`, and for /area also those transferred to
    the departments `department_ids` (吹哨报到) wherever they are."""

    which: TicketList
    estate_ids: tuple[int, ...]
    department_ids: tuple[int, ...] = ()
    # `estate_ids` are every estate there is (a district's bureau): then no list of them is needed
    everywhere: bool = False


@dataclass(frozen=True)
class ListCount:
    total: int
    overdue: int  # of them, past their deadline with the clock running (as /overdue lists them)


@dataclass(frozen=True)
class Activity:
    """One estate's moments in a period, counted in the database (each ticket at most once per kind),
    as handlers/rules/figures.py counts them: reported, closed as fixed by the owner, closed unconfirmed,
    reached listed supervision (挂牌督办)."""

    estate_id: int
    received: int = 0
    closed_confirmed: int = 0
    closed_unconfirmed: int = 0
    supervised: int = 0


@dataclass(frozen=True)
class LedgerTicket:
    """What a row of the monthly ledger (台账) shows of a ticket, read without the rest (its policy
    snapshot, reminders, drafts): handlers/services/ledger.py."""

    id: int
    number: str
    category: Category
    urgency: Urgency
    description: str
    location: str | None
    status: Status
    privacy: Privacy
    reporter_id: int | None
    reporter_unit: str | None
    assignee_id: int | None
    department_office_id: int | None
    created_at: datetime
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    extension_requested_until: datetime | None
    rung: int
    supervised: bool
    reopen_count: int
    rating: int | None


@dataclass(frozen=True)
class EventMark:
    """One event of a ticket as a list needs it: its kind, moment, and the one value of its data that
    was asked for (as text; None when it has none)."""

    ticket_id: int
    event: Event
    at: datetime
    value: str | None


class TicketRepository(Protocol):
    def get(self, id: int) -> Ticket | None: ...
    def by_number(self, number: str) -> Ticket | None: ...
    def by_draft(self, draft_key: str) -> Ticket | None: ...
    def add(self, item: Ticket) -> Ticket: ...
    def save(self, item: Ticket) -> Ticket:
        """Write the ticket if nobody changed it since it was read, else raise StaleTicket."""
        ...

    def next_sequence(self, estate_id: int, year: int) -> int: ...
    def of_reporter(self, person_id: int, limit: int = 20) -> list[Ticket]: ...
    def of_assignee(self, person_id: int, statuses: frozenset[Status]) -> list[Ticket]: ...
    def of_estates(self, estate_ids: Sequence[int], statuses: frozenset[Status]) -> list[Ticket]: ...
    def due(self, now: datetime, limit: int) -> list[Ticket]: ...
    def due_ids(self, now: datetime, limit: int) -> list[int]: ...
    def claim(self, ticket_id: int, now: datetime) -> Ticket | None:
        """The ticket if it is still due and no other process is working on it."""
        ...

    def count_listed(self, scope: ListScope, now: datetime) -> ListCount:
        """How many open tickets the list holds, and how many of them are overdue (one query)."""
        ...

    def page_listed(self, scope: ListScope, now: datetime, offset: int, limit: int) -> list[Ticket]:
        """One page of the list, in its order: /area listed for supervision first, then by deadline
        (none last), then by id; /overdue and /supervision by deadline, then id."""
        ...

    def activity(self, start: datetime, end: datetime) -> list[Activity]:
        """Per estate, what happened in [start, end): reported, closed (confirmed or not), listed for
        supervision; estates where nothing did are left out."""
        ...

    def for_ledger(
        self, estate_id: int, start: datetime, end: datetime, after_id: int, limit: int
    ) -> list[LedgerTicket]:
        """The estate's tickets open at some moment of [start, end) or closed in it (reported before
        `end`, and not closed before `start`), by id, the first `limit` after `after_id`: a page, with
        only the columns a ledger's row shows."""
        ...


class EventRepository(Protocol):
    def add(self, item: TicketEvent) -> TicketEvent: ...
    def of_ticket(self, ticket_id: int) -> list[TicketEvent]: ...
    def of_tickets(self, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
        """Each ticket's history, oldest first (tickets without any are left out)."""
        ...

    def marks(self, ticket_ids: Sequence[int], wanted: Mapping[Event, str | None]) -> list[EventMark]:
        """The tickets' events of the kinds `wanted` names, by ticket and then oldest first, each with
        the value of the key of its data `wanted` names for its kind (None: no value asked for). Only
        what is asked is read: no history is built."""
        ...


class FigureRepository(Protocol):
    """The supervision figures, counted in the database from the moments kept as tickets change."""

    def by_estate(
        self, estate_ids: Sequence[int], start: datetime, end: datetime, now: datetime, min_sample: int
    ) -> dict[int, Figures]:
        """Each estate's figures over [start, end) (UTC moments), as handlers/rules/figures.figures
        makes them of the estate's tickets, "overdue now" at `now`; every estate asked is in it."""
        ...


class TypicalCaseRepository(Protocol):
    """Officials' typical-case marks (典型案例), one per ticket."""

    def get(self, ticket_id: int) -> TypicalCase | None: ...
    def put(self, item: TypicalCase) -> None:
        """Mark the ticket, or replace its texts if it is marked already."""
        ...

    def remove(self, ticket_id: int) -> bool:
        """Take the mark off; False if there was none."""
        ...

    def typical_cases(self, estate_ids: Sequence[int], start: datetime, end: datetime) -> list[TypicalCase]:
        """The marked tickets of the estates that were open at some moment of [start, end): reported
        before `end` and not closed before `start` (the tickets a month's ledger lists), by ticket id."""
        ...


class AttachmentRepository(Protocol):
    def add(self, item: Attachment) -> Attachment: ...
    def of_ticket(self, ticket_id: int) -> list[Attachment]: ...


class NotificationRepository(Protocol):
    def get(self, id: int) -> Notification | None: ...
    def add(self, item: Notification) -> bool:
        """Queue it unless a notification with the same key exists; True if queued."""
        ...

    def pending(self, now: datetime, limit: int) -> list[Notification]: ...
    def save(self, item: Notification) -> Notification: ...
    def claim(
        self,
        now: datetime,
        limit: int,
        lease_until: datetime,
        person_ids: Collection[int] | None = None,
        token: str | None = None,
    ) -> list[Notification]:
        """Lease pending notifications that no other dispatcher holds (only these people's private
        messages, when `person_ids` is given), marked with `token` (unique to this claim): run again with
        it, what the earlier run leased and still holds is returned instead."""
        ...

    def counts(self, now: datetime) -> dict[str, int]:
        """Every notification ever queued, by outcome (a full count: for tests and benchmarks)."""
        ...

    def kept_for_web(self, person_id: int, since: datetime | None, limit: int) -> list[Notification]:
        """A person's private messages kept for the web pages (they have no Telegram chat), newest
        first, those kept after `since` (all of them when None)."""
        ...

    def waiting(self) -> int:
        """How many are not yet finished (neither sent nor given up): counted over those alone."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a notification with this key was ever queued (sent or not)."""
        ...

    def oldest_waiting(self, now: datetime | None = None) -> Notification | None:
        """The first undelivered notification; with `now`, not one held for later and never tried."""
        ...

    def renew(self, notification_id: int, held_until: datetime, lease_until: datetime) -> bool:
        """Extend a lease only if it is still the one this dispatcher took; False if it was lost."""
        ...

    def hold_back(self, leases: Mapping[int, datetime], until: datetime | None) -> int:
        """Let these go (no lease) and let none of them be sent before `until`: each only while its lease
        is still the one held (id -> lease), not one another dispatcher took after ours ran out. How many
        were let go."""
        ...

    def release_leases(self) -> int:
        """Drop every lease on unfinished notifications (only when no other dispatcher can run)."""
        ...

    def add_many(self, items: Sequence[Notification]) -> int:
        """Queue many at once (one statement per chunk), skipping keys already queued; how many queued."""
        ...


class CardRepository(Protocol):
    def add(self, item: CardMessage) -> CardMessage: ...
    def of_ticket(self, ticket_id: int) -> list[CardMessage]: ...
    def shown(self, chat_id: int, message_id: int, version: int) -> None:
        """A press drew the card in this message as the ticket's `version` (if it is a card)."""
        ...


class PolicyRepository(Protocol):
    def all(self) -> list[dict[str, Any]]: ...
    def put(self, key: str, data: dict[str, Any]) -> None: ...


class SettingRepository(Protocol):
    """The settings sections of the setup file (`supervision: {min_sample: 5}`), each a mapping."""

    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, data: dict[str, Any]) -> None: ...


class CalendarRepository(Protocol):
    def overrides(self) -> dict[date, bool]: ...
    def put(self, item: CalendarOverride) -> None: ...


@dataclass
class ChatState:
    """Where a person is in a conversation in one chat; stored, so restarts carry on."""

    chat_id: int
    user_id: int
    flow: str
    step: str
    data: dict[str, object] = field(default_factory=dict)
    updated_at: datetime | None = field(default=None, compare=False)  # when it last moved on (as stored)


class ConversationRepository(Protocol):
    def get(self, chat_id: int, user_id: int) -> ChatState | None: ...
    def put(self, state: ChatState, now: datetime) -> None: ...
    def clear(self, chat_id: int, user_id: int) -> None: ...


class UpdateLog(Protocol):
    """Telegram update ids already handled."""

    def seen(self, bot_id: int, update_id: int) -> bool: ...
    def mark(self, bot_id: int, update_id: int, now: datetime) -> None: ...
    def prune(self, before: datetime) -> int: ...


class GroupRepository(Protocol):
    def get(self, chat_id: int) -> GroupBinding | None: ...
    def put(self, item: GroupBinding) -> None: ...
    def delete(self, chat_id: int) -> bool: ...
    def for_estate(self, estate_id: int) -> list[GroupBinding]: ...
    def for_office(self, office_id: int) -> list[GroupBinding]: ...
    def bound_by(self, person_id: int) -> list[GroupBinding]: ...


class DisclosureRepository(Protocol):
    def get(self, id: int) -> Disclosure | None:
        """With its lines."""
        ...

    def add(self, item: Disclosure) -> Disclosure:
        """Insert a draft with its lines."""
        ...

    def set_status(
        self,
        id: int,
        status: DisclosureStatus,
        now: datetime,
        person_id: int | None,
        reason: str | None = None,
        revision: int | None = None,
    ) -> None:
        """Draft → published (taking `revision`, the number owners see) or discarded; a published
        disclosure never changes again (ValueError)."""
        ...

    def revisions(self, estate_id: int, kind: str, quarter: str) -> list[Disclosure]:
        """Every revision of one quarter, oldest first, drafts and discarded ones included."""
        ...

    def published(self, estate_id: int, kind: str, limit: int = 8) -> list[Disclosure]:
        """The newest published revision of each quarter, newest quarter first."""
        ...

    def first_published(self, estate_ids: Sequence[int], kind: str, quarter: str) -> dict[int, datetime]:
        """When each estate first published the quarter (revision 1's publication)."""
        ...

    def deadline(self, estate_id: int, kind: str, quarter: str) -> DisclosureDeadline | None: ...
    def put_deadline(self, item: DisclosureDeadline) -> None: ...
    def deadlines(self, estate_ids: Sequence[int], kind: str) -> list[DisclosureDeadline]: ...
    def of_line(self, line_id: int) -> list[int]:
        """The disclosure a line belongs to (empty if none)."""
        ...

    def add_question(self, item: DisclosureQuestion) -> None: ...
    def question_of(self, ticket_id: int) -> DisclosureQuestion | None: ...


class LedgerRepository(Protocol):
    """The monthly ledgers (台账) as sent, each version kept."""

    def get(self, id: int) -> LedgerVersion | None: ...
    def latest(self, scope_kind: str, scope_id: int, month: str, files: bool = True) -> LedgerVersion | None:
        """The newest version of the scope's month, with its files unless `files` is False (then
        `xlsx` and `csv` are None: tens of megabytes not read); None if never built."""
        ...

    def add(self, item: LedgerVersion, named: Collection[int]) -> LedgerVersion | None:
        """Keep a new version and the people its files name (so erasing one of them drops the files);
        None, and nothing kept, when another process kept that version number first. The files are
        written without copies of them piling up where the database allows it (SQLite: in pieces)."""
        ...


class WebRepository(Protocol):
    """The web front door's records: sign-in codes (digests only), sign-in attempts counted per client
    (so a limit holds across restarts and processes), and when each person last looked."""

    def add_code(self, code: WebCode) -> WebCode: ...

    def code_by_digest(self, digest: str) -> WebCode | None: ...

    def use_code(self, code_id: int, now: datetime) -> bool:
        """Mark a one-time code used, only if nobody used it first (a conditional write)."""
        ...

    def retire_codes(self, person_id: int, kinds: Collection[WebCodeKind], now: datetime) -> int:
        """Every unused code of these kinds of the person stops working now."""
        ...

    def attempts(self, key: str) -> tuple[int, datetime | None]:
        """Failures counted for this client key, and when its window began."""
        ...

    def set_attempts(self, key: str, failures: int, since: datetime | None) -> None: ...

    def last_seen(self, person_id: int) -> datetime | None: ...

    def seen(self, person_id: int, at: datetime) -> None: ...


class ReportRepository(Protocol):
    """The report calendar's records (handlers/services/report_calendar.py): one per office, report and
    period; the claims are conditional updates, so each draft and each sending happens once."""

    def get(self, id: int) -> DueReport | None: ...
    def of(self, office_id: int, report: str, period: str) -> DueReport | None: ...
    def open(self, item: DueReport) -> DueReport:
        """The office's report of the period: `item`, kept now, or the one kept already."""
        ...

    def claim_draft(self, report_id: int, now: datetime) -> bool:
        """Mark its draft sent; False when it was, or the report was sent, already."""
        ...

    def claim_sent(
        self, report_id: int, now: datetime, by: int | None, automatic: bool, ledger_id: int | None
    ) -> bool:
        """Mark it sent; False when it was sent already (another press, or the calendar)."""
        ...

    def of_offices(self, office_ids: Sequence[int], period: str) -> list[DueReport]: ...
    def of_periods(self, office_ids: Sequence[int], report: str, periods: Sequence[str]) -> list[DueReport]:
        """The records of these offices' `report` for any of `periods`, in one read."""
        ...


class ChatTurns(Protocol):
    """One turn at a time per chat, whichever process handles it (several instances share a database):
    `with turns(bot_id, chat_id):` waits while another process is in a turn of that chat."""

    def __call__(self, bot_id: int, chat_id: int) -> AbstractContextManager[None]: ...


class UnitOfWork(Protocol):
    """Use cases read its repositories and never replace them, so each is a read-only property: then
    any implementation matches, however it makes them (storage makes each on first use)."""

    @property
    def offices(self) -> OfficeRepository: ...
    @property
    def companies(self) -> CompanyRepository: ...
    @property
    def estates(self) -> EstateRepository: ...
    @property
    def people(self) -> PersonRepository: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def invites(self) -> InviteRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def figures(self) -> FigureRepository: ...
    @property
    def attachments(self) -> AttachmentRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def calendar(self) -> CalendarRepository: ...
    @property
    def settings(self) -> SettingRepository: ...
    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def cards(self) -> CardRepository: ...
    @property
    def updates(self) -> UpdateLog: ...
    @property
    def groups(self) -> GroupRepository: ...
    @property
    def disclosures(self) -> DisclosureRepository: ...
    @property
    def typical_cases(self) -> TypicalCaseRepository: ...
    @property
    def ledgers(self) -> LedgerRepository: ...
    @property
    def web(self) -> WebRepository: ...
    @property
    def reports(self) -> ReportRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


# ---- time, words and files ------------------------------------------------------------------------
class Clock(Protocol):
    """The one source of time: injected everywhere, never read inline (handlers/clock.py has the real
    clock and the one the tests and the demo move by hand)."""

    def now(self) -> datetime:
        """The current moment, UTC-aware."""
        ...


@runtime_checkable
class Translator(Protocol):
    """Text and formats in one reader's language; conversations get one per reply."""

    @property
    def lang(self) -> Lang: ...

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def format_datetime(self, dt: datetime) -> str:
        """An aware moment, shown in the estate's local zone."""
        ...

    def format_date(self, d: date) -> str: ...

    def format_money(self, fen: int) -> str:
        """A CNY amount given in integer fen."""
        ...

    def format_number(self, n: int | Decimal) -> str: ...


class TranslatorFactory(Protocol):
    """Hands out the translator for a language; `for_lang` is the `translator_for` of the use cases."""

    def for_lang(self, lang: Lang) -> Translator: ...


class DocumentTools(Protocol):
    """What the conversations need from the bot for files and pictures (openpyxl, matplotlib)."""

    def read_grid(self, data: bytes, filename: str | None) -> Grid:
        """Rows of plain cells; RevenueFileError for a file that is no spreadsheet or holds formulas."""
        ...

    def template(self, tr: Translator, kind: DisclosureKind) -> bytes:
        """An XLSX template with the items named in the reader's language."""
        ...

    def chart(self, spec: object) -> bytes:
        """A PNG of a handlers.services.revenue.ChartSpec."""
        ...

    def rates_chart(self, spec: object) -> bytes:
        """A PNG of a handlers.conversations.stats_text.RatesChart: the 三率 by estate or company."""
        ...

    def workbook(self, sheets: Sequence[Sheet], built_at: datetime) -> WorkbookFiles:
        """An XLSX of the sheets, written as their rows come (streaming), with `built_at` as its created
        and modified time, so the same sheets give the same bytes; and a GBK CSV of the first sheet.
        A text cell is never a formula, whatever it starts with."""
        ...


@dataclass
class Sheet:
    """One sheet of a workbook to write: its tab's name, a title line, the header (frozen) and the rows,
    which may be a generator (read once, as the file is written)."""

    name: str
    title: str
    header: list[str]
    rows: Iterable[Sequence[Cell]]
    widths: list[int] = field(default_factory=list)  # in characters, per column
    empty: str = ""  # the line under the header when no row came
    note: str = ""  # a line under the title (what the sheet counts, as of when)


@dataclass(frozen=True)
class WorkbookFiles:
    xlsx: bytes
    csv: bytes  # the first sheet's header and rows, GBK
    rows: int  # rows written to the first sheet
