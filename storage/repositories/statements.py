"""Plain statements on a session's connection, built once per dialect and reused: the hottest reads and
writes (every update, the ladder, the outbox) skip the ORM's own machinery.

The hottest of all (`Plain`: what every update reads and writes, a ticket opened) skip SQLAlchemy's
execution too: compiled once per dialect, then run on the session's DB-API cursor with the column types'
own conversions. SQLAlchemy's execution context costs ten times what SQLite takes to run such a statement
(about 25 µs against 3). What stays as SQLAlchemy does it: the same SQL and parameters, the same
conversions both ways, the connection's transaction, `before_cursor_execute` and `after_cursor_execute`
listeners, and a driver's error wrapped as SQLAlchemy wraps it (a lost connection invalidated)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
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
    plain = getattr(session, "plain_connection", None)  # a unit of work's (storage/uow.py)
    return plain() if plain is not None else session.connection()


# Statements built once and reused with fresh parameters: building an UPDATE or INSERT of a wide row
# from keyword values costs more than running it, and the ladder and the outbox run them by the thousand.
_STATEMENTS: dict[tuple[str, str], Any] = {}


def prepared(session: Session, name: str, build: Callable[[Session], Any]) -> Any:
    """The statement `name` for this session's dialect, built by `build` the first time only."""
    key = (name, session.get_bind().dialect.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = build(session)
    return _STATEMENTS[key]


class _Compiled:
    """One statement compiled for one dialect: its SQL, how its parameters go in, how its rows come out."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        if "POSTCOMPILE" in self.sql or getattr(compiled, "escaped_bind_names", None):
            raise ValueError(f"not a fixed statement: {self.sql}")
        binds = compiled.binds
        self.positional: tuple[str, ...] | None = tuple(compiled.positiontup) if compiled.positional else None
        names = self.positional if self.positional is not None else tuple(binds)
        self.names = names
        # values written into the statement (a LIMIT, a constant): taken when the caller gives none
        self.defaults = {n: binds[n].value for n in names if not binds[n].required}
        processors = ((n, binds[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names)
        self.binds = {n: p for n, p in processors if p is not None}
        columns = list(statement.exported_columns)  # a SELECT's columns, or what a write returns
        self.keys = tuple(c.key for c in columns)
        self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.converts = any(p is not None for p in self.results)
        self.row: Any = namedtuple("Row", self.keys, rename=True) if self.keys else None

    def parameters(self, given: dict[str, Any]) -> Any:
        values = self.defaults | given if self.defaults else given
        binds = self.binds
        if self.positional is not None:
            return tuple(binds[n](values[n]) if n in binds else values[n] for n in self.positional)
        return {n: binds[n](values[n]) if n in binds else values[n] for n in self.names}

    def convert(self, raw: Sequence[Any]) -> Any:
        assert self.row is not None
        if not self.converts:
            return self.row._make(raw)
        return self.row._make(v if p is None else p(v) for p, v in zip(self.results, raw, strict=True))


class Plain:
    """A fixed statement (no IN lists), built by `build` and compiled once per dialect, run straight on
    the DB-API cursor of the session's connection (see the module's docstring). Rows come back as named
    tuples, with the columns' conversions applied."""

    def __init__(self, name: str, build: Callable[[Session], Any]) -> None:
        self.name, self.build = name, build
        self.compiled: dict[str, _Compiled] = {}

    def _for(self, session: Session) -> tuple[Connection, _Compiled]:
        db = connection_of(session)
        dialect = db.dialect
        compiled = self.compiled.get(dialect.name)
        if compiled is None:
            compiled = self.compiled[dialect.name] = _Compiled(self.build(session), dialect)
        return db, compiled

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """The first row, or None."""
        db, compiled = self._for(session)
        raw = _run(db, compiled, params, lambda c: c.fetchone())
        return compiled.convert(raw) if raw is not None else None

    def all(self, session: Session, params: dict[str, Any]) -> list[Any]:
        db, compiled = self._for(session)
        raw = _run(db, compiled, params, lambda c: c.fetchall())
        return [compiled.convert(r) for r in raw]

    def run(self, session: Session, params: dict[str, Any]) -> int:
        """A write; the number of rows it touched."""
        db, compiled = self._for(session)
        return int(_run(db, compiled, params, lambda c: c.rowcount))

    def run_many(self, session: Session, params: Sequence[dict[str, Any]]) -> None:
        """A write for each set of parameters, in one call of the driver."""
        db, compiled = self._for(session)
        _run(db, compiled, params, lambda c: None, many=True)


def _run(
    db: Connection, compiled: _Compiled, params: Any, take: Callable[[Any], Any], many: bool = False
) -> Any:
    """The statement with `params` (a list of them: `many`) on the connection's DB-API cursor, the
    listeners told as SQLAlchemy tells them."""
    sql = compiled.sql
    try:
        args = [compiled.parameters(p) for p in params] if many else compiled.parameters(params)
    except Exception as exc:  # a bad value (a naive datetime): a StatementError, as SQLAlchemy says it
        db._handle_dbapi_exception(exc, sql, params, None, None)
        raise  # not reached: the call above always raises
    cursor = db.connection.cursor()
    try:
        listeners = db.dispatch
        if listeners.before_cursor_execute:
            for fn in listeners.before_cursor_execute:
                sql, args = fn(db, cursor, sql, args, None, many)
        if many:
            cursor.executemany(sql, args)
        else:
            cursor.execute(sql, args)
        if listeners.after_cursor_execute:
            listeners.after_cursor_execute(db, cursor, sql, args, None, many)
        found = take(cursor)
    except BaseException as exc:
        if isinstance(exc, Exception) and not isinstance(exc, db.dialect.loaded_dbapi.Error):
            cursor.close()  # not the database's: raised as it is (SQLAlchemy wraps only the driver's)
            raise
        # SQLAlchemy's own handling: the driver's error wrapped (IntegrityError, OperationalError...), a
        # lost connection (or one interrupted mid-statement) invalidated, so that callers and
        # storage/engine.py's `try_later` read it as ever.
        db._handle_dbapi_exception(exc, sql, args, cursor, None)
        raise  # not reached: the call above always raises
    cursor.close()
    return found
