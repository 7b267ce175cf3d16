"""The unit of work: one session and one transaction per use case; commit or roll back."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import repositories as r
from storage.conversations import ConversationRepository


class SqlUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        s = self.session
        self.offices = r.OfficeRepository(s)
        self.companies = r.CompanyRepository(s)
        self.estates = r.EstateRepository(s)
        self.people = r.PersonRepository(s)
        self.roles = r.RoleRepository(s)
        self.invites = r.InviteRepository(s)
        self.tickets = r.TicketRepository(s)
        self.events = r.EventRepository(s)
        self.attachments = r.AttachmentRepository(s)
        self.notifications = r.NotificationRepository(s)
        self.policies = r.PolicyRepository(s)
        self.calendar = r.CalendarRepository(s)
        self.conversations = ConversationRepository(s)
        self.cards = r.CardRepository(s)
        self.updates = r.UpdateLog(s)
        self.groups = r.GroupRepository(s)
        self.disclosures = r.DisclosureRepository(s)
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
