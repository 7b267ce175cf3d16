"""The monthly ledgers (台账) as sent: each version's files, and the people they name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, null, select

from handlers.domain import LedgerVersion
from storage.mapping import to_domain, to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import LedgerNamedRow, LedgerRow


class LedgerRepository(Repository[LedgerVersion, LedgerRow]):
    row, domain = LedgerRow, LedgerVersion

    def latest(self, scope_kind: str, scope_id: int, month: str, files: bool = True) -> LedgerVersion | None:
        t = self._table
        columns = [c if files or c.name not in _FILES else null().label(c.name) for c in t.columns]
        stmt = (
            select(*columns)
            .where(t.c.scope_kind == scope_kind, t.c.scope_id == scope_id, t.c.month == month)
            .order_by(t.c.version.desc())
            .limit(1)
        )
        found = connection_of(self.session).execute(stmt).first()
        return to_domain(found, LedgerVersion) if found is not None else None

    def add(self, item: LedgerVersion, named: Collection[int] = ()) -> LedgerVersion | None:  # type: ignore[override]
        values = to_row_values(item)
        values.pop("id")
        files = {name: values[name] for name in _FILES if values[name]}
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        if sqlite:  # room for the files now, the files themselves below, a megabyte at a time
            values.update({name: func.zeroblob(len(data)) for name, data in files.items()})
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
        if sqlite:
            _write_in_pieces(connection_of(self.session).connection.driver_connection, item.id, files)
        if named:
            named_table = LedgerNamedRow.__table__  # type: ignore[attr-defined]
            connection_of(self.session).execute(
                named_table.insert(), [{"ledger_id": item.id, "person_id": p} for p in sorted(set(named))]
            )
        return item


_FILES = ("xlsx", "csv")
_PIECE = 1 << 20


def _write_in_pieces(sqlite: Any, row_id: int, files: dict[str, bytes]) -> None:
    """Write each file into the room the row holds for it, through SQLite's incremental blob I/O, in the
    same transaction. Bound as a parameter, a file of 30 MB would be copied twice inside SQLite (the
    bound value and the row's record) before it reached the disk: 80 MB more at the peak of a ledger of
    100,000 rows."""
    for name, data in files.items():
        whole = memoryview(data)
        with sqlite.blobopen("ledger", name, row_id) as blob:
            for start in range(0, len(whole), _PIECE):
                blob.write(whole[start : start + _PIECE])
