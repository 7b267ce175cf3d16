"""on PostgreSQL, every table a web page reads tells of a commit that changed it (NOTIFY
wuye_changed, with its schema's name), so the web's page cache (bot/web/page_cache.py) drops what it
drew before without asking the database on every page. Statement-level triggers: one notice per
statement, and PostgreSQL folds a transaction's equal notices into one, sent at commit. Not watched:
the tables that change with every chat update or message sent and that no page shows. Nothing on
SQLite (its file says when it changed).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# A table a later migration adds is watched by that migration (tests/integration/test_page_cache.py
# fails on a table that is neither watched nor named here).
UNWATCHED = (
    "alembic_version",
    "conversation",
    "processed_update",
    "send_pace",
    "card_message",
    "notification",
    "web_attempt",
    "ticket_sequence",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION wuye_changed() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify('wuye_changed', TG_TABLE_SCHEMA); RETURN NULL; END $$"
    )
    tables = op.get_bind().exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    for (table,) in tables.fetchall():
        if table not in UNWATCHED:
            op.execute(
                f'CREATE TRIGGER wuye_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION wuye_changed()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS wuye_changed() CASCADE")
