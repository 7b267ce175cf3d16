"""officials' typical-case marks (典型案例) on tickets, with their three texts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "typical_case",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("background", sa.String(length=1000), nullable=False),
        sa.Column("handling", sa.String(length=1000), nullable=False),
        sa.Column("outcome", sa.String(length=1000), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_typical_case_ticket_id_ticket")),
        sa.ForeignKeyConstraint(["marked_by"], ["person.id"], name=op.f("fk_typical_case_marked_by_person")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["person.id"], name=op.f("fk_typical_case_updated_by_person")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_typical_case")),
    )


def downgrade() -> None:
    op.drop_table("typical_case")
