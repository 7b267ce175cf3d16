"""the report draft a ticket was opened from, so a report sent again finds its ticket

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_key", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_ticket_draft_key"), ["draft_key"])


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ticket_draft_key"), type_="unique")
        batch_op.drop_column("draft_key")
