"""The unit of work: one session and one transaction per use case; commit or roll back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from handlers.domain.notifications import Notification
from storage import repositories as r
from storage.conversations import ConversationRepository

R = TypeVar("R")

# (engine, its reading engine) while units of work on that engine only read; see `reading`
_READING: ContextVar[tuple[Engine, Engine] | None] = ContextVar("wuye_reading", default=None)


@contextmanager
def reading(engine: Engine, reader: Engine | None) -> Iterator[None]:
    """Units of work on `engine` opened in the block only read: they run on `reader` (storage/engine.py
    `reading_engine`: autocommit, read-only), without a transaction to begin and roll back. Each
    statement sees what is committed when it runs, as a fresh unit of work would. A write in the block
    is refused by the database. `reader` None (SQLite): units of work as usual."""
    token = _READING.set((engine, reader) if reader is not None else None)
    try:
        yield
    finally:
        _READING.reset(token)


def again_if_dropped(work: Callable[[], R]) -> R:
    """`work` (in a `reading` block), done once more if the server had dropped the connection it got
    (a restart, an idle timeout): the reading engine does not ping before each use, and work that only
    reads changes nothing the first time, so doing it again is safe. Anything else is raised as it is."""
    try:
        return work()
    except DBAPIError as exc:
        if _READING.get() is None or not exc.connection_invalidated:
            raise
    return work()


class OnFirstUse(Generic[R]):
    """A repository made on the unit of work's session the first time a use case touches it: most use
    cases need two or three of the twenty-one, and the conversation core opens units of work on every
    update."""

    def __init__(self, make: Callable[[Session], R]) -> None:
        self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> Any:
        if uow is None:
            return self
        made = uow.repositories.get(self.name)
        if made is None:
            made = uow.repositories[self.name] = self.make(uow.session)
        return made


class _CountingNotifications(r.NotificationRepository):
    """Notifications that also counts what this unit of work queued, for the commit's signal."""

    queued = 0

    def add(self, item: Notification) -> bool:  # type: ignore[override]  # as NotificationRepository.add
        added = super().add(item)
        self.queued += added
        return added


class _UnitSession(Session):
    """The unit of work's session, on the unit's own connection and inside its transaction: the ORM's
    few users (policies put, group bindings, disclosures) and the plain statements share one
    transaction, and a unit of work that only runs plain statements (what every update does) never
    starts the session's own transaction machinery, which costs more than its statements."""

    def __init__(self, unit: SqlUnitOfWork) -> None:
        # rollback_only: the session never commits the unit's transaction (the unit does), and a
        # rollback through it rolls the whole transaction back
        super().__init__(expire_on_commit=False, join_transaction_mode="rollback_only")
        self.unit = unit

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.unit.connection()

    def plain_connection(self) -> Connection:
        """For storage/repositories/statements.py: the transaction's connection, without the session's."""
        return self.unit.connection()


class SqlUnitOfWork:
    """One connection, one transaction, taken on first use. `on_queued` is called after a commit that
    queued notifications (on the committing thread), so whoever sends them knows there is something to
    send."""

    offices = OnFirstUse(r.OfficeRepository)
    companies = OnFirstUse(r.CompanyRepository)
    estates = OnFirstUse(r.EstateRepository)
    people = OnFirstUse(r.PersonRepository)
    roles = OnFirstUse(r.RoleRepository)
    invites = OnFirstUse(r.InviteRepository)
    tickets = OnFirstUse(r.TicketRepository)
    events = OnFirstUse(r.EventRepository)
    attachments = OnFirstUse(r.AttachmentRepository)
    notifications = OnFirstUse(_CountingNotifications)
    policies = OnFirstUse(r.PolicyRepository)
    calendar = OnFirstUse(r.CalendarRepository)
    settings = OnFirstUse(r.SettingRepository)
    conversations = OnFirstUse(ConversationRepository)
    cards = OnFirstUse(r.CardRepository)
    updates = OnFirstUse(r.UpdateLog)
    groups = OnFirstUse(r.GroupRepository)
    disclosures = OnFirstUse(r.DisclosureRepository)
    typical_cases = OnFirstUse(r.TypicalCaseRepository)
    ledgers = OnFirstUse(r.LedgerRepository)
    web = OnFirstUse(r.WebRepository)
    reports = OnFirstUse(r.ReportRepository)
    figures = OnFirstUse(r.FigureRepository)

    def __init__(self, engine: Engine, on_queued: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.on_queued = on_queued
        self.repositories: dict[str, Any] = {}

    def __enter__(self) -> Self:
        reading = _READING.get()
        self.bind = reading[1] if reading is not None and reading[0] is self.engine else self.engine
        self._connection: Connection | None = None
        self.session = _UnitSession(self)
        self.repositories = {}  # entered again: repositories on the new session
        return self

    def connection(self) -> Connection:
        """The unit's connection, in a transaction (begun again after a commit)."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self.bind.connect()
        if not connection.in_transaction():
            connection.begin()
        return connection

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() alone ends the transaction: the connection goes back to the pool, which rolls back
        # what was not committed. (A rollback() first would also expire every object the session
        # loaded, which costs a fifth of a short unit of work and which nothing here reads again.)
        self.session.close()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def commit(self) -> None:
        self.session.flush()  # what the ORM holds, written (its own transaction begun if it had any)
        if self.session.in_transaction():
            self.session.commit()  # ends the session's part; the transaction is the unit's to commit
        if self._connection is not None and self._connection.in_transaction():
            self._connection.commit()
        notifications = self.repositories.get("notifications")
        if notifications is not None and notifications.queued:
            notifications.queued = 0
            if self.on_queued is not None:
                self.on_queued()

    def rollback(self) -> None:
        self.session.rollback()  # the ORM's objects as the database has them, the transaction rolled back
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()
