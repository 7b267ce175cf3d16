"""monthly ledgers (台账) kept as sent, each version, and the people their files name

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.Integer(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=True),
        sa.Column("csv", sa.LargeBinary(), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["built_by"], ["person.id"], name=op.f("fk_ledger_built_by_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("scope_kind", "scope_id", "month", "version", name="uq_ledger_version"),
    )
    op.create_table(
        "ledger_named",
        sa.Column("ledger_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ledger_id"], ["ledger.id"], name=op.f("fk_ledger_named_ledger_id_ledger")),
        sa.PrimaryKeyConstraint("ledger_id", "person_id", name=op.f("pk_ledger_named")),
    )
    with op.batch_alter_table("ledger_named", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_named_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_named", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_named_person_id"))
    op.drop_table("ledger_named")
    op.drop_table("ledger")
