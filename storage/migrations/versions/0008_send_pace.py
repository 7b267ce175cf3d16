"""the bot's sending pace, shared by every instance on one database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_pace",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_send_pace")),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
