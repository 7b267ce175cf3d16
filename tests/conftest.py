"""Shared fixtures: a fresh database per test, on SQLite and PostgreSQL (storage, service, ladder tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server the tests use; skipped, with a reason naming it, if it does not answer."""
    url = os.environ.get("WUYE_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)
    probe = make_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        message = f"PostgreSQL at {_safe(url)} (WUYE_TEST_DATABASE_URL) does not answer: {reason}"
        if os.environ.get("WUYE_REQUIRE_POSTGRES"):
            pytest.fail(message + " (WUYE_REQUIRE_POSTGRES is set, so this is a failure, not a skip)")
        pytest.skip(message)
    finally:
        probe.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own that is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wuye.db'}"
        return
    yield from _postgres_schema(request.getfixturevalue("postgres_server"))


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL schema of its own, dropped afterwards, for what only PostgreSQL does (several
    processes on one database); skipped as `postgres_server` is when no server answers."""
    yield from _postgres_schema(request.getfixturevalue("postgres_server"))


def _postgres_schema(server: str) -> Iterator[str]:
    # A schema per test rather than truncating shared tables: concurrent test runs against the same
    # server cannot see each other, and the migration tests get a truly empty database.
    schema = f"wuye_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(server, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(server)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            # A connection the test forgot to close would make DROP wait forever; fail instead.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def blank_engine(database_url: str) -> Iterator[Engine]:
    """An engine on the empty database, before any migration."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """An engine on a database migrated to the head revision."""
    upgrade(blank_engine)
    return blank_engine


@pytest.fixture
def uow(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    """Makes a fresh unit of work on the migrated database."""
    return lambda: SqlUnitOfWork(engine)
