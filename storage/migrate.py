"""Upgrade, downgrade and inspect the schema with Alembic, from code (no alembic.ini needed).

Alembic itself (its import, then reading every revision's file to find the head: about half a second)
is loaded only when there is something to do. Each revision's id is its file's number, and the chain
is linear (tests/integration/test_migrations.py checks both), so the head is the highest number among
the files' names, and a database already at it is left alone after one query. Every `wuye` command and
every start of `wuye run` opens the database this way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    newest = newest_revision()
    if revision in ("head", newest) and current_revision(engine) == newest:
        return
    from alembic import command

    with engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None for one Alembic never touched (as Alembic reads it: the
    version table's one row)."""
    with engine.connect() as connection:
        return _stored_revision(connection)


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:  # branches: none here, but say so rather than pick one
        raise RuntimeError(f"the database is at more than one revision: {', '.join(sorted(rows))}")
    return rows[0] if rows else None


def newest_revision() -> str:
    """The head, from the revisions' file names alone (each id is its file's number)."""
    return max(path.name.partition("_")[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def head_revision() -> str | None:
    """The head as Alembic finds it, reading every revision."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revisions() -> list[str]:
    """Every revision from the first to the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]
