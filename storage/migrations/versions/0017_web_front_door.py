"""the web front door: sign-in codes (digests), sign-in attempts per client, last visits

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_web_code_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_code")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_code_digest")),
    )
    with op.batch_alter_table("web_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_code_person_id"), ["person_id"], unique=False)
    op.create_table(
        "web_attempt",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_attempt")),
    )
    op.create_table(
        "web_visit",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_web_visit_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_web_visit")),
    )


def downgrade() -> None:
    op.drop_table("web_visit")
    op.drop_table("web_attempt")
    with op.batch_alter_table("web_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_code_person_id"))
    op.drop_table("web_code")
