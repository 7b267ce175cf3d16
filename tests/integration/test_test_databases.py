"""The tests' own databases (tests/support/databases.py): a migrated database copied or handed on is as
good as one migrated for the test alone, and the example world copied row by row is the world loaded."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from tests.service.world import START, build_world, load_world
from tests.support.databases import SchemaPool, postgres_schema

# Drawn at random each time the setup file is loaded: compared by their length and first letter (kind).
RANDOM = {("invite", "code")}


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in primary-key order."""
    metadata = MetaData()
    metadata.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key)).mappings()
            found[table.name] = [
                tuple((len(v), v[:1]) if (table.name, k) in RANDOM else v for k, v in row.items())
                for row in rows
            ]
    return found


def next_ids(engine: Engine) -> dict[str, int]:
    """The id each table with an integer key gives the next row it takes (a sequence, or SQLite's rowid)."""
    found = {}
    with engine.begin() as connection:
        for table in inspect(engine).get_table_names():
            columns = {c["name"]: c for c in inspect(engine).get_columns(table)}
            if "id" not in columns or "INT" not in str(columns["id"]["type"]).upper():
                continue
            if engine.dialect.name == "postgresql":
                sequence = connection.execute(
                    text(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                ).scalar()
                found[table] = int(connection.execute(text(f"SELECT nextval('{sequence}')")).scalar_one())
            else:
                found[table] = int(
                    connection.execute(text(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"')).scalar_one()
                )
    return found


def test_the_migrated_database_a_test_gets_is_empty_and_at_the_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert {t: rows for t, rows in contents(engine).items() if rows and t != "alembic_version"} == {}


def test_the_copied_world_is_the_loaded_world_row_for_row_and_takes_the_same_ids_next(
    engine: Engine, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    copied = build_world(engine, START)
    with ExitStack() as stack:
        if database_url.startswith("sqlite"):
            elsewhere = f"sqlite:///{tmp_path / 'loaded.db'}"
        else:
            elsewhere = stack.enter_context(postgres_schema(request.getfixturevalue("postgres_server")))
        loaded_engine = make_engine(elsewhere, poolclass=NullPool)
        stack.callback(loaded_engine.dispose)
        upgrade(loaded_engine)
        loaded = load_world(loaded_engine, START)
        assert contents(copied.engine) == contents(loaded.engine)
        assert next_ids(copied.engine) == next_ids(loaded.engine)
        assert copied.unknown_days == loaded.unknown_days


@pytest.mark.postgres
def test_a_pooled_schema_comes_back_empty_and_one_whose_tables_changed_is_not_handed_out_again(
    postgres_server: str,
) -> None:
    pool = SchemaPool(postgres_server)
    try:
        with pool.migrated() as url:
            first = url
            engine = make_engine(url, poolclass=NullPool)
            load_world(engine, START)
            with engine.begin() as connection:
                people = connection.execute(text("SELECT count(*) FROM person")).scalar_one()
                connection.execute(text("SELECT nextval(pg_get_serial_sequence('ticket', 'id'))"))
            engine.dispose()
            assert people > 0
        with pool.migrated() as url:
            assert url == first  # the same schema, handed on
            engine = make_engine(url, poolclass=NullPool)
            assert {t: rows for t, rows in contents(engine).items() if rows and t != "alembic_version"} == {}
            assert set(next_ids(engine).values()) == {1}
            assert current_revision(engine) == head_revision()
            with engine.begin() as connection:  # a test that changes a table (none should)
                connection.execute(text("ALTER TABLE person ADD COLUMN nickname varchar(20)"))
            engine.dispose()
        with pool.migrated() as url:
            assert url != first  # dropped: a new schema, as migrated
            engine = make_engine(url, poolclass=NullPool)
            assert "nickname" not in {c["name"] for c in inspect(engine).get_columns("person")}
            engine.dispose()
    finally:
        pool.close()
