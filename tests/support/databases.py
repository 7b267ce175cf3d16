"""A PostgreSQL schema of its own for a test or a benchmark, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.engine import make_engine


@contextmanager
def postgres_schema(server: str, prefix: str = "wuye_test") -> Iterator[str]:
    # A schema per test rather than truncating shared tables: concurrent test runs against the same
    # server cannot see each other, and the migration tests get a truly empty database.
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
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
