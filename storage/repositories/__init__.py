"""Repositories over one SQLAlchemy session. They flush, never commit: the unit of work commits.

One module per idea: `base` (the generic repository) and `statements` (plain statements built once) under
the rest; `organisation`, `tickets`, `notifications`, `chats`, `policies` (and settings), `disclosures`
and `typical_cases`, `ledgers`, `reports`, `web` and `figures` (the supervision figures, kept and counted in
the database) hold the repositories, which the unit of work takes from here.
"""

from storage.repositories.chats import GroupRepository, UpdateLog
from storage.repositories.disclosures import DisclosureRepository
from storage.repositories.figures import FigureRepository
from storage.repositories.ledgers import LedgerRepository
from storage.repositories.notifications import NotificationRepository
from storage.repositories.organisation import (
    CompanyRepository,
    EstateRepository,
    InviteRepository,
    OfficeRepository,
    PersonRepository,
    RoleRepository,
)
from storage.repositories.policies import CalendarRepository, PolicyRepository, SettingRepository
from storage.repositories.reports import ReportRepository
from storage.repositories.tickets import (
    AttachmentRepository,
    CardRepository,
    EventRepository,
    TicketRepository,
)
from storage.repositories.typical_cases import TypicalCaseRepository
from storage.repositories.web import WebRepository

__all__ = [
    "AttachmentRepository",
    "CalendarRepository",
    "CardRepository",
    "CompanyRepository",
    "DisclosureRepository",
    "EstateRepository",
    "EventRepository",
    "FigureRepository",
    "GroupRepository",
    "InviteRepository",
    "LedgerRepository",
    "NotificationRepository",
    "OfficeRepository",
    "PersonRepository",
    "PolicyRepository",
    "ReportRepository",
    "RoleRepository",
    "SettingRepository",
    "TicketRepository",
    "TypicalCaseRepository",
    "UpdateLog",
    "WebRepository",
]
