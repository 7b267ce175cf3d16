"""Engines for SQLite (embedded default) and PostgreSQL (production), configured the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import create_engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; a SQLite file's folder is created on first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TryLater(Exception):
    """The work did not happen for a reason that passes: the database was out of reach (restarting,
    the network, SQLite's file locked past its timeout) or the chat's turn was held elsewhere."""


def try_later(exc: BaseException) -> bool:
    """Whether `exc` says the database could not do the work now, rather than that the work was wrong:
    then the same work may be tried again later (every turn and transaction here can be)."""
    if isinstance(exc, TryLater):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite says OperationalError for a missing table or a syntax error too: only these pass
        text = str(exc.orig).lower()
        return isinstance(exc, OperationalError) and any(w in text for w in _SQLITE_PASSING)
    return isinstance(exc, (OperationalError, InterfaceError))


_SQLITE_PASSING = ("locked", "busy", "unable to open", "disk i/o")
