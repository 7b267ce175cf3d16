"""when an estate joined wuye: no disclosure is asked of it for a quarter that ended before

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Estates already there keep None: they joined before this was recorded, and are asked as before.
    with op.batch_alter_table("estate") as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("estate") as batch_op:
        batch_op.drop_column("created_at")
