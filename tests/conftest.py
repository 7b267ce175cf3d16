"""Shared fixtures: a fresh database per test, on SQLite and PostgreSQL (storage, service, ladder tests)."""

from __future__ import annotations

import os
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
from tests.support.databases import postgres_schema

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
    with postgres_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL schema of its own, dropped afterwards, for what only PostgreSQL does (several
    processes on one database); skipped as `postgres_server` is when no server answers."""
    with postgres_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


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
