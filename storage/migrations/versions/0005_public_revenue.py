"""quarterly disclosures of public revenue, maintenance fund and shared utilities

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("account_bank", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("opening_fen", sa.BigInteger(), nullable=False),
        sa.Column("closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"], name=op.f("fk_disclosure_created_by_person")),
        sa.ForeignKeyConstraint(["estate_id"], ["estate.id"], name=op.f("fk_disclosure_estate_id_estate")),
        sa.ForeignKeyConstraint(
            ["published_by"], ["person.id"], name=op.f("fk_disclosure_published_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
        sa.UniqueConstraint("estate_id", "kind", "quarter", "revision", name="uq_disclosure_revision"),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disclosure_estate_kind_quarter", ["estate_id", "kind", "quarter"], unique=False
        )

    op.create_table(
        "disclosure_deadline",
        sa.Column("estate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["estate_id"], ["estate.id"], name=op.f("fk_disclosure_deadline_estate_id_estate")
        ),
        sa.PrimaryKeyConstraint("estate_id", "kind", "quarter", name=op.f("pk_disclosure_deadline")),
    )

    op.create_table(
        "disclosure_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"], ["disclosure.id"], name=op.f("fk_disclosure_line_disclosure_id_disclosure")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_line")),
    )
    with op.batch_alter_table("disclosure_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_line_disclosure_id"), ["disclosure_id"], unique=False)

    op.create_table(
        "disclosure_question",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"], ["disclosure.id"], name=op.f("fk_disclosure_question_disclosure_id_disclosure")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["disclosure_line.id"], name=op.f("fk_disclosure_question_line_id_disclosure_line")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_disclosure_question_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_disclosure_question")),
    )
    with op.batch_alter_table("disclosure_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_question_disclosure_id"), ["disclosure_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosure_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_question_disclosure_id"))
    op.drop_table("disclosure_question")

    with op.batch_alter_table("disclosure_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_line_disclosure_id"))
    op.drop_table("disclosure_line")

    op.drop_table("disclosure_deadline")

    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosure_estate_kind_quarter")
    op.drop_table("disclosure")
