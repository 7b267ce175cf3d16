"""Databases for the tests: an empty PostgreSQL schema of its own, or a migrated database that costs a
test next to nothing.

Migrating takes longer than most tests (the whole chain of revisions: about half a second, more on a
busy machine), so a test process migrates once and copies: on SQLite the migrated file, on PostgreSQL
a schema of its own that each test gets emptied (`SchemaPool`). What a test fills its database with
the same way every time (the example world) is filled once too and copied row by row (`Templates`).
The migrations themselves are tested on truly empty databases (tests/integration/test_migrations.py,
`postgres_schema`); tests/integration/test_test_databases.py shows the copies are what they copy.

The test schemas' connections commit without waiting for the write-ahead log to reach the disk
(`synchronous_commit=off`): what a commit means to other connections is unchanged, only a crash of
the server itself could lose the last commits, and a commit costs a millisecond instead of seven.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from storage.migrate import upgrade

T = TypeVar("T")

# For a test of a thousand inputs or more: on SQLite in the daily loop (-m "not slow"), on PostgreSQL as
# well in the whole suite (the `database_url` fixture's two databases, the second marked slow).
slow_on_postgresql = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow])],
    indirect=True,
)

# Catalog entries that say what a schema is: tables, columns, defaults and constraints. A test that
# changes one (none should) leaves a schema the pool does not hand out again.
_FINGERPRINT = text(
    """
    SELECT md5(coalesce(string_agg(part, ';' ORDER BY part), '')) FROM (
        SELECT c.relname::text || ' ' || c.relkind::text || ' ' || coalesce(a.attname::text || ' '
            || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' '
            || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), '') AS part
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE n.nspname = :schema
        UNION ALL
        SELECT con.conname::text || ' ' || pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
        WHERE n.nspname = :schema
    ) AS parts
    """
)
_SEQUENCES = text("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = :schema")


def schema_url(server: str, schema: str) -> str:
    """The server's URL with `schema` as the only one searched, committing without waiting for the disk."""
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    return make_url(server).update_query_dict({"options": options}).render_as_string(hide_password=False)


def admin_engine(server: str) -> Engine:
    return make_engine(server, poolclass=NullPool)


def _drop(connection: Connection, schema: str) -> None:
    # A connection the test forgot to close would make DROP wait forever; fail instead.
    connection.execute(text("SET LOCAL lock_timeout = '10s'"))
    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextmanager
def postgres_schema(server: str, prefix: str = "wuye_test") -> Iterator[str]:
    """An empty schema of its own, dropped afterwards."""
    # A schema per test rather than truncating shared tables: concurrent test runs against the same
    # server cannot see each other, and the migration tests get a truly empty database.
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = admin_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(server, schema)
    finally:
        with admin.begin() as connection:
            _drop(connection, schema)
        admin.dispose()


class SchemaPool:
    """Migrated schemas of this test process on one server, each handed to one test at a time and
    emptied when it is given back (every table but the revision's, every sequence restarted): a test
    sees a database just migrated, as if it had its own. One that no longer looks as migrated (its
    catalog changed, its revision moved) is dropped, not handed out again."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._admin = make_engine(server, pool_size=1)  # kept open: a test's turn costs no connection
        self._free: list[str] = []
        self._made: dict[str, tuple[str, str]] = {}  # schema -> (fingerprint, revision) when migrated
        self._children_first: list[str] | None = None  # the tables, each before those it refers to
        self._sequences: dict[str, int] = {}  # each sequence's first value
        self._lock = threading.Lock()

    @contextmanager
    def migrated(self) -> Iterator[str]:
        with self._lock:
            schema = self._free.pop() if self._free else None
        schema = schema or self.make()
        try:
            yield schema_url(self.server, schema)
        finally:
            if self._empty(schema):
                with self._lock:
                    self._free.append(schema)

    def make(self) -> str:
        """A new schema, migrated to the head revision; dropped with the pool."""
        schema = f"wuye_test_{uuid.uuid4().hex[:16]}"
        with self._admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(schema_url(self.server, schema), poolclass=NullPool)
        try:
            upgrade(engine)
            if self._children_first is None:
                metadata = MetaData()
                metadata.reflect(engine)
                self._children_first = [t.name for t in reversed(metadata.sorted_tables)]
        finally:
            engine.dispose()
        with self._admin.begin() as connection:
            self._made[schema] = self._state(connection, schema)
            self._sequences = {str(s): int(v) for s, v in connection.execute(_SEQUENCES, {"schema": schema})}
        return schema

    @staticmethod
    def _state(connection: Connection, schema: str) -> tuple[str, str]:
        """The schema's catalog fingerprint and its revision, in one round trip."""
        revisions = (
            f"SELECT string_agg(version_num, ',' ORDER BY version_num) FROM \"{schema}\".alembic_version"
        )
        fingerprint, revision = connection.execute(
            text(f"SELECT ({_FINGERPRINT.text}), ({revisions})"), {"schema": schema}
        ).one()
        return str(fingerprint), str(revision)

    def _empty(self, schema: str) -> bool:
        """Empty `schema` for the next test; False (and the schema dropped) if it is not as migrated."""
        with self._admin.begin() as connection:
            # A connection the test left in a transaction would make the deletes wait: fail instead.
            connection.execute(text("SELECT set_config('lock_timeout', '10s', true)"))
            if self._state(connection, schema) != self._made[schema]:
                _drop(connection, schema)
                del self._made[schema]
                return False
            # DELETE, not TRUNCATE: a few rows in each table go at once, where TRUNCATE makes every
            # table's files anew (half a second for the thirty). One round trip for all of it.
            tables = [t for t in self._children_first or [] if t != "alembic_version"]
            work = [f'DELETE FROM "{schema}"."{t}";' for t in tables] + [
                f'PERFORM setval(\'"{schema}"."{name}"\', {first}, false);'
                for name, first in self._sequences.items()
            ]
            connection.execute(text("SELECT set_config('synchronous_commit', 'off', true)"))
            connection.exec_driver_sql(f"DO $$ BEGIN {' '.join(work)} END $$")
        return True

    def close(self) -> None:
        with self._lock:
            schemas, self._free, self._made = list(self._made), [], {}
        with self._admin.begin() as connection:
            for schema in schemas:
                _drop(connection, schema)
        self._admin.dispose()


_POOLS: dict[str, SchemaPool] = {}


def schema_pool(server: str) -> SchemaPool:
    """This process's pool of migrated schemas on `server`."""
    if server not in _POOLS:
        _POOLS[server] = SchemaPool(server)
    return _POOLS[server]


def close_pools() -> None:
    while _POOLS:
        _POOLS.popitem()[1].close()


# ---- templates: a database filled once per test process, copied into each test's ----------------------
class _Template:
    """Rows made once (a migrated database, then filled), copied into a test's empty migrated database."""

    def __init__(self, tables: list[str], sequences: dict[str, int], where: str, made: object) -> None:
        self.tables = tables  # those with rows, parents before children
        self.sequences = sequences  # PostgreSQL: each sequence's last value
        self.where = where  # the SQLite file, or the PostgreSQL schema
        self.made = made  # what filling it returned

    def copy_into(self, engine: Engine) -> None:
        if engine.dialect.name == "sqlite":
            self._copy_sqlite(str(engine.url.database))
            return
        inserts = [f'INSERT INTO "{t}" SELECT * FROM "{self.where}"."{t}";' for t in self.tables]
        setvals = [f"PERFORM setval('\"{s}\"', {v});" for s, v in self.sequences.items()]
        with engine.begin() as connection:  # one round trip
            connection.exec_driver_sql(f"DO $$ BEGIN {' '.join(inserts + setvals)} END $$")

    def _copy_sqlite(self, path: str) -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("ATTACH DATABASE ? AS template", (self.where,))
            connection.execute("BEGIN IMMEDIATE")
            for table in self.tables:
                connection.execute(f'INSERT INTO main."{table}" SELECT * FROM template."{table}"')
            connection.execute("COMMIT")
            connection.execute("DETACH DATABASE template")
        finally:
            connection.close()


class Templates:
    """This process's migrated SQLite file and filled templates (on SQLite and on each server)."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._filled: dict[tuple[str, Hashable], _Template] = {}
        self._lock = threading.RLock()

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="wuye-templates-"))
        return self._folder

    def migrated_sqlite(self) -> Path:
        """A SQLite file just migrated to the head revision (copy it; do not open it)."""
        with self._lock:
            path = self.folder() / "migrated.db"
            if not path.exists():
                building = path.with_suffix(".building")
                engine = make_engine(f"sqlite:///{building}", poolclass=NullPool)
                upgrade(engine)
                engine.dispose()
                building.rename(path)
            return path

    def fill(self, engine: Engine, key: Hashable, fill: Callable[[Engine], T]) -> T:
        """Fill the empty migrated database behind `engine` as `fill` would, by copying the rows of a
        template `fill` filled once in this process for `key`; returns what `fill` returned then."""
        with self._lock:
            where = "sqlite" if engine.dialect.name == "sqlite" else _server_of(engine)
            template = self._filled.get((where, key))
            if template is None:
                template = self._filled[(where, key)] = self._make(where, fill)
        template.copy_into(engine)
        return cast(T, template.made)

    def _make(self, where: str, fill: Callable[[Engine], object]) -> _Template:
        if where == "sqlite":
            path = self.folder() / f"filled-{len(self._filled)}.db"
            shutil.copyfile(self.migrated_sqlite(), path)
            engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)
            location = str(path)
        else:
            location = schema_pool(where).make()  # dropped with the pool
            engine = make_engine(schema_url(where, location), poolclass=NullPool)
        try:
            made = fill(engine)
            tables = _tables_with_rows(engine)
            sequences = _sequence_values(engine) if where != "sqlite" else {}
        finally:
            engine.dispose()
        return _Template(tables, sequences, location, made)

    def close(self) -> None:
        with self._lock:
            self._filled.clear()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None


def _server_of(engine: Engine) -> str:
    return engine.url.difference_update_query(["options"]).render_as_string(hide_password=False)


def _tables_with_rows(engine: Engine) -> list[str]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return [
            table.name
            for table in metadata.sorted_tables
            if table.name != "alembic_version"
            and connection.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")')).scalar_one()
        ]


def _sequence_values(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
        return {str(name): int(value) for name, value in found}


TEMPLATES = Templates()


def close_all() -> None:
    """Drop this process's schemas and templates (at the end of the session)."""
    TEMPLATES.close()
    close_pools()
