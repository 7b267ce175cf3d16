"""Who is who: offices, property companies, estates, people, the roles they hold and the invites to one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col

from handlers.domain import Company, Estate, Invite, Office, Person, Role, RoleKind
from handlers.rules.categories import Duty
from storage.mapping import to_domain
from storage.repositories.base import _Keyed, _Repository
from storage.repositories.statements import _connection, _prepared
from storage.tables import CompanyRow, EstateRow, InviteRow, OfficeRow, PersonRow, RoleRow


class OfficeRepository(_Keyed[Office, OfficeRow]):
    row, domain = OfficeRow, Office

    def children(self, office_id: int) -> list[Office]:
        return self._many(col(OfficeRow.parent_id) == office_id, order=col(OfficeRow.id))


class CompanyRepository(_Keyed[Company, CompanyRow]):
    row, domain = CompanyRow, Company


class EstateRepository(_Keyed[Estate, EstateRow]):
    row, domain = EstateRow, Estate

    def by_invite_code(self, code: str) -> Estate | None:
        return self._one(col(EstateRow.invite_code) == code)

    def in_communities(self, community_ids: Sequence[int]) -> list[Estate]:
        return self._many(col(EstateRow.community_id).in_(list(community_ids)), order=col(EstateRow.id))


class PersonRepository(_Repository[Person, PersonRow]):
    row, domain = PersonRow, Person

    def by_telegram_id(self, telegram_id: int) -> Person | None:
        """Every update starts here, so a plain statement on the session's connection, not the ORM."""
        t = PersonRow.__table__  # type: ignore[attr-defined]
        stmt = _prepared(
            self.session,
            "person by telegram id",
            lambda _: sa_select(*t.columns).where(t.c.telegram_id == bindparam("telegram_id")),
        )
        row = _connection(self.session).execute(stmt, {"telegram_id": telegram_id}).first()
        return to_domain(row, Person) if row is not None else None


class RoleRepository(_Repository[Role, RoleRow]):
    row, domain = RoleRow, Role

    def of_person(self, person_id: int, active_only: bool = True) -> list[Role]:
        where = [col(RoleRow.person_id) == person_id]
        if active_only:
            where.append(col(RoleRow.active).is_(True))
        return self._many(*where, order=col(RoleRow.id))

    def at_estate(self, estate_id: int, kind: RoleKind, duty: Duty | None = None) -> list[Role]:
        where = [col(RoleRow.estate_id) == estate_id, col(RoleRow.kind) == kind.value, col(RoleRow.active)]
        if duty is not None:
            where.append(col(RoleRow.duty) == duty.value)
        return self._many(*where, order=col(RoleRow.id))

    def at_company(self, company_id: int, kind: RoleKind) -> list[Role]:
        return self._many(
            col(RoleRow.company_id) == company_id,
            col(RoleRow.kind) == kind.value,
            col(RoleRow.active),
            order=col(RoleRow.id),
        )

    def at_office(self, office_id: int) -> list[Role]:
        return self._many(col(RoleRow.office_id) == office_id, col(RoleRow.active), order=col(RoleRow.id))


class InviteRepository(_Repository[Invite, InviteRow]):
    row, domain = InviteRow, Invite

    def by_code(self, code: str) -> Invite | None:
        return self._one(col(InviteRow.code) == code)

    def pending_for(self, person_key: str) -> list[Invite]:
        return self._many(
            col(InviteRow.person_key) == person_key, col(InviteRow.used_at).is_(None), order=col(InviteRow.id)
        )
