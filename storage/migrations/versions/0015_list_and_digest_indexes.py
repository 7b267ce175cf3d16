"""indexes for the officials' lists, the digests and `wuye status`: open tickets by estate and by
deadline (partial), tickets by department and by report time, events by kind and time, unfinished
notifications (partial)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"  # 0014 once the branches adding 0013 and 0014 are merged
branch_labels = None
depends_on = None

# As storage/tables.py writes them (a migration imports nothing of the application).
OPEN_TICKET = (
    "status IN ('acknowledged', 'assigned', 'in_progress', 'new', 'rejected', 'reopened', 'transferred', "
    "'waiting_owner')"
)
UNFINISHED_NOTIFICATION = "sent_at IS NULL AND failed_at IS NULL"


def _where(predicate: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade() -> None:
    op.create_index(
        "ix_ticket_open",
        "ticket",
        ["estate_id", "due_at", "supervised", "status", "id"],
        **_where(OPEN_TICKET),
    )
    op.create_index(
        "ix_ticket_open_due",
        "ticket",
        ["due_at", "id", "estate_id", "supervised", "status"],
        **_where(OPEN_TICKET),
    )
    op.create_index("ix_ticket_created_estate", "ticket", ["created_at", "estate_id"])
    op.create_index(op.f("ix_ticket_department_office_id"), "ticket", ["department_office_id"])
    op.create_index("ix_ticket_event_event_at", "ticket_event", ["event", "at"])
    op.create_index("ix_notification_unfinished", "notification", ["id"], **_where(UNFINISHED_NOTIFICATION))


def downgrade() -> None:
    op.drop_index("ix_notification_unfinished", table_name="notification")
    op.drop_index("ix_ticket_event_event_at", table_name="ticket_event")
    op.drop_index(op.f("ix_ticket_department_office_id"), table_name="ticket")
    op.drop_index("ix_ticket_created_estate", table_name="ticket")
    op.drop_index("ix_ticket_open_due", table_name="ticket")
    op.drop_index("ix_ticket_open", table_name="ticket")
