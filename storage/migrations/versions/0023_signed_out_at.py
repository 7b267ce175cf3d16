"""person.signed_out_at: the web pages' sessions begun before it are over. A session lives in its
signed cookie; until now signing out only replaced the browser's copy, and a manager's new personal link
for an owner who lost their phone left the phone signed in for up to 30 days.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("signed_out_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("signed_out_at")
