"""Apply a setup document (offices, companies, estates, people, policies, calendar, settings, the report
calendar) all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from handlers.domain.organisations import Company, Estate, Office, OfficeKind
from handlers.domain.people import ERASED_PERSON_KEY, Invite, Person, Role, RoleKind
from handlers.domain.workdays import CalendarOverride
from handlers.ports import UnitOfWork
from handlers.rules.categories import Duty
from handlers.rules.numbering import valid_prefix
from handlers.rules.policy import Policy
from handlers.rules.report_calendar import schedule_from
from handlers.services.context import Context
from handlers.services.membership import after_roles_changed, hand_over_estate
from handlers.services.people import new_code
from handlers.services.settings import put_report_calendar, start_report_calendar
from handlers.services.setup_document import (
    DEPARTMENTS,
    ROLE_FIELDS,
    SETTINGS_SECTIONS,
    Entry,
    SetupError,
    validate,
)
from handlers.text import DEFAULT_LANG, LANGUAGES, Lang


@dataclass
class SetupReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # (person key, role, code, valid until) for people whose Telegram id the file does not give
    invites: list[tuple[str, str, str, datetime | None]] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)  # "KEY: role@where" that stopped acting
    absent: list[str] = field(default_factory=list)  # keys of active people this file no longer lists
    handed_over: dict[str, int] = field(default_factory=dict)  # estate key -> open tickets handed on
    listed: set[str] | None = None  # the people keys the file lists (None: it has no people section)

    def count(self, what: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[what] = target.get(what, 0) + 1


def _text(entry: Entry, name: str, section: str, maximum: int = 200) -> str:
    value = entry.data.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise SetupError(entry.line_of(name), f"{section}.{name}", "must be a non-empty text")
    text = str(value).strip()
    if len(text) > maximum:
        raise SetupError(entry.line_of(name), f"{section}.{name}", f"longer than {maximum} characters")
    return text


def _language(entry: Entry, section: str) -> Lang | None:
    """The entry's `language`, one the bot speaks; None when the entry names none."""
    value = entry.data.get("language")
    if value is None or value == "":
        return None
    if value not in LANGUAGES:
        raise SetupError(
            entry.line_of("language"),
            f"{section}.language",
            f"{value!r} is not one of {', '.join(LANGUAGES)}",
        )
    return value


def apply_setup(ctx: Context, doc: dict[str, list[Entry]]) -> SetupReport:
    """Create or update everything by stable keys in one transaction; any error writes nothing."""
    validate(doc)
    report = SetupReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        offices = _apply_offices(uow, doc.get("offices", []), report)
        companies = _apply_companies(uow, doc.get("companies", []), report)
        moved = _apply_estates(uow, doc.get("estates", []), offices, companies, report, now)
        changed = _apply_people(ctx, uow, doc.get("people", []), report)
        _apply_on_call(uow, doc.get("estates", []), now)  # after the people: they may be new in this file
        for estate in moved:  # after the people: the new company's managers may be in this file
            report.handed_over[estate.key] = hand_over_estate(ctx, uow, estate, now)
        after_roles_changed(ctx, uow, changed, now)
        if report.listed is not None:
            report.absent = _absent(uow, report.listed)
        _apply_policies(uow, doc.get("policies", []), report)
        _apply_calendar(uow, doc.get("calendar", []), report)
        _apply_settings(uow, doc, report)
        if "reports" in doc:
            created = put_report_calendar(uow, [schedule_from(e.data) for e in doc["reports"]], now)
            report.count("settings", created)
        else:
            start_report_calendar(uow, now)
        uow.commit()
    return report


def _apply_offices(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> dict[str, Office]:
    by_key: dict[str, Office] = {o.key: o for o in uow.offices.all()}
    declared: dict[str, Entry] = {}
    for entry in entries:
        key = _text(entry, "key", "offices", 64)
        try:
            kind = OfficeKind(entry.data["kind"])
        except ValueError:
            raise SetupError(
                entry.line_of("kind"),
                "offices.kind",
                f"unknown kind {entry.data['kind']!r} (bureau, street, community, department)",
            ) from None
        department = entry.data.get("department")
        if kind is OfficeKind.DEPARTMENT and department not in DEPARTMENTS:
            raise SetupError(
                entry.line_of("department"),
                "offices.department",
                f"a department needs one of: {', '.join(sorted(DEPARTMENTS))}",
            )
        declared[key] = entry
        office = by_key.get(key)
        created = office is None
        office = office or Office(key=key, name="", kind=kind)
        office.name, office.kind = _text(entry, "name", "offices"), kind
        office.department = department if kind is OfficeKind.DEPARTMENT else None
        by_key[key] = uow.offices.add(office) if created else uow.offices.save(office)
        report.count("offices", created)
    expected_parent = {
        OfficeKind.STREET: OfficeKind.BUREAU,
        OfficeKind.COMMUNITY: OfficeKind.STREET,
        OfficeKind.DEPARTMENT: OfficeKind.BUREAU,
    }
    for key, entry in declared.items():
        parent_key = entry.data.get("parent")
        office = by_key[key]
        if parent_key is None:
            if office.kind in (OfficeKind.STREET, OfficeKind.COMMUNITY):
                raise SetupError(entry.line, "offices.parent", f"a {office.kind.value} needs a parent office")
            office.parent_id = None
        else:
            parent = by_key.get(str(parent_key))
            if parent is None:
                raise SetupError(entry.line_of("parent"), "offices.parent", f"unknown office {parent_key!r}")
            wanted = expected_parent.get(office.kind)
            if wanted is not None and parent.kind is not wanted:
                raise SetupError(
                    entry.line_of("parent"),
                    "offices.parent",
                    f"a {office.kind.value}'s parent must be a {wanted.value}, not a {parent.kind.value}",
                )
            office.parent_id = parent.id
        uow.offices.save(office)
    _check_no_cycle(by_key, declared)
    return by_key


def _check_no_cycle(by_key: dict[str, Office], declared: dict[str, Entry]) -> None:
    by_id = {o.id: o for o in by_key.values()}
    for key, entry in declared.items():
        seen: set[int | None] = set()
        office: Office | None = by_key[key]
        while office is not None and office.parent_id is not None:
            if office.id in seen:
                raise SetupError(
                    entry.line_of("parent"), "offices.parent", f"the office tree has a cycle through {key!r}"
                )
            seen.add(office.id)
            office = by_id.get(office.parent_id)


def _apply_companies(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> dict[str, Company]:
    by_key = {c.key: c for c in uow.companies.all()}
    for entry in entries:
        key = _text(entry, "key", "companies", 64)
        company = by_key.get(key)
        created = company is None
        company = company or Company(key=key, name="")
        company.name = _text(entry, "name", "companies")
        company.phone = str(entry.data["phone"]) if entry.data.get("phone") else None
        by_key[key] = uow.companies.add(company) if created else uow.companies.save(company)
        report.count("companies", created)
    return by_key


def _apply_estates(
    uow: UnitOfWork,
    entries: list[Entry],
    offices: dict[str, Office],
    companies: dict[str, Company],
    report: SetupReport,
    now: datetime,
) -> list[Estate]:
    """Create or update estates; the ones whose company changed are returned, to be handed over."""
    moved: list[Estate] = []
    existing = {e.key: e for e in uow.estates.all()}
    prefixes = {e.prefix: e.key for e in existing.values()}
    for entry in entries:
        key = _text(entry, "key", "estates", 64)
        prefix = _text(entry, "prefix", "estates", 6)
        if not valid_prefix(prefix):
            raise SetupError(
                entry.line_of("prefix"), "estates.prefix", "must be 2-6 capital Latin letters, e.g. HB"
            )
        if prefixes.get(prefix, key) != key:
            raise SetupError(
                entry.line_of("prefix"),
                "estates.prefix",
                f"{prefix!r} is already used by {prefixes[prefix]!r}",
            )
        prefixes[prefix] = key
        community = offices.get(str(entry.data["community"]))
        if community is None or community.kind is not OfficeKind.COMMUNITY:
            raise SetupError(
                entry.line_of("community"),
                "estates.community",
                f"{entry.data['community']!r} is not a community office",
            )
        company = companies.get(str(entry.data["company"]))
        if company is None:
            raise SetupError(
                entry.line_of("company"), "estates.company", f"unknown company {entry.data['company']!r}"
            )
        estate = existing.get(key)
        created = estate is None
        code = str(
            entry.data.get("invite_code") or (estate.invite_code if estate else new_code("E", 8))
        ).upper()
        other = uow.estates.by_invite_code(code)
        if other is not None and other.key != key:
            raise SetupError(
                entry.line_of("invite_code"), "estates.invite_code", "already used by another estate"
            )
        estate = estate or Estate(
            key=key, name="", prefix=prefix, community_id=0, company_id=0, invite_code=code, created_at=now
        )
        handed_over = not created and estate.company_id != company.id
        estate.name, estate.prefix, estate.invite_code = _text(entry, "name", "estates"), prefix, code
        estate.community_id, estate.company_id = community.id or 0, company.id or 0
        estate.address = str(entry.data["address"]) if entry.data.get("address") else None
        estate.language = _language(entry, "estates") or DEFAULT_LANG
        existing[key] = uow.estates.add(estate) if created else uow.estates.save(estate)
        report.count("estates", created)
        if handed_over:
            moved.append(existing[key])
    return moved


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


def _apply_people(ctx: Context, uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> set[int]:
    """People by their key: the file's name is their name, the roles it lists are theirs (a role the
    file listed before and no longer lists stops, as does everything of a person marked `active:
    false`). Returns who lost a role, so what they held can be handed on."""
    now = ctx.clock.now()
    changed: set[int] = set()
    listed: set[str] = set()
    for entry in entries:
        key = _text(entry, "key", "people", 64)
        if key == ERASED_PERSON_KEY:
            raise SetupError(entry.line_of("key"), "people.key", f"{key!r} is reserved")
        listed.add(key)
        name = _text(entry, "name", "people")
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


def _absent(uow: UnitOfWork, listed: set[str]) -> list[str]:
    """People the file named before (and who still act by it) that it no longer lists."""
    return [
        str(person.key)
        for person in uow.people.with_roles()
        if person.key
        and person.key not in listed
        and person.key != ERASED_PERSON_KEY
        and any(r.from_setup for r in uow.roles.of_person(person.id or 0))
    ]


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
    language = _language(entry, "people")
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


def _apply_on_call(uow: UnitOfWork, entries: list[Entry], now: datetime) -> None:
    """Each estate's on-call people, by person key: staff or managers of that estate, joined or
    invited. The list is the file's: an estate without `on_call` has nobody on call."""
    for entry in entries:
        raw = entry.data.get("on_call") or []
        line = entry.line_of("on_call")
        if not isinstance(raw, list) or not all(isinstance(k, str) and k.strip() for k in raw):
            raise SetupError(line, "estates.on_call", "a list of person keys, e.g. [sun-security]")
        estate = uow.estates.by_key(str(entry.data["key"]).strip())
        assert estate is not None  # _apply_estates stored it
        keys = list(dict.fromkeys(k.strip() for k in raw))
        for key in keys:
            if not _works_at(uow, key, estate, now):
                person = uow.people.by_key(key)
                known = person is not None or uow.invites.pending_for(key)
                raise SetupError(
                    line,
                    "estates.on_call",
                    f"{key!r} is not staff or a manager of {estate.key!r}"
                    if known
                    else f"unknown person {key!r}",
                )
        if estate.on_call != keys:
            estate.on_call = keys
            uow.estates.save(estate)


def _works_at(uow: UnitOfWork, key: str, estate: Estate, now: datetime) -> bool:
    """Whether the person with this key is staff or a manager of the estate, or invited to be."""
    kinds = (RoleKind.STAFF, RoleKind.MANAGER)
    person = uow.people.by_key(key)
    if person is not None:
        return any(r.kind in kinds and r.estate_id == estate.id for r in uow.roles.of_person(person.id or 0))
    return any(
        i.role in kinds and i.estate_id == estate.id and (i.expires_at is None or i.expires_at > now)
        for i in uow.invites.pending_for(key)
    )


def _apply_policies(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> None:
    for entry in entries:
        try:
            policy = Policy.from_dict(entry.data)
        except ValueError as exc:
            field_name = str(exc).split(":", 1)[0]
            raise SetupError(
                entry.line_of(field_name), f"policies.{field_name}", str(exc).split(": ", 1)[-1]
            ) from None
        known = {d.get("key") for d in uow.policies.all()}
        uow.policies.put(policy.key, policy.to_dict())
        report.count("policies", policy.key not in known)


def _apply_calendar(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> None:
    for entry in entries:
        raw = entry.data["date"]
        try:
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            raise SetupError(
                entry.line_of("date"), "calendar.date", f"{raw!r} is not a date like 2027-01-01"
            ) from None
        working = entry.data["working"]
        if not isinstance(working, bool):
            raise SetupError(entry.line_of("working"), "calendar.working", "must be true or false")
        uow.calendar.put(CalendarOverride(day=day, working=working, note=entry.data.get("note")))
        report.count("calendar", True)


def _apply_settings(uow: UnitOfWork, doc: dict[str, list[Entry]], report: SetupReport) -> None:
    """A settings section changes the fields it names (validate checked them); the rest stay."""
    for section in sorted(SETTINGS_SECTIONS):
        for entry in doc.get(section, []):
            if not entry.data:
                continue
            stored = uow.settings.get(section)
            uow.settings.put(section, {**(stored or {}), **entry.data})
            report.count("settings", stored is None)
