"""A setup file's people applied: each by their key, with the roles the file lists (a role it no longer
lists stops), and one-time invite codes for those not on Telegram yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.domain.people import ERASED_PERSON_KEY, Invite, Person, Role, RoleKind
from handlers.ports import UnitOfWork
from handlers.rules.categories import Duty
from handlers.services.context import Context
from handlers.services.people import new_code
from handlers.services.setup_document import ROLE_FIELDS, Entry, SetupError, language_field, text_field
from handlers.services.setup_report import SetupReport


def apply_people(ctx: Context, uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> set[int]:
    """People by their key: the file's name is their name, the roles it lists are theirs (a role the
    file listed before and no longer lists stops, as does everything of a person marked `active:
    false`). Returns who lost a role, so what they held can be handed on."""
    now = ctx.clock.now()
    changed: set[int] = set()
    listed: set[str] = set()
    for entry in entries:
        key = text_field(entry, "key", "people", 64)
        if key == ERASED_PERSON_KEY:
            raise SetupError(entry.line_of("key"), "people.key", f"{key!r} is reserved")
        listed.add(key)
        name = text_field(entry, "name", "people")
        raw_roles = entry.data.get("roles")
        if not isinstance(raw_roles, list) or not raw_roles:
            raise SetupError(entry.line_of("roles"), "people.roles", "a list of at least one role")
        active = entry.data.get("active", True)
        if not isinstance(active, bool):
            raise SetupError(entry.line_of("active"), "people.active", "must be true or false")
        roles = [_parse_role(uow, entry, raw) for raw in raw_roles]
        if not active:
            for role in roles:
                role.active = False
        person = _person_for(uow, entry, key, name, now, report)
        if person is None:  # not yet on Telegram: one-time codes, for the roles that are active
            _invites_for(ctx, uow, key, name, roles, now, report)
            continue
        if _apply_roles(uow, person, key, roles, now, report):
            changed.add(person.id or 0)
        for invite in uow.invites.pending_for(key):  # they are known now: codes printed earlier stop
            invite.expires_at = min(invite.expires_at or now, now)
            uow.invites.save(invite)
    report.listed = listed if entries else None
    return changed


def absent_people(uow: UnitOfWork, listed: set[str]) -> list[str]:
    """People the file named before (and who still act by it) that it no longer lists."""
    return [
        str(person.key)
        for person in uow.people.with_roles()
        if person.key
        and person.key not in listed
        and person.key != ERASED_PERSON_KEY
        and any(r.from_setup for r in uow.roles.of_person(person.id or 0))
    ]


def _parse_role(uow: UnitOfWork, entry: Entry, raw: Any) -> Role:
    line = entry.line_of("roles")
    if not isinstance(raw, dict):
        raise SetupError(line, "people.roles", "each role is a mapping like {role: staff, estate: KEY}")
    unknown = set(raw) - ROLE_FIELDS
    if unknown:
        raise SetupError(line, f"people.roles.{sorted(unknown)[0]}", "unknown field")
    try:
        kind = RoleKind(str(raw.get("role")))
    except ValueError:
        raise SetupError(line, "people.roles.role", f"unknown role {raw.get('role')!r}") from None
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise SetupError(line, "people.roles.active", "must be true or false")
    role = Role(person_id=0, kind=kind, active=active, from_setup=True)
    if kind in (RoleKind.OWNER, RoleKind.STAFF, RoleKind.MANAGER, RoleKind.COMMITTEE):
        estate = uow.estates.by_key(str(raw.get("estate")))
        if estate is None:
            raise SetupError(line, "people.roles.estate", f"unknown estate {raw.get('estate')!r}")
        role.estate_id = estate.id
        role.company_id = estate.company_id if kind in (RoleKind.STAFF, RoleKind.MANAGER) else None
    if kind is RoleKind.OFFICIAL:
        office = uow.offices.by_key(str(raw.get("office")))
        if office is None:
            raise SetupError(line, "people.roles.office", f"unknown office {raw.get('office')!r}")
        role.office_id = office.id
    if kind is RoleKind.STAFF:
        try:
            role.duty = Duty(raw.get("duty", "service"))
        except ValueError:
            raise SetupError(line, "people.roles.duty", f"unknown duty {raw.get('duty')!r}") from None
    if kind is RoleKind.OWNER:
        if not raw.get("unit"):
            raise SetupError(line, "people.roles.unit", "an owner needs a unit, e.g. 3栋2单元501")
        role.unit = str(raw["unit"])[:60]
    return role


def _person_for(
    uow: UnitOfWork, entry: Entry, key: str, name: str, now: datetime, report: SetupReport
) -> Person | None:
    """The person the entry names (by key, else by Telegram id), created when the file gives their
    Telegram id; None while they are known only by key and have not accepted an invite yet."""
    telegram_id = entry.data.get("telegram_id")
    if telegram_id is not None and (
        not isinstance(telegram_id, int) or isinstance(telegram_id, bool) or telegram_id <= 0
    ):
        raise SetupError(
            entry.line_of("telegram_id"), "people.telegram_id", "must be a positive whole number"
        )
    by_key = uow.people.by_key(key)
    by_id = uow.people.by_telegram_id(telegram_id) if telegram_id is not None else None
    if by_key is not None and by_id is not None and by_key.id != by_id.id:
        raise SetupError(
            entry.line_of("telegram_id"),
            "people.telegram_id",
            f"{telegram_id} is already someone else's"
            + (f" ({by_id.key!r})" if by_id.key else " (a person who joined by themselves)"),
        )
    if by_id is not None and by_id.key not in (None, key):
        raise SetupError(
            entry.line_of("telegram_id"), "people.telegram_id", f"{telegram_id} is {by_id.key!r}'s"
        )
    person = by_key or by_id
    if person is None and telegram_id is None:
        return None
    created = person is None
    person = person or Person(display_name=name, telegram_id=telegram_id, created_at=now)
    person.key, person.display_name = key, name
    if telegram_id is not None:
        person.telegram_id = telegram_id
    language = language_field(entry, "people")
    if language is not None:
        person.language = language
    person = uow.people.add(person) if created else uow.people.save(person)
    report.count("people", created)
    return person


def _same_role(a: Role, b: Role) -> bool:
    return (a.kind, a.estate_id, a.office_id, a.unit, a.company_id) == (
        b.kind,
        b.estate_id,
        b.office_id,
        b.unit,
        b.company_id,
    )


def _apply_roles(
    uow: UnitOfWork, person: Person, key: str, roles: list[Role], now: datetime, report: SetupReport
) -> bool:
    """Make the person's roles what the file lists; True if one of them stopped acting."""
    held = uow.roles.of_person(person.id or 0, active_only=False)
    stopped = False
    matched: set[int] = set()
    for role in roles:
        found = next((r for r in held if _same_role(r, role)), None)
        if found is None:
            role.person_id, role.created_at = person.id or 0, now
            uow.roles.add(role)
            report.count("roles", True)
            continue
        matched.add(found.id or 0)
        if (found.active, found.duty, found.from_setup) != (role.active, role.duty, True):
            stopped = stopped or (found.active and not role.active)
            if found.active and not role.active:
                report.deactivated.append(f"{key}: {_describe(uow, found)}")
            found.active, found.duty, found.from_setup = role.active, role.duty, True
            uow.roles.save(found)
            report.count("roles", False)
    for role in held:  # listed by the file before, not any more: it stops
        if role.from_setup and role.active and (role.id or 0) not in matched:
            role.active = False
            uow.roles.save(role)
            report.deactivated.append(f"{key}: {_describe(uow, role)}")
            stopped = True
    return stopped


def _describe(uow: UnitOfWork, role: Role) -> str:
    if role.office_id is not None:
        office = uow.offices.get(role.office_id)
        return f"{role.kind.value}@{office.key if office else '?'}"
    estate = uow.estates.get(role.estate_id or 0)
    return f"{role.kind.value}@{estate.key if estate else '?'}"


def _invites_for(
    ctx: Context, uow: UnitOfWork, key: str, name: str, roles: list[Role], now: datetime, report: SetupReport
) -> None:
    """A one-time code per active role (owners join with the estate's code themselves); the same
    unused, unexpired code on every load, so reloading does not multiply codes. A role now inactive
    takes its code with it."""
    pending = uow.invites.pending_for(key)
    for invite in pending:
        wanted = any(
            r.active
            and (invite.role, invite.estate_id, invite.office_id) == (r.kind, r.estate_id, r.office_id)
            for r in roles
        )
        if not wanted and (invite.expires_at is None or invite.expires_at > now):
            invite.expires_at = now
            uow.invites.save(invite)
    for role in roles:
        if role.kind is RoleKind.OWNER or not role.active:
            continue
        invite = _invite_for(ctx, uow, key, name, role, now)
        report.invites.append((key, role.kind.value, invite.code, invite.expires_at))


def _invite_for(ctx: Context, uow: UnitOfWork, key: str, name: str, role: Role, now: datetime) -> Invite:
    for invite in uow.invites.pending_for(key):
        same = (invite.role, invite.estate_id, invite.office_id) == (
            role.kind,
            role.estate_id,
            role.office_id,
        )
        if same and invite.expires_at is not None and invite.expires_at > now:
            return invite
    return uow.invites.add(
        Invite(
            code=new_code("S"),
            role=role.kind,
            estate_id=role.estate_id,
            company_id=role.company_id,
            office_id=role.office_id,
            duty=role.duty,
            person_key=key,
            display_name=name,
            created_at=now,
            expires_at=now + timedelta(days=ctx.invite_ttl_days),
        )
    )
