"""Shared fixtures: a fresh database per test, on SQLite and PostgreSQL (storage, service, ladder tests).

A test that asks for `engine` (or for what needs it: `uow`, `world`) gets a database migrated to the
head revision, copied from one this test process migrated once (tests/support/databases.py); one that
asks for `database_url` or `blank_engine` alone gets an empty database, as before any migration."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.support.databases import TEMPLATES, close_all, postgres_schema, schema_pool

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# The suite keeps the bytecode of what it imports, even where the machine says not to write any
# (PYTHONDONTWRITEBYTECODE, as on ours and CI's): it starts hundreds of Python processes (its workers,
# each `wuye` command and `wuye run`, their core processes), and each would otherwise compile the
# project's modules and rewrite the test modules afresh, about 3.5 s per worker at collection and a few
# tenths of a second per command. Set here, in the first conftest, before any worker or command starts;
# the __pycache__ folders it writes are ignored by git.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


# Where the daily loop (-m "not slow") takes each scenario on one of the two databases: the use cases and
# the pages, whose database is one way in among two (tests/integration, about the databases themselves,
# keeps both). The whole suite runs every scenario on both.
ONE_DATABASE_A_DAY = ("tests/service/", "tests/web/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow one of the two databases of each scenario under ONE_DATABASE_A_DAY: the one not at the
    scenario's CRC32 (so that between them the scenarios use both), unless the other is slow already."""
    pairs: dict[str, dict[str, pytest.Item]] = {}
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("database_url") in ("sqlite", "postgresql") and item.nodeid.startswith(
            ONE_DATABASE_A_DAY
        ):
            scenario = item.nodeid.replace("postgresql", "sqlite")
            pairs.setdefault(scenario, {})[params["database_url"]] = item
    for scenario, found in pairs.items():
        if len(found) != 2 or any(item.get_closest_marker("slow") for item in found.values()):
            continue
        daily = ("sqlite", "postgresql")[zlib.crc32(scenario.encode()) % 2]
        for database, item in found.items():
            if database != daily:
                item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection built (the frameworks' models, SQLAlchemy's tables, every test module: some
    800,000 objects per worker) out of the garbage collector's full passes, as `wuye run` freezes what its
    start-up built (bot/processes/heap.py). Unfrozen, each full pass walked all of it again: 69 passes of
    about half a second in one daily run on two CPUs, a sixth of the workers' CPU. wuye run in a test then
    finds the heap settled and leaves it so.

    What the tests leave alive since (cached fixtures, pools, the worker's own bookkeeping: 200,000 to
    600,000 objects) would still be walked by a full pass every tenth collection of the middle generation,
    over 160 passes in a whole run; a full pass every hundredth keeps the memory of a test's cycles bounded
    and the workers' CPU on the tests."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject.toml): one worker more than this process may use CPUs. The suite waits about a
    third of its time (on the processes it starts, their sockets, PostgreSQL), so one worker per CPU
    left them idle that long: on two CPUs the whole suite took 596 s with two workers, 535 s with three
    and 549 s with four. PYTEST_XDIST_AUTO_NUM_WORKERS, when set, still decides (xdist reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@pytest.fixture(scope="session", autouse=True)
def _database_templates() -> Iterator[None]:
    """Drops what this test process made once to copy from (migrated schemas, template files)."""
    yield
    close_all()


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
    """A database of the test's own: a SQLite file, or a PostgreSQL schema nobody else uses meanwhile.
    Empty, unless the test asks for `engine` (itself, or through `uow` or `world`): then migrated."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "wuye.db"
        if migrated:
            shutil.copyfile(TEMPLATES.migrated_sqlite(), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    with schema_pool(server).migrated() if migrated else postgres_schema(server) as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL schema of its own, dropped afterwards, for what only PostgreSQL does (several
    processes on one database); skipped as `postgres_server` is when no server answers."""
    with postgres_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
def blank_engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    """An engine on the empty database, before any migration."""
    assert "engine" not in request.fixturenames, "a test gets either the empty database or the migrated one"
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the head revision."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    """Makes a fresh unit of work on the migrated database."""
    return lambda: SqlUnitOfWork(engine)
