"""A setup file's organisations applied: the office tree, the companies, the estates (a company changed is
handed over by the caller), and who is on call at each estate."""

from __future__ import annotations

from datetime import datetime

from handlers.domain.organisations import Company, Estate, Office, OfficeKind
from handlers.domain.people import RoleKind
from handlers.ports import UnitOfWork
from handlers.rules.numbering import valid_prefix
from handlers.services.people import new_code
from handlers.services.setup_document import DEPARTMENTS, Entry, SetupError, language_field, text_field
from handlers.services.setup_report import SetupReport
from handlers.text import DEFAULT_LANG


def apply_offices(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> dict[str, Office]:
    by_key: dict[str, Office] = {o.key: o for o in uow.offices.all()}
    declared: dict[str, Entry] = {}
    for entry in entries:
        key = text_field(entry, "key", "offices", 64)
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
        office.name, office.kind = text_field(entry, "name", "offices"), kind
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


def apply_companies(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> dict[str, Company]:
    by_key = {c.key: c for c in uow.companies.all()}
    for entry in entries:
        key = text_field(entry, "key", "companies", 64)
        company = by_key.get(key)
        created = company is None
        company = company or Company(key=key, name="")
        company.name = text_field(entry, "name", "companies")
        company.phone = str(entry.data["phone"]) if entry.data.get("phone") else None
        by_key[key] = uow.companies.add(company) if created else uow.companies.save(company)
        report.count("companies", created)
    return by_key


def apply_estates(
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
        key = text_field(entry, "key", "estates", 64)
        prefix = text_field(entry, "prefix", "estates", 6)
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
        estate.name, estate.prefix, estate.invite_code = text_field(entry, "name", "estates"), prefix, code
        estate.community_id, estate.company_id = community.id or 0, company.id or 0
        estate.address = str(entry.data["address"]) if entry.data.get("address") else None
        estate.language = language_field(entry, "estates") or DEFAULT_LANG
        existing[key] = uow.estates.add(estate) if created else uow.estates.save(estate)
        report.count("estates", created)
        if handed_over:
            moved.append(existing[key])
    return moved


def apply_on_call(uow: UnitOfWork, entries: list[Entry], now: datetime) -> None:
    """Each estate's on-call people, by person key: staff or managers of that estate, joined or
    invited. The list is the file's: an estate without `on_call` has nobody on call."""
    for entry in entries:
        raw = entry.data.get("on_call") or []
        line = entry.line_of("on_call")
        if not isinstance(raw, list) or not all(isinstance(k, str) and k.strip() for k in raw):
            raise SetupError(line, "estates.on_call", "a list of person keys, e.g. [sun-security]")
        estate = uow.estates.by_key(str(entry.data["key"]).strip())
        assert estate is not None  # apply_estates stored it
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
