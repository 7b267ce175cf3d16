"""outbox leases and progress, ticket cards kept for editing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:07:36.433137
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_card_message_person_id_person")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_card_message_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_message")),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_card_message_chat_message"),
    )
    with op.batch_alter_table("card_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_message_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("parts_sent")

    with op.batch_alter_table("card_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_message_ticket_id"))

    op.drop_table("card_message")
