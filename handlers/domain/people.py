"""People and what they are: their roles, the invites that give one, their ways into the web pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from handlers.rules.categories import Duty


class RoleKind(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    MANAGER = "manager"
    COMMITTEE = "committee"  # owners' committee member (业委会)
    OFFICIAL = "official"  # member of an office
    ADMIN = "admin"


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
