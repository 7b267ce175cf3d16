"""the ticket version a card last showed, so a press that redraws it is not followed by a refresh

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card_message") as batch_op:
        batch_op.add_column(sa.Column("shown_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("card_message") as batch_op:
        batch_op.drop_column("shown_version")
