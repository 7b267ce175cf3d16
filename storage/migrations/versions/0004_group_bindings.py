"""group chats bound to an estate or an office

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:24:08.746331
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_binding",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["estate_id"], ["estate.id"], name=op.f("fk_group_binding_estate_id_estate")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_group_binding_office_id_office")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_group_binding_person_id_person")),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_group_binding")),
    )
    with op.batch_alter_table("group_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_binding_estate_id"), ["estate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_binding_office_id"), ["office_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("group_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_binding_office_id"))
        batch_op.drop_index(batch_op.f("ix_group_binding_estate_id"))

    op.drop_table("group_binding")
