"""notification.claimed_by: the token of the claim that took a notification's lease. The outbox's claim
may run in a core process that dies after committing and before answering; the front end then sends the
same claim, token and all, to the next core process, which hands back what the first run took rather
than leaving it leased to nobody for a whole term (two minutes by default). A lease's end could not name
the claim: two instances, or a frozen clock, can ask for the same one. Indexed among the unfinished
notifications (partial, as ix_notification_unfinished), so that looking for a claim's token costs nothing
behind a backlog of thousands.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 20:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


# As storage/tables.py writes it (a migration imports nothing of the application).
UNFINISHED_NOTIFICATION = "sent_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_notification_claimed_by",
        "notification",
        ["claimed_by"],
        postgresql_where=sa.text(UNFINISHED_NOTIFICATION),
        sqlite_where=sa.text(UNFINISHED_NOTIFICATION),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_claimed_by", table_name="notification")
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("claimed_by")
