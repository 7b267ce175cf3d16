"""Who is who: offices, property companies, estates, people, the roles they hold and the invites to one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from handlers.domain.organisations import Company, Estate, Office
from handlers.domain.people import Invite, Person, Role, RoleKind
from handlers.rules.categories import Duty
from handlers.services.update_reads import UpdateReads, current
from storage.mapping import to_domain
from storage.repositories.base import KeyedRepository, MemoisedRepository, Repository
from storage.repositories.erasure import erase_person
from storage.repositories.statements import Plain, connection_of
from storage.tables import CompanyRow, EstateRow, InviteRow, OfficeRow, PersonRow, RoleRow

_CHUNK = 500  # ids to a statement: SQLite takes at most 999 parameters in older builds


class OfficeRepository(MemoisedRepository[Office, OfficeRow], KeyedRepository[Office, OfficeRow]):
    row, domain = OfficeRow, Office

    def children(self, office_id: int) -> list[Office]:
        return self._many(col(OfficeRow.parent_id) == office_id, order=col(OfficeRow.id))

    def parents(self) -> dict[int, int | None]:
        stmt = sa_select(OfficeRow.__table__.c.id, OfficeRow.__table__.c.parent_id)  # type: ignore[attr-defined]
        return {oid: parent for oid, parent in connection_of(self.session).execute(stmt)}


class CompanyRepository(KeyedRepository[Company, CompanyRow]):
    row, domain = CompanyRow, Company


class EstateRepository(MemoisedRepository[Estate, EstateRow], KeyedRepository[Estate, EstateRow]):
    row, domain = EstateRow, Estate

    def by_invite_code(self, code: str) -> Estate | None:
        return self._one(col(EstateRow.invite_code) == code)

    def in_communities(self, community_ids: Sequence[int]) -> list[Estate]:
        return self._many(col(EstateRow.community_id).in_(list(community_ids)), order=col(EstateRow.id))

    # The two below read two columns as plain tuples: an official's area (a district of 500 estates) is
    # worked out on every page they open, and whole estates (their JSON, as domain records) cost ten times
    # more to read than the query does.
    def communities(self) -> dict[int, int]:
        t = EstateRow.__table__  # type: ignore[attr-defined]
        return {
            eid: community
            for eid, community in connection_of(self.session).execute(sa_select(t.c.id, t.c.community_id))
        }

    def names(self, ids: Collection[int] | None) -> dict[int, str]:
        t = EstateRow.__table__  # type: ignore[attr-defined]
        if ids is None:
            return {
                eid: name for eid, name in connection_of(self.session).execute(sa_select(t.c.id, t.c.name))
            }
        found: dict[int, str] = {}
        wanted = sorted(set(ids))
        for chunk in (wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)):
            stmt = sa_select(t.c.id, t.c.name).where(t.c.id.in_(chunk))
            found.update((i, name) for i, name in connection_of(self.session).execute(stmt))
        return found


def _shared(session: Session) -> UpdateReads | None:
    """What this update has read of people (handlers/services/update_reads.py), unless this unit of work
    wrote a person or a role: from then on it reads what it wrote, which may never be committed."""
    return None if session.info.get("wrote_people") else current()


def _wrote(session: Session) -> None:
    session.info["wrote_people"] = True
    reads = current()
    if reads is not None:
        reads.forget()


_P = PersonRow.__table__  # type: ignore[attr-defined]
_BY_TELEGRAM = Plain(
    "person by telegram id",
    lambda _: sa_select(*_P.columns).where(_P.c.telegram_id == bindparam("telegram_id")),
)


class PersonRepository(Repository[Person, PersonRow]):
    """People; within one update each is read once (its units of work share the read)."""

    row, domain = PersonRow, Person

    def get(self, id: int) -> Person | None:
        reads = _shared(self.session)
        if reads is None:
            return super().get(id)
        known, found = reads.person(id)
        if not known:
            found = super().get(id)
            reads.keep_person(found)
            reads.people.setdefault(id, None)
        return found

    def by_telegram_id(self, telegram_id: int) -> Person | None:
        """Every update starts here, so a plain statement on the session's connection, not the ORM."""
        reads = _shared(self.session)
        if reads is not None:
            known, found = reads.by_telegram(telegram_id)
            if known:
                return found
        row = _BY_TELEGRAM.first(self.session, {"telegram_id": telegram_id})
        person = to_domain(row, Person) if row is not None else None
        if reads is not None:
            reads.keep_person(person, telegram_id)
        return person

    def add(self, item: Person) -> Person:
        _wrote(self.session)
        return super().add(item)

    def save(self, item: Person) -> Person:
        _wrote(self.session)
        return super().save(item)

    def by_key(self, key: str) -> Person | None:
        return self._one(col(PersonRow.key) == key)

    def names(self, ids: Collection[int]) -> dict[int, str]:
        t = PersonRow.__table__  # type: ignore[attr-defined]
        found: dict[int, str] = {}
        wanted = sorted(set(ids))
        for chunk in (wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)):
            stmt = sa_select(t.c.id, t.c.display_name).where(t.c.id.in_(chunk), t.c.deleted_at.is_(None))
            found.update((i, name) for i, name in connection_of(self.session).execute(stmt))
        return found

    def erase(self, person_id: int, into: int, their_tickets: Sequence[int]) -> None:
        _wrote(self.session)
        erase_person(self.session, person_id, into, their_tickets)

    def with_roles(self) -> list[Person]:
        holders = sa_select(RoleRow.person_id)  # type: ignore[call-overload]
        return self._many(
            (col(PersonRow.key).is_not(None)) | col(PersonRow.id).in_(holders), order=col(PersonRow.id)
        )


_R = RoleRow.__table__  # type: ignore[attr-defined]
_ROLES = Plain(
    "roles of a person",
    lambda _: sa_select(*_R.columns).where(_R.c.person_id == bindparam("person_id")).order_by(_R.c.id),
)
_ACTIVE_ROLES = Plain(
    "active roles of a person",
    lambda _: (
        sa_select(*_R.columns)
        .where(_R.c.person_id == bindparam("person_id"), _R.c.active.is_(True))
        .order_by(_R.c.id)
    ),
)


# A use case asks for an estate's staff by kind, with or without a duty: the duty as a parameter (None: any).
def _at_estate(with_duty: bool) -> Select[tuple[object, ...]]:
    where = [_R.c.estate_id == bindparam("estate_id"), _R.c.kind == bindparam("kind"), _R.c.active]
    if with_duty:
        where.append(_R.c.duty == bindparam("duty"))
    return sa_select(*_R.columns).where(*where).order_by(_R.c.id)


_AT_ESTATE = Plain("roles at an estate", lambda _: _at_estate(False))
_AT_ESTATE_WITH_DUTY = Plain("roles at an estate with a duty", lambda _: _at_estate(True))


class RoleRepository(Repository[Role, RoleRow]):
    """Roles; within one update a person's active roles are read once (with the person: the actor)."""

    row, domain = RoleRow, Role

    def of_person(self, person_id: int, active_only: bool = True) -> list[Role]:
        reads = _shared(self.session) if active_only else None
        if reads is not None:
            known = reads.roles_of(person_id)
            if known is not None:
                return known
        found = [
            to_domain(r, Role)
            for r in (_ACTIVE_ROLES if active_only else _ROLES).all(self.session, {"person_id": person_id})
        ]
        if reads is not None:
            reads.keep_roles(person_id, found)
        return found

    def add(self, item: Role) -> Role:
        _wrote(self.session)
        return super().add(item)

    def save(self, item: Role) -> Role:
        _wrote(self.session)
        return super().save(item)

    def at_estate(self, estate_id: int, kind: RoleKind, duty: Duty | None = None) -> list[Role]:
        params = {"estate_id": estate_id, "kind": kind.value}
        if duty is None:
            found = _AT_ESTATE.all(self.session, params)
        else:
            found = _AT_ESTATE_WITH_DUTY.all(self.session, params | {"duty": duty.value})
        return [to_domain(r, Role) for r in found]

    def at_company(self, company_id: int, kind: RoleKind) -> list[Role]:
        return self._many(
            col(RoleRow.company_id) == company_id,
            col(RoleRow.kind) == kind.value,
            col(RoleRow.active),
            order=col(RoleRow.id),
        )

    def at_office(self, office_id: int) -> list[Role]:
        return self._many(col(RoleRow.office_id) == office_id, col(RoleRow.active), order=col(RoleRow.id))


class InviteRepository(Repository[Invite, InviteRow]):
    row, domain = InviteRow, Invite

    def by_code(self, code: str) -> Invite | None:
        return self._one(col(InviteRow.code) == code)

    def use(self, invite_id: int, person_id: int, now: datetime) -> bool:
        t = self._table
        stmt = (
            t.update()
            .where(t.c.id == invite_id, t.c.used_at.is_(None))
            .values(used_at=now, used_by=person_id)
        )
        return bool(connection_of(self.session).execute(stmt).rowcount == 1)

    def declared(self, now: datetime) -> list[Invite]:
        return self._many(
            col(InviteRow.person_key).is_not(None),
            col(InviteRow.used_at).is_(None),
            (col(InviteRow.expires_at).is_(None)) | (col(InviteRow.expires_at) > now),
            order=col(InviteRow.id),
        )

    def pending_for(self, person_key: str) -> list[Invite]:
        return self._many(
            col(InviteRow.person_key) == person_key, col(InviteRow.used_at).is_(None), order=col(InviteRow.id)
        )
