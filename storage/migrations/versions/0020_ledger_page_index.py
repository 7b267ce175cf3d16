"""an index for the monthly ledger: an estate's tickets by id, so that each page of the ledger starts
where the last one ended

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_estate_id", "ticket", ["estate_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_estate_id", table_name="ticket")
