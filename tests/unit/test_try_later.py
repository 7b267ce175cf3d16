"""storage.engine.try_later: which database failures are tried again (the database out of reach) and
which are not (the work itself is wrong). Real errors from real SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from storage.engine import TryLater, make_engine, try_later
from storage.turns import ChatBusy


def error_of(engine_url: str, sql: str, *, timeout: float = 5.0) -> DBAPIError:
    engine = create_engine(engine_url, connect_args={"timeout": timeout})  # SQLite's busy wait
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
            connection.execute(text(sql))
        return caught.value
    finally:
        engine.dispose()


def test_a_locked_sqlite_file_is_tried_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    holder = make_engine(url)
    with holder.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.commit()
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        locked = error_of(url, "INSERT INTO t VALUES (1)", timeout=0)
        connection.rollback()
    holder.dispose()
    assert "locked" in str(locked) and try_later(locked)


def test_work_that_is_wrong_is_not_tried_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    missing = error_of(url, "SELECT * FROM no_such_table")  # an OperationalError too, in SQLite
    assert "no such table" in str(missing) and not try_later(missing)
    assert not try_later(ValueError("bad input")) and not try_later(RuntimeError("bug"))


def test_our_own_try_later_and_a_busy_chat_are_tried_again() -> None:
    assert try_later(TryLater("the database restarting")) and try_later(ChatBusy("chat 42"))
