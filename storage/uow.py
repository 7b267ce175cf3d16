"""The unit of work: one session and one transaction per use case; commit or roll back."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import repositories as r
from storage.conversations import ConversationRepository

R = TypeVar("R")


class _OnFirstUse(Generic[R]):
    """A repository made on the unit of work's session the first time a use case touches it: most use
    cases need two or three of the seventeen, and the conversation core opens units of work on every
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

    def __set__(self, uow: SqlUnitOfWork, repository: R) -> None:
        uow.repositories[self.name] = repository


class SqlUnitOfWork:
    offices = _OnFirstUse(r.OfficeRepository)
    companies = _OnFirstUse(r.CompanyRepository)
    estates = _OnFirstUse(r.EstateRepository)
    people = _OnFirstUse(r.PersonRepository)
    roles = _OnFirstUse(r.RoleRepository)
    invites = _OnFirstUse(r.InviteRepository)
    tickets = _OnFirstUse(r.TicketRepository)
    events = _OnFirstUse(r.EventRepository)
    attachments = _OnFirstUse(r.AttachmentRepository)
    notifications = _OnFirstUse(r.NotificationRepository)
    policies = _OnFirstUse(r.PolicyRepository)
    calendar = _OnFirstUse(r.CalendarRepository)
    conversations = _OnFirstUse(ConversationRepository)
    cards = _OnFirstUse(r.CardRepository)
    updates = _OnFirstUse(r.UpdateLog)
    groups = _OnFirstUse(r.GroupRepository)
    disclosures = _OnFirstUse(r.DisclosureRepository)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.repositories: dict[str, Any] = {}

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        self.repositories = {}  # entered again: repositories on the new session
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
