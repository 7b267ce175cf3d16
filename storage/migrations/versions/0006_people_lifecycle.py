"""people lifecycle: the setup file's key and name apart from the Telegram name, wrong-code attempts,
roles the setup file declared

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("telegram_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("code_failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("code_failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_person_key"), ["key"])
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_setup", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.drop_column("from_setup")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_person_key"), type_="unique")
        batch_op.drop_column("code_failed_at")
        batch_op.drop_column("code_failures")
        batch_op.drop_column("telegram_name")
        batch_op.drop_column("key")
