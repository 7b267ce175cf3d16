"""an estate's language: what the bot writes to its people who never chose one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Estates already there get Simplified Chinese, the language everyone without one was written to.
    with op.batch_alter_table("estate") as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="zh_Hans")
        )


def downgrade() -> None:
    with op.batch_alter_table("estate") as batch_op:
        batch_op.drop_column("language")
