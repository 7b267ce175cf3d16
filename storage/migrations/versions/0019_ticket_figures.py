"""the supervision figures' moments of each ticket (ticket_figure), counted in the database by estate
and moment, filled in here from the tickets and their histories as they stand; open tickets with the
clock running by estate and deadline (partial), for "overdue now"

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 500  # tickets read at a time (SQLite takes at most 999 parameters in older builds)
SATISFIED_FROM = 4
# As the application writes them (a migration imports nothing of it): the events that end the wait for
# the first acknowledgement, and those counted by when they happened, with the figure they count in.
ACKNOWLEDGEMENT_ENDS = {"acknowledge", "reject", "transfer_department", "withdraw"}
HAPPENED = {
    "confirm": "confirmed",
    "close_unconfirmed": "unconfirmed",
    "withdraw": "withdrawn",
    "reopen": "reopened",
    "transfer_department": "transferred",
}

# Open, and the deadline clock running (the models' RUNNING_TICKET, as written there).
RUNNING_TICKET = (
    "status IN ('acknowledged', 'assigned', 'in_progress', 'new', 'rejected', 'reopened', 'transferred')"
)

_ts = sa.DateTime(timezone=True)
ticket = sa.table(
    "ticket",
    sa.column("id", sa.Integer),
    sa.column("estate_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("created_at", _ts),
    sa.column("ack_due_at", _ts),
    sa.column("due_at", _ts),
    sa.column("paused_at", _ts),
)
event = sa.table(
    "ticket_event",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("at", _ts),
    sa.column("event", sa.String),
    sa.column("data", sa.JSON),
)
figure = sa.table(
    "ticket_figure",
    sa.column("ticket_id", sa.Integer),
    sa.column("estate_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("at", _ts),
    sa.column("met", sa.Boolean),
    sa.column("stopped", _ts),
    sa.column("previous", _ts),
)


def upgrade() -> None:
    op.create_table(
        "ticket_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("stopped", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["estate_id"], ["estate.id"], name=op.f("fk_ticket_figure_estate_id_estate")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_figure_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_figure")),
    )
    op.create_index(
        "ix_ticket_figure_scope",
        "ticket_figure",
        ["estate_id", "at", "kind", "met", "stopped", "previous"],
    )
    op.create_index("ix_ticket_figure_ticket", "ticket_figure", ["ticket_id", "kind"])
    op.create_index(
        "ix_ticket_running_due",
        "ticket",
        ["estate_id", "due_at", "created_at"],
        postgresql_where=sa.text(RUNNING_TICKET),
        sqlite_where=sa.text(RUNNING_TICKET),
    )
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_ticket_running_due", table_name="ticket")
    op.drop_index("ix_ticket_figure_ticket", table_name="ticket_figure")
    op.drop_index("ix_ticket_figure_scope", table_name="ticket_figure")
    op.drop_table("ticket_figure")


# ---- the moments of the tickets already recorded -------------------------------------------------------
def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def backfill(connection: Any) -> int:
    """Every ticket's moments, from its row and its history (oldest first), batch by batch; how many
    rows were written. Tickets recorded before the report kept its acknowledgement limit, or a
    resolution the deadline it met, are judged against the limits the ticket holds now."""
    written, after = 0, 0
    while True:
        tickets = connection.execute(
            sa.select(ticket).where(ticket.c.id > after).order_by(ticket.c.id).limit(BATCH)
        ).all()
        if not tickets:
            return written
        after = tickets[-1].id
        histories: dict[int, list[Any]] = {t.id: [] for t in tickets}
        found = connection.execute(
            sa.select(event)
            .where(event.c.ticket_id.in_(list(histories)))
            .order_by(event.c.ticket_id, event.c.id)
        )
        for e in found:
            histories[e.ticket_id].append(e)
        rows = [r for t in tickets for r in moments(t, histories[t.id])]
        if rows:
            connection.execute(sa.insert(figure), rows)
            written += len(rows)


def moments(t: Any, history: Iterable[Any]) -> list[dict[str, Any]]:
    """One ticket's rows of ticket_figure."""
    steps = [(e.event, _utc(e.at), e.data if isinstance(e.data, dict) else {}) for e in history]
    out: list[dict[str, Any]] = []

    def add(kind: str, at: Any, met: bool | None, stopped: Any = None, previous: Any = None) -> None:
        row = {"ticket_id": t.id, "estate_id": t.estate_id, "kind": kind, "at": at, "met": met}
        out.append(row | {"stopped": stopped, "previous": previous})

    def first(kinds: set[str]) -> tuple[str, Any, dict[str, Any]] | None:
        return next((s for s in steps if s[0] in kinds), None)

    add("received", _utc(t.created_at), True)
    limit = None
    for kind, _, data in steps:
        if kind == "open":
            limit = _utc(data.get("ack_due_at"))
    limit = limit or _utc(t.ack_due_at)
    if limit is not None:
        ended = first(ACKNOWLEDGEMENT_ENDS)
        if ended is None:
            add("response", limit, None)
        elif ended[0] == "acknowledge":
            add("response", ended[1] if ended[1] <= limit else limit, ended[1] <= limit)
        elif ended[1] > limit:
            add("response", limit, False)
    resolved = first({"resolve"})
    if resolved is not None:
        due = _utc(resolved[2].get("due_at")) or _utc(t.due_at)
        if due is not None:
            add("resolution", resolved[1] if resolved[1] <= due else due, resolved[1] <= due)
    else:
        withdrawn = first({"withdraw"})
        stops = [_utc(t.paused_at), withdrawn[1] if withdrawn is not None else None]
        add("resolution", _utc(t.due_at), None, min((s for s in stops if s is not None), default=None))
    rating = next((s for s in steps if s[0] == "rate" and isinstance(s[2].get("stars"), int)), None)
    if rating is not None:
        add("rated", rating[1], rating[2]["stars"] >= SATISFIED_FROM)
    last: dict[str, Any] = {}
    for kind, at, data in steps:
        happened = HAPPENED.get(kind)
        if kind == "escalate" and data.get("rung") == "bureau":
            happened = "supervised"
        if happened is not None:
            add(happened, at, True, previous=last.get(happened))
            last[happened] = at
    return out
