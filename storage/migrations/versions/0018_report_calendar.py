"""the report calendar: each office's report of each period, drafted and sent (by whom, or
automatically), with the ledger version that went up

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "due_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_due_report_office_id_office")),
        sa.ForeignKeyConstraint(["sent_by"], ["person.id"], name=op.f("fk_due_report_sent_by_person")),
        sa.ForeignKeyConstraint(["ledger_id"], ["ledger.id"], name=op.f("fk_due_report_ledger_id_ledger")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_report")),
        sa.UniqueConstraint("office_id", "report", "period", name="uq_due_report_period"),
    )


def downgrade() -> None:
    op.drop_table("due_report")
