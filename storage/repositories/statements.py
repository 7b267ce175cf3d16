"""Plain statements on a session's connection, built once per dialect and reused: the hottest reads and
writes (every update, the ladder, the outbox) skip the ORM's own machinery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignoring_duplicates(session: Session, table: Any) -> Any:
    """`table`: a table class or its Table (then the statement bypasses the ORM's bulk-insert path)."""
    # An INSERT that knows ON CONFLICT: both databases have it, SQLAlchemy spells it per dialect.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {dialect}")


def connection_of(session: Session) -> Any:
    """The session's connection (its transaction) for a plain statement, once the ORM's pending changes
    are written, as `session.execute` would: the hottest reads and writes skip the ORM's own machinery."""
    session.flush()
    return session.connection()


# Statements built once and reused with fresh parameters: building an UPDATE or INSERT of a wide row
# from keyword values costs more than running it, and the ladder and the outbox run them by the thousand.
_STATEMENTS: dict[tuple[str, str], Any] = {}


def prepared(session: Session, name: str, build: Callable[[Session], Any]) -> Any:
    """The statement `name` for this session's dialect, built by `build` the first time only."""
    key = (name, session.get_bind().dialect.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build(session)
    return _STATEMENTS[key]
