"""The Alembic migrations build exactly the models' schema, and every step can be undone and redone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    newest_revision,
    revisions,
    upgrade,
)


def differences(engine: Engine) -> list[Any]:
    """What `alembic revision --autogenerate` would put into a new migration."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def schema(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database reports them."""
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        db = inspect(connection)
        for table in sorted(db.get_table_names()):
            found[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in db.get_columns(table)],
                "pk": db.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (fk["name"] or "", str(fk["constrained_columns"])) for fk in db.get_foreign_keys(table)
                ),
                "unique": sorted(
                    (u["name"] or "", str(u["column_names"])) for u in db.get_unique_constraints(table)
                ),
                "indexes": sorted((i["name"] or "", str(i["column_names"])) for i in db.get_indexes(table)),
            }
        if connection.dialect.name == "postgresql":
            found["sequences"] = sorted(db.get_sequence_names())
    return found


def test_the_migrated_schema_is_exactly_the_models_schema(engine: Engine) -> None:
    assert differences(engine) == []


def test_after_upgrading_the_database_is_at_the_head_revision(blank_engine: Engine) -> None:
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision()
    assert head_revision() == revisions()[-1]


def test_the_head_from_the_file_names_is_alembics_and_each_revision_is_its_files_number() -> None:
    """What lets `upgrade` leave a current database alone without loading Alembic (storage/migrate.py):
    a revision whose id is not its file's number, or a second head, fails here."""
    from alembic.script import ScriptDirectory

    assert newest_revision() == head_revision()
    script = ScriptDirectory.from_config(alembic_config())
    previous = None
    for revision in reversed(list(script.walk_revisions())):
        assert Path(revision.path).name.partition("_")[0] == revision.revision
        assert revision.down_revision == previous
        previous = revision.revision


@pytest.mark.slow  # two processes of its own
def test_opening_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Every `wuye` command and `wuye run` opens the database through `upgrade`; at the head that is one
    query, not Alembic's import and a reading of every revision (about half a second a process)."""
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    program = (
        "import sys\n"
        "from storage.engine import make_engine\n"
        "from storage.migrate import upgrade\n"
        f"engine = make_engine({url!r})\n"
        "upgrade(engine)\n"
        "print('alembic' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO company (key, name) VALUES ('acme', 'Acme')"))
    before = schema(engine)
    upgrade(engine)
    assert schema(engine) == before
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM company")).scalars().all() == ["Acme"]


def test_every_revision_upgrades_downgrades_and_upgrades_again(blank_engine: Engine) -> None:
    """The stairway: a downgrade that forgets something makes the second upgrade fail."""
    previous: str | None = None
    for revision in revisions():
        upgrade(blank_engine, revision)
        assert current_revision(blank_engine) == revision
        downgrade(blank_engine, previous or "base")
        assert current_revision(blank_engine) == previous
        upgrade(blank_engine, revision)
        assert current_revision(blank_engine) == revision
        previous = revision
    assert differences(blank_engine) == []


def test_downgrading_to_the_base_leaves_nothing_behind(blank_engine: Engine) -> None:
    empty = schema(blank_engine)
    upgrade(blank_engine)
    downgrade(blank_engine, "base")
    left = schema(blank_engine)
    assert list(left["alembic_version"]["columns"]) != []  # Alembic keeps its own bookkeeping table
    del left["alembic_version"]
    assert left == empty
    assert current_revision(blank_engine) is None


def test_migrations_use_plain_sqlalchemy_types_and_import_nothing_from_the_application() -> None:
    """A migration must build the same schema years later, whatever the models have become."""
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = Path(path).read_text(encoding="utf-8")
        for forbidden in ("import storage", "from storage", "import sqlmodel", "from sqlmodel", "handlers"):
            assert forbidden not in source, f"{path.name} uses {forbidden!r}"


def partial_indexes(engine: Engine) -> dict[str, str]:
    """Each partial index's WHERE, as the database itself writes it back (Alembic's comparison above
    looks at an index's name and columns only, so a predicate the migration forgot would pass it)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
            ).all()
        else:
            rows = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            ).all()
    return {str(name): str(sql).partition(" WHERE ")[2] for name, sql in rows if " WHERE " in str(sql)}


def test_the_migrations_build_the_partial_indexes_the_models_declare(
    engine: Engine, database_url: str, tmp_path: Path, request: Any
) -> None:
    """The lists, the digests and `wuye status` read open tickets and unfinished notifications from
    partial indexes: the migrated database must have them with the same predicates as a fresh one."""
    from storage.engine import make_engine
    from tests.support.databases import postgres_schema

    def created(url: str) -> dict[str, str]:
        fresh = make_engine(url)
        try:
            SQLModel.metadata.create_all(fresh)
            return partial_indexes(fresh)
        finally:
            fresh.dispose()

    migrated = partial_indexes(engine)
    if database_url.startswith("sqlite"):
        declared = created(f"sqlite:///{tmp_path / 'created.db'}")
    else:
        with postgres_schema(request.getfixturevalue("postgres_server")) as url:
            declared = created(url)
    assert {"ix_ticket_open", "ix_notification_unfinished"} <= set(declared)
    assert migrated == declared
