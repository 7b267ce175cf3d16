"""One process per SQLite database: a second `wuye run` on the same file refuses to start."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    pass


class SingleInstance:
    """Holds an exclusive lock file beside a SQLite database for as long as the process runs.

    PostgreSQL needs no such lock: there the sweep claims tickets with FOR UPDATE SKIP LOCKED and the
    outbox leases notifications, so several processes share the work without doing anything twice.
    """

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.path: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            self.path = Path(url.database).expanduser().resolve().with_suffix(".lock")
        self._file: IO[str] | None = None

    def check(self) -> None:
        """Raise AlreadyRunning if another process holds the lock; creates nothing (a start that fails
        later, say on a rejected token, leaves no lock file behind)."""
        if self.path is None:
            return
        try:
            handle = open(self.path, encoding="utf-8")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _already_running(handle) from None
        finally:
            handle.close()  # closing drops the shared lock too

    def acquire(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held open while running)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            error = _already_running(handle)
            handle.close()
            raise error from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _already_running(handle: IO[str]) -> AlreadyRunning:
    handle.seek(0)
    holder = handle.read().strip() or "?"
    return AlreadyRunning(
        f"another wuye process (pid {holder}) is running on this SQLite database; SQLite allows one "
        "process — stop it, or use PostgreSQL (WUYE_DATABASE_URL) to run several"
    )
