"""A kept ledger's files are stored in pieces (storage/repositories/ledgers.py) and read back byte for
byte, a file larger than one piece included; the migration moves files kept whole into pieces, and back."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from handlers.domain.ledgers import LedgerVersion
from storage.migrate import downgrade, upgrade
from storage.repositories.ledgers import PIECE
from storage.uow import SqlUnitOfWork

BUILT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_a_file_larger_than_one_piece_is_kept_in_pieces_and_read_back_byte_for_byte(
    uow: Callable[[], SqlUnitOfWork], engine: Engine
) -> None:
    xlsx = os.urandom(2 * PIECE + 12_345)  # three pieces, the last a short one
    csv = os.urandom(PIECE)  # exactly one
    with uow() as u:
        kept = u.ledgers.add(LedgerVersion("street", 7, "2026-11", 1, BUILT, 100, xlsx, csv))
        assert kept is not None and kept.id is not None
        u.commit()
    with engine.connect() as c:
        pieces = c.execute(
            sa.text(
                "SELECT file, count(*) FROM ledger_piece WHERE ledger_id = :i GROUP BY file ORDER BY file"
            ),
            {"i": kept.id},
        ).all()
    assert [tuple(p) for p in pieces] == [("csv", 1), ("xlsx", 3)]
    with uow() as u:
        again = u.ledgers.get(kept.id)
        latest = u.ledgers.latest("street", 7, "2026-11")
        bare = u.ledgers.latest("street", 7, "2026-11", files=False)
    assert again is not None and again.xlsx == xlsx and again.csv == csv
    assert latest is not None and (latest.xlsx, latest.csv, latest.rows) == (xlsx, csv, 100)
    assert bare is not None and (bare.xlsx, bare.csv, bare.version) == (None, None, 1)


def test_the_migration_moves_files_kept_whole_into_pieces_and_back(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0020")
    xlsx, csv = os.urandom(3 * PIECE), b"a,b\r\n"
    with blank_engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO ledger (scope_kind, scope_id, month, version, built_at, rows, xlsx, csv, "
                "erased) VALUES ('street', 7, '2026-11', 1, :at, 3, :x, :c, false)"
            ),
            {"at": BUILT, "x": xlsx, "c": csv},
        )
    upgrade(blank_engine)
    with SqlUnitOfWork(blank_engine) as u:
        moved = u.ledgers.latest("street", 7, "2026-11")
    assert moved is not None and (moved.xlsx, moved.csv) == (xlsx, csv)
    downgrade(blank_engine, "0020")
    with blank_engine.connect() as c:
        back = c.execute(sa.text("SELECT xlsx, csv FROM ledger")).one()
    assert (bytes(back[0]), bytes(back[1])) == (xlsx, csv)
