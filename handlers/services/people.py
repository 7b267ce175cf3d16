"""People and their roles: first contact, joining an estate, staff invites, language, erasure."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.domain import Invite, Person, Role, RoleKind
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import Event
from handlers.services.context import Context
from handlers.services.errors import NotFound, UserError

UNIT_MAX = 60
# Unambiguous when read aloud or typed from paper: no 0/O, 1/I/L.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(prefix: str = "", length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def touch_person(ctx: Context, telegram_id: int, display_name: str) -> Person:
    """The person behind a Telegram account, created on first contact; the name kept up to date."""
    with ctx.uow() as uow:
        person = touch_person_in(uow, ctx.clock.now(), telegram_id, display_name)
        uow.commit()
        return person


def touch_person_in(uow: UnitOfWork, now: datetime, telegram_id: int, display_name: str) -> Person:
    """touch_person inside the caller's unit of work (the caller commits): the conversation core looks
    the person up in the same transaction as the update's other bookkeeping."""
    person = uow.people.by_telegram_id(telegram_id)
    if person is None:
        person = uow.people.add(
            Person(
                display_name=display_name[:200] or str(telegram_id),
                telegram_id=telegram_id,
                language=None,
                created_at=now,
            )
        )
    elif person.display_name != display_name[:200] and display_name or person.unreachable:
        person.display_name = display_name[:200] or person.display_name
        person.unreachable = False  # they wrote to us, so they can be reached again
        uow.people.save(person)
    return person


@dataclass
class CodeLookup:
    kind: str  # "owner" or "staff"
    estate_name: str | None
    role: RoleKind


def look_up_code(ctx: Context, code: str) -> CodeLookup:
    """What a /start code is for, without using it."""
    code = code.strip().upper()
    with ctx.uow() as uow:
        estate = uow.estates.by_invite_code(code)
        if estate is not None:
            return CodeLookup("owner", estate.name, RoleKind.OWNER)
        invite = _usable_invite(uow, code, ctx.clock.now())
        estate = uow.estates.get(invite.estate_id) if invite.estate_id else None
        return CodeLookup("staff", estate.name if estate else None, invite.role)


def _usable_invite(uow: UnitOfWork, code: str, now: datetime) -> Invite:
    invite = uow.invites.by_code(code)
    if invite is None:
        raise UserError("code_unknown")
    if invite.used_at is not None:
        raise UserError("code_used")
    if invite.expires_at is not None and invite.expires_at <= now:
        raise UserError("code_expired")
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
        if estate is None:
            raise UserError("code_unknown")
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
    """Staff, managers, committee members and officials join with a one-time code."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        invite = _usable_invite(uow, code.strip().upper(), now)
        role = Role(
            person_id=person_id,
            kind=invite.role,
            estate_id=invite.estate_id,
            company_id=invite.company_id,
            office_id=invite.office_id,
            duty=invite.duty,
            created_at=now,
        )
        existing = [
            r
            for r in uow.roles.of_person(person_id)
            if (r.kind, r.estate_id, r.office_id) == (role.kind, role.estate_id, role.office_id)
        ]
        role = existing[0] if existing else uow.roles.add(role)
        invite.used_at, invite.used_by = now, person_id
        uow.invites.save(invite)
        uow.commit()
        return role


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
            "language": person.language,
            "created_at": person.created_at,
            "roles": [(r.kind.value, r.estate_id, r.unit) for r in roles],
            "tickets": [t.number for t in tickets],
        }


def delete_my_data(ctx: Context, person_id: int) -> int:
    """Erase personal data; tickets stay for the record with the reporter anonymised. Returns their count."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        person = uow.people.get(person_id)
        if person is None:
            raise NotFound("person_unknown")
        tickets = uow.tickets.of_reporter(person_id, limit=100000)
        from handlers.domain import TicketEvent  # local: only erasure writes this event by hand

        for ticket in tickets:
            ticket.reporter_id, ticket.reporter_unit = None, None
            uow.tickets.save(ticket)
            uow.events.add(TicketEvent(ticket.id or 0, now, Event.ANONYMISE, ticket.status, ticket.status))
        for role in uow.roles.of_person(person_id, active_only=False):
            role.active, role.unit = False, None
            uow.roles.save(role)
        person.display_name, person.telegram_id, person.language = "—", None, None
        person.deleted_at = now
        uow.people.save(person)
        uow.commit()
        return len(tickets)
