"""The monthly ledgers (台账) as sent: each version's files, and the people they name.

A version's files are kept in pieces (`ledger_piece`, a megabyte each), written one piece to a statement
and read one piece at a time: bound whole, a ledger's 40 MB of files were copied once more by the
driver (PostgreSQL's peak for a 100,000-row ledger was 200 MB, the limit; bench/ledger.py)."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator

from sqlalchemy import Table, null, select

from handlers.domain.ledgers import LedgerVersion
from storage.mapping import to_domain, to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import LedgerNamedRow, LedgerPieceRow, LedgerRow

_FILES = ("xlsx", "csv")
PIECE = 1 << 20  # bytes of a file in one row of ledger_piece


class LedgerRepository(Repository[LedgerVersion, LedgerRow]):
    row, domain = LedgerRow, LedgerVersion
    kept_apart = _FILES  # the files: in ledger_piece

    def get(self, id: int) -> LedgerVersion | None:
        return self._one(self._table.c.id == id)

    def latest(self, scope_kind: str, scope_id: int, month: str, files: bool = True) -> LedgerVersion | None:
        t = self._table
        where = (t.c.scope_kind == scope_kind) & (t.c.scope_id == scope_id) & (t.c.month == month)
        return self._one(where, files, newest=True)

    def _one(self, where: object, files: bool = True, newest: bool = False) -> LedgerVersion | None:
        t = self._table
        stmt = select(*t.columns, *(null().label(name) for name in _FILES)).where(where)  # type: ignore[arg-type]
        if newest:
            stmt = stmt.order_by(t.c.version.desc()).limit(1)
        found = connection_of(self.session).execute(stmt).first()
        if found is None:
            return None
        item = to_domain(found, LedgerVersion)
        if files and item.id is not None:
            item.xlsx, item.csv = (self.file(item.id, name) for name in _FILES)
        return item

    def file(self, ledger_id: int, name: str) -> bytes | None:
        """One of a version's files, put together from its pieces; None when it has none (erased). Into a
        BytesIO, whose value is its own buffer (no copy): a join would hold every piece and the whole
        file at once, twice the file."""
        out, found = io.BytesIO(), False
        for piece in self._pieces(ledger_id, name):
            out.write(piece)
            found = True
        return out.getvalue() if found else None

    def _pieces(self, ledger_id: int, name: str) -> Iterator[bytes]:
        p = _pieces()
        stmt = select(p.c.data).where(p.c.ledger_id == ledger_id, p.c.file == name).order_by(p.c.seq)
        # a piece at a time from the server (a cursor of its own), not the whole file in the driver first
        streamed = stmt.execution_options(stream_results=True, max_row_buffer=2)
        for (data,) in connection_of(self.session).execute(streamed):
            yield bytes(data)

    def add(self, item: LedgerVersion, named: Collection[int] = ()) -> LedgerVersion | None:  # type: ignore[override]
        values = to_row_values(item)
        values.pop("id")
        files = {name: values.pop(name) for name in _FILES}
        # Two requests for the same new version at once: the second keeps nothing and reads the first's.
        stmt = (
            insert_ignoring_duplicates(self.session, self._table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["scope_kind", "scope_id", "month", "version"])
            .returning(self._table.c.id)
        )
        conn = connection_of(self.session)
        new_id = conn.execute(stmt).scalar()
        if new_id is None:
            return None
        item.id = int(new_id)
        insert = _pieces().insert()
        for name, data in files.items():
            whole = memoryview(data or b"")
            for seq, start in enumerate(range(0, len(whole), PIECE)):
                piece = bytes(whole[start : start + PIECE])  # a megabyte copied, not the file
                conn.execute(insert, {"ledger_id": item.id, "file": name, "seq": seq, "data": piece})
        if named:
            named_table = LedgerNamedRow.__table__  # type: ignore[attr-defined]
            conn.execute(
                named_table.insert(), [{"ledger_id": item.id, "person_id": p} for p in sorted(set(named))]
            )
        return item


def _pieces() -> Table:
    return LedgerPieceRow.__table__  # type: ignore[attr-defined]
