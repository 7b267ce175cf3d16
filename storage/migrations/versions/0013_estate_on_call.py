"""the people of an estate on call outside office hours (the setup file's `on_call`)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Estates already there have nobody on call until the setup file names them.
    with op.batch_alter_table("estate") as batch_op:
        batch_op.add_column(sa.Column("on_call", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("estate") as batch_op:  # the default was for the rows already there
        batch_op.alter_column("on_call", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("estate") as batch_op:
        batch_op.drop_column("on_call")
