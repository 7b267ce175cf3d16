"""Engines for SQLite (embedded default) and PostgreSQL (production), configured the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import create_engine

WHAT_WORKS = "sqlite:///path/to/wuye.db or postgresql+psycopg://user:password@host:5432/name"


def check_database_url(url: str) -> None:
    """Raise ValueError, one line without the password, unless `url` names a database wuye can open: a
    SQLite file, or PostgreSQL through psycopg (version 3, the driver wuye installs)."""
    try:
        parsed = make_url(url)
    except Exception:  # ArgumentError, or a port that is not a number
        raise ValueError(f"not a database URL (use {WHAT_WORKS})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ValueError(f"sqlite+{driver}:// is not a driver wuye has; write sqlite:///path/to/wuye.db")
        return
    if backend in ("postgres", "postgresql", "pgsql"):
        if backend == "postgresql" and driver == "psycopg":
            return
        fixed = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        said = (
            "is not a name SQLAlchemy knows"
            if backend != "postgresql"
            else "names no driver"
            if not driver
            else "is not the driver wuye installs (psycopg)"
        )
        raise ValueError(f"{parsed.drivername}:// {said}; write {fixed}")
    raise ValueError(f"wuye runs on SQLite or PostgreSQL, not {backend} (use {WHAT_WORKS})")


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
    # A server that does not answer (a network split) fails a connection in 10 s, not in minutes.
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def reading_engine(engine: Engine) -> Engine | None:
    """For units of work that only read (storage/uow.py `reading`): the same PostgreSQL database in
    autocommit, so a unit of work sends no BEGIN and no ROLLBACK (two of its three round trips besides
    its statements), and every statement is a read-only transaction of its own
    (`default_transaction_read_only`): the server refuses a write that slipped in instead of committing
    it on the spot. No ping before each use either (a round trip per unit of work): a connection the
    server dropped fails its first statement, which invalidates the pool's older connections, and work
    that only reads can simply be done again (storage/uow.py `again_if_dropped`). None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    url = engine.url
    given = url.query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else given
    options = " ".join(o for o in (given, "-c default_transaction_read_only=on") if o)
    return create_engine(
        url.update_query_dict({"options": options}),
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=False,
        pool_size=8,  # the web's threads
        max_overflow=4,
        connect_args={"connect_timeout": 10},
    )


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
    then the same work may be tried again later."""
    if isinstance(exc, (TryLater, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite says OperationalError for a missing table or a syntax error too: only these pass
        text = str(exc.orig).lower()
        return isinstance(exc, OperationalError) and any(w in text for w in _SQLITE_PASSING)
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    # PostgreSQL: the connection's troubles, the server shutting down or full, a lost serialization or
    # deadlock; not a statement timeout or a limit (those repeat). No SQLSTATE: the connection failed.
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith("08") or state in _POSTGRES_PASSING


_SQLITE_PASSING = ("locked", "busy", "unable to open", "disk i/o")
_POSTGRES_PASSING = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01", "55P03"})


def brief(exc: BaseException) -> str:
    """One line for the log: the database's own error and its first line, without the statement and its
    parameters (which may hold people's names)."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"
