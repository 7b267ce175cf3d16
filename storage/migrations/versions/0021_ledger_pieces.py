"""a kept ledger's files in pieces (ledger_piece): written and read a megabyte at a time, never bound
whole (the driver copied a 100,000-row ledger's 40 MB of files once more); the files already kept move
into it, one piece each

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_FILES = ("xlsx", "csv")


def upgrade() -> None:
    op.create_table(
        "ledger_piece",
        sa.Column("ledger_id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=4), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["ledger_id"], ["ledger.id"], name=op.f("fk_ledger_piece_ledger_id_ledger")),
        sa.PrimaryKeyConstraint("ledger_id", "file", "seq", name=op.f("pk_ledger_piece")),
    )
    for name in _FILES:  # a file kept whole becomes its own single piece (pieces may be of any size)
        op.execute(
            f"INSERT INTO ledger_piece (ledger_id, file, seq, data) "
            f"SELECT id, '{name}', 0, {name} FROM ledger WHERE {name} IS NOT NULL"
        )
    # ALTER TABLE … DROP COLUMN, not a batch: on SQLite a batch copies the table and drops the old one,
    # which the pieces (and the named) already refer to
    op.drop_column("ledger", "csv")
    op.drop_column("ledger", "xlsx")


def downgrade() -> None:
    op.add_column("ledger", sa.Column("xlsx", sa.LargeBinary(), nullable=True))
    op.add_column("ledger", sa.Column("csv", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    pieces = sa.table(
        "ledger_piece", sa.column("ledger_id"), sa.column("file"), sa.column("seq"), sa.column("data")
    )
    ledger = sa.table("ledger", sa.column("id"), *(sa.column(name) for name in _FILES))
    kept: dict[tuple[int, str], list[bytes]] = {}
    rows = bind.execute(
        sa.select(pieces.c.ledger_id, pieces.c.file, pieces.c.data).order_by(
            pieces.c.ledger_id, pieces.c.file, pieces.c.seq
        )
    )
    for ledger_id, name, data in rows:
        kept.setdefault((ledger_id, name), []).append(bytes(data))
    for (ledger_id, name), parts in kept.items():
        bind.execute(sa.update(ledger).where(ledger.c.id == ledger_id).values({name: b"".join(parts)}))
    op.drop_table("ledger_piece")
