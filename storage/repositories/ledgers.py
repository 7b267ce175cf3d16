"""The monthly ledgers (台账) as sent: each version's files, and the people they name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from handlers.domain import LedgerVersion
from storage.mapping import to_domain, to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import LedgerNamedRow, LedgerRow


class LedgerRepository(Repository[LedgerVersion, LedgerRow]):
    row, domain = LedgerRow, LedgerVersion

    def latest(self, scope_kind: str, scope_id: int, month: str) -> LedgerVersion | None:
        return self._one_ordered(
            col(LedgerRow.scope_kind) == scope_kind,
            col(LedgerRow.scope_id) == scope_id,
            col(LedgerRow.month) == month,
        )

    def _one_ordered(self, *where: Any) -> LedgerVersion | None:
        t = self._table
        stmt = select(*t.columns).where(*where).order_by(t.c.version.desc()).limit(1)
        found = connection_of(self.session).execute(stmt).first()
        return to_domain(found, LedgerVersion) if found is not None else None

    def add(self, item: LedgerVersion, named: Collection[int] = ()) -> LedgerVersion | None:  # type: ignore[override]
        values = to_row_values(item)
        values.pop("id")
        # Two requests for the same new version at once: the second keeps nothing and reads the first's.
        stmt = (
            insert_ignoring_duplicates(self.session, self._table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["scope_kind", "scope_id", "month", "version"])
            .returning(self._table.c.id)
        )
        new_id = connection_of(self.session).execute(stmt).scalar()
        if new_id is None:
            return None
        item.id = int(new_id)
        if named:
            named_table = LedgerNamedRow.__table__  # type: ignore[attr-defined]
            connection_of(self.session).execute(
                named_table.insert(), [{"ledger_id": item.id, "person_id": p} for p in sorted(set(named))]
            )
        return item
