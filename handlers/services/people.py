"""People and their roles: first contact, joining an estate, staff invites, language, erasure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

from handlers.domain.people import ERASED_PERSON_KEY, Invite, Person, Role, RoleKind
from handlers.ports import UnitOfWork
from handlers.rules.attempts import Attempts, after_failure, locked_until
from handlers.services import membership
from handlers.services.context import Context
from handlers.services.errors import NotFound, UserError
from handlers.services.tickets.records import log_event, save
from handlers.text import LANGUAGES, Lang

UNIT_MAX = 60
# Unambiguous when read aloud or typed from paper: no 0/O, 1/I/L.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(prefix: str = "", length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def touch_person(ctx: Context, telegram_id: int, display_name: str) -> Person:
    """The person behind a Telegram account, created on first contact; the name kept up to date."""
    with ctx.uow() as uow:
        person, _ = know_person(uow, ctx.clock.now(), telegram_id, display_name)
        uow.commit()
        return person


def know_person(uow: UnitOfWork, now: datetime, telegram_id: int, display_name: str) -> tuple[Person, bool]:
    """The person behind a Telegram id, created or brought up to date in the caller's unit of work;
    True when that wrote something (the caller commits then, and only then). The name a person chats
    under is kept apart; it is the name shown only for people the setup file does not name."""
    chat_name = display_name[:200] or None
    person = uow.people.by_telegram_id(telegram_id)
    if person is None:
        person = uow.people.add(
            Person(
                display_name=chat_name or str(telegram_id),
                telegram_id=telegram_id,
                language=None,
                created_at=now,
                telegram_name=chat_name,
            )
        )
        return person, True
    if (chat_name and person.telegram_name != chat_name) or person.unreachable:
        person.telegram_name = chat_name or person.telegram_name
        if person.key is None and chat_name:  # named by the setup file: that name stays
            person.display_name = chat_name
        person.unreachable = False  # they wrote to us, so they can be reached again
        uow.people.save(person)
        return person, True
    return person, False


class InviteKind(StrEnum):
    """What a /start or /join code is."""

    OWNER = "owner"  # an estate's code: an owner joins with it and their unit
    STAFF = "staff"  # a one-time invite to a role (staff, manager, committee, official)


@dataclass
class CodeLookup:
    kind: InviteKind
    estate_name: str | None
    role: RoleKind


def look_up_code(ctx: Context, person_id: int, code: str) -> CodeLookup:
    """What a /start or /join code is for, without using it. Unknown, used and expired codes get one
    answer (telling them apart would help someone guessing), and after five wrong codes in ten
    minutes the person must wait."""
    code = code.strip().upper()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        person = _trying(uow, person_id, now)
        estate = uow.estates.by_invite_code(code)
        if estate is not None:
            return CodeLookup(InviteKind.OWNER, estate.name, RoleKind.OWNER)
        invite = _usable_invite(uow, code, now)
        if invite is None:
            _wrong_code(uow, person, now)
        assert invite is not None
        estate = uow.estates.get(invite.estate_id) if invite.estate_id else None
        return CodeLookup(InviteKind.STAFF, estate.name if estate else None, invite.role)


def _trying(uow: UnitOfWork, person_id: int, now: datetime) -> Person:
    """The person trying a code, if they have tries left (UserError "code_wait" otherwise)."""
    person = uow.people.get(person_id)
    if person is None:
        raise NotFound("person_unknown")
    until = locked_until(Attempts(person.code_failures, person.code_failed_at), now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() + 59) // 60)
        raise UserError("code_wait", minutes=minutes)
    return person


def _wrong_code(uow: UnitOfWork, person: Person, now: datetime) -> NoReturn:
    """Count the wrong code (committed: the refusal must not roll it back), then refuse."""
    counted = after_failure(Attempts(person.code_failures, person.code_failed_at), now)
    person.code_failures, person.code_failed_at = counted.failures, counted.since
    uow.people.save(person)
    uow.commit()
    raise UserError("code_invalid")


def _usable_invite(uow: UnitOfWork, code: str, now: datetime) -> Invite | None:
    invite = uow.invites.by_code(code)
    if invite is None or invite.used_at is not None:
        return None
    if invite.expires_at is not None and invite.expires_at <= now:
        return None
    return invite


def join_estate(ctx: Context, person_id: int, code: str, unit: str) -> Role:
    """An owner joins with the estate's invite code and their unit (e.g. 3栋2单元501)."""
    unit = (unit or "").strip()
    if not unit:
        raise UserError("text_too_short", field="unit", minimum=1)
    if len(unit) > UNIT_MAX:
        raise UserError("text_too_long", field="unit", maximum=UNIT_MAX, length=len(unit))
    with ctx.uow() as uow:
        estate = uow.estates.by_invite_code(code.strip().upper())
        if estate is None:  # the code was rotated while they typed their unit
            raise UserError("code_invalid")
        for role in uow.roles.of_person(person_id):
            if role.kind is RoleKind.OWNER and role.estate_id == estate.id and role.unit == unit:
                return role
        role = uow.roles.add(
            Role(
                person_id=person_id,
                kind=RoleKind.OWNER,
                estate_id=estate.id,
                unit=unit,
                created_at=ctx.clock.now(),
            )
        )
        uow.commit()
        return role


def redeem_invite(ctx: Context, person_id: int, code: str) -> Role:
    """Staff, managers, committee members and officials join with a one-time code: used exactly once,
    even when two people send it at the same moment. A code the setup file printed for a person gives
    them that person's name and key, so the file names them from then on."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        person = _trying(uow, person_id, now)
        invite = _usable_invite(uow, code.strip().upper(), now)
        if invite is None or not uow.invites.use(invite.id or 0, person_id, now):
            _wrong_code(uow, person, now)
        assert invite is not None
        if invite.person_key and person.key is None and uow.people.by_key(invite.person_key) is None:
            person.key = invite.person_key
            person.display_name = invite.display_name or person.display_name
            uow.people.save(person)
        role = Role(
            person_id=person_id,
            kind=invite.role,
            estate_id=invite.estate_id,
            company_id=invite.company_id,
            office_id=invite.office_id,
            duty=invite.duty,
            created_at=now,
            from_setup=invite.person_key is not None,
        )
        existing = [
            r
            for r in uow.roles.of_person(person_id, active_only=False)
            if (r.kind, r.estate_id, r.office_id, r.company_id)
            == (role.kind, role.estate_id, role.office_id, role.company_id)
        ]
        if existing:
            role = existing[0]
            role.active, role.duty = True, invite.duty
            role.from_setup = role.from_setup or invite.person_key is not None
            uow.roles.save(role)
        else:
            role = uow.roles.add(role)
        uow.commit()
        return role


def rotate_owner_code(ctx: Context, estate_key: str) -> str:
    """A new owner code for an estate (the old one stops working; owners who joined stay)."""
    with ctx.uow() as uow:
        estate = uow.estates.by_key(estate_key)
        if estate is None:
            raise NotFound("estate_unknown", key=estate_key)
        code = new_code("E", 10)
        while uow.estates.by_invite_code(code) is not None:
            code = new_code("E", 10)
        estate.invite_code = code
        uow.estates.save(estate)
        uow.commit()
        return code


def create_invite(
    ctx: Context,
    role: RoleKind,
    *,
    estate_key: str | None = None,
    office_key: str | None = None,
    duty: Any = None,
    display_name: str | None = None,
    person_key: str | None = None,
) -> Invite:
    """A one-time code for a person whose Telegram id the admin does not know."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        invite = Invite(
            code=new_code("S"),
            role=role,
            duty=duty,
            display_name=display_name,
            person_key=person_key,
            created_at=now,
            expires_at=now + timedelta(days=ctx.invite_ttl_days),
        )
        if role in (RoleKind.STAFF, RoleKind.MANAGER, RoleKind.COMMITTEE):
            estate = uow.estates.by_key(estate_key or "")
            if estate is None:
                raise NotFound("estate_unknown", key=estate_key)
            invite.estate_id, invite.company_id = estate.id, estate.company_id
        elif role is RoleKind.OFFICIAL:
            office = uow.offices.by_key(office_key or "")
            if office is None:
                raise NotFound("office_unknown", key=office_key)
            invite.office_id = office.id
        elif role is not RoleKind.ADMIN:
            raise UserError("invite_role_unsupported", role=role.value)
        uow.invites.add(invite)
        uow.commit()
        return invite


def language_of(uow: UnitOfWork, person: Person, about_estate: int | None = None) -> Lang | None:
    """The language to write to this person in: their own choice; else their estate's (of their first
    role at an estate); else that of the estate the message is about. None when nothing says."""
    if person.language in LANGUAGES:
        return person.language
    roles = uow.roles.of_person(person.id) if person.id is not None else []
    estate_ids = [r.estate_id for r in roles if r.estate_id is not None]
    for estate_id in [*estate_ids, *([about_estate] if about_estate else [])]:
        estate = uow.estates.get(estate_id)
        if estate is not None and estate.language in LANGUAGES:
            return estate.language
    return None


def set_language(ctx: Context, person_id: int, language: str) -> None:
    with ctx.uow() as uow:
        person = uow.people.get(person_id)
        if person is None:
            raise NotFound("person_unknown")
        person.language = language
        uow.people.save(person)
        uow.commit()


def my_data(ctx: Context, person_id: int) -> dict[str, Any]:
    """Everything the bot holds about a person (PIPL: the right to see it)."""
    with ctx.uow() as uow:
        person = uow.people.get(person_id)
        if person is None:
            raise NotFound("person_unknown")
        roles = uow.roles.of_person(person_id, active_only=False)
        tickets = uow.tickets.of_reporter(person_id, limit=1000)
        return {
            "telegram_id": person.telegram_id,
            "display_name": person.display_name,
            "telegram_name": person.telegram_name,
            "language": person.language,
            "created_at": person.created_at,
            "roles": [(r.kind.value, r.estate_id, r.unit) for r in roles],
            "tickets": [t.number for t in tickets],
        }


def erased_stand_in(uow: UnitOfWork, now: datetime) -> Person:
    """The one anonymous person every erased person's records point to."""
    found = uow.people.by_key(ERASED_PERSON_KEY)
    if found is not None:
        return found
    return uow.people.add(Person(display_name="—", key=ERASED_PERSON_KEY, created_at=now, deleted_at=now))


def delete_my_data(ctx: Context, person_id: int) -> int:
    """Erase a person (PIPL): their tickets stay for the record, with the reporter anonymised, and
    nothing links them back (see PersonRepository.erase). Returns how many reports stay."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        person = uow.people.get(person_id)
        if person is None or person.key == ERASED_PERSON_KEY:
            raise NotFound("person_unknown")
        stand_in = erased_stand_in(uow, now)
        tickets = uow.tickets.of_reporter(person_id, limit=100000)
        for ticket in tickets:
            log_event(uow, ticket, lambda t: t.anonymise(now), None)
            save(uow, ticket)
        membership.deactivate_roles(uow, person, keep_own_homes=False)
        membership.release_tickets(ctx, uow, person_id, now)  # staff: their open tickets go on
        uow.people.erase(person_id, stand_in.id or 0, [t.id or 0 for t in tickets])
        uow.commit()
        return len(tickets)
