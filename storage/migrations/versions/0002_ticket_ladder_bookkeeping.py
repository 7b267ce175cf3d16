"""ticket ladder bookkeeping: when the cycle's clock started, the reminders sent, a pending extension

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:43:25.153513
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("overdue_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("extension_requested_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite drops a column by rebuilding the table; PostgreSQL simply alters it.
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("extension_requested_until")
        batch_op.drop_column("overdue_reminded_at")
        batch_op.drop_column("reminders_sent")
        batch_op.drop_column("cycle_started_at")
