"""A page drawn for one session is drawn again only when something it may show has changed.

The pages that only read (`only_reads`: /tasks, /area, /my, /t/N) are kept, drawn, for the session and
the address that asked (the session's cookie, the path with its query, the chosen and the browser's
language), and served again from memory while both hold:

- nothing was committed to the database since it was drawn. `Changes` says so without a round trip:
  on SQLite, `PRAGMA data_version` on a connection of its own (it moves when any other connection, of
  any process, commits); on PostgreSQL, a trigger on every table a page reads sends NOTIFY at commit
  (storage/migrations 0022) to a connection LISTENing on a thread of its own, and a commit through this
  process's own engine counts at once, before the notification arrives. While that connection is down
  nothing is served from memory;
- it is younger than `seconds` by the core's clock: a page also shows how long ago things happened and
  what has become overdue since, which changes without a write.

A cookie is still checked (signature and age) before anything is served. A role taken away, a person
deleted: each is a commit, so no page drawn before it is served after it; signing out gives the browser
a new cookie, under which nothing was kept. The pages
that write (the home page notes the visit), answers that set a cookie, and every answer but a 200
are never kept."""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger("wuye.web")
CHANNEL = "wuye_changed"


class Changes(Protocol):
    """Where the database is in its history: a token that differs after any commit, or None when that
    cannot be told just now (then nothing is served from memory)."""

    def generation(self) -> Hashable | None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class _LocalCommits:
    """Commits through this process's engine, counted as they happen."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.lock = threading.Lock()  # commits on several threads: none may be lost
        self.engine = engine
        event.listen(engine, "commit", self.bump)

    def bump(self, *_: object) -> None:
        with self.lock:
            self.count += 1

    def close(self) -> None:
        if event.contains(self.engine, "commit", self.bump):
            event.remove(self.engine, "commit", self.bump)


class SqliteChanges:
    """`PRAGMA data_version` on a connection that never writes: it moves whenever another connection,
    in this process (the engine's own included) or another, commits to the file."""

    def __init__(self, engine: Engine) -> None:
        self.path = engine.url.database or ""
        self.lock = threading.Lock()
        self.conn: sqlite3.Connection | None = None

    def start(self) -> None:
        self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=5)

    def generation(self) -> Hashable | None:
        if self.conn is None:
            return None
        try:
            with self.lock:
                version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None
        return int(version)

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class PostgresChanges:
    """LISTEN for the tables' triggers on a connection of its own, on a thread of its own; reconnects
    after a second when the connection is lost, and says None until it is back."""

    def __init__(self, engine: Engine) -> None:
        # as SQLAlchemy opens the engine's connections (its URL's query, e.g. options=, decoded as it does)
        self.args, self.kwargs = engine.dialect.create_connect_args(engine.url)
        self.local = _LocalCommits(engine)
        self.heard = 0  # notifications, plus one for every (re)connection: nothing heard in between counts
        self.listening = False
        self.stopping = threading.Event()
        # stop() writes a byte here, so that a listener waiting for a notification stops at once
        self.wake, self.woken = socket.socketpair()
        self.thread: threading.Thread | None = None
        self.conn: psycopg.Connection[object] | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._listen, name="wuye-web-changes", daemon=True)
        self.thread.start()

    def generation(self) -> Hashable | None:
        return (self.heard, self.local.count) if self.listening else None

    def _listen(self) -> None:
        while not self.stopping.is_set():
            try:
                kwargs = {"connect_timeout": 10, **self.kwargs, "autocommit": True}
                with psycopg.connect(*self.args, **kwargs) as conn:
                    self.conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    row = conn.execute("SELECT current_schema()").fetchone()
                    schema = row[0] if row else None
                    self.heard += 1
                    self.listening = True
                    while not self.stopping.is_set():
                        # the connection's socket (a notification, or the connection lost) or stop()
                        select.select([conn.fileno(), self.woken.fileno()], [], [], 60.0)
                        for notice in conn.notifies(timeout=0.0):
                            if notice.payload == schema:  # other schemas of the database are others' wuyes
                                self.heard += 1
            except psycopg.Error as exc:
                if not self.stopping.is_set():
                    log.warning("the web's page cache stopped hearing of changes (%s); retrying", exc)
            finally:
                self.listening = False
                self.heard += 1
                self.conn = None
            self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.wake.send(b"x")
        self.local.close()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.wake.close()
        self.woken.close()


def changes_for(engine: Engine) -> Changes:
    if engine.dialect.name == "postgresql":
        return PostgresChanges(engine)
    return SqliteChanges(engine)


@dataclass(frozen=True)
class Kept:
    body: bytes
    content_type: str
    charset: str
    generation: Hashable
    drawn: datetime


class PageCache:
    """Drawn pages, at most `limit_bytes` of them (the least recently served go first)."""

    def __init__(self, changes: Changes, seconds: float, limit_bytes: int = 32 * 1024 * 1024) -> None:
        self.changes = changes
        self.age = timedelta(seconds=seconds)
        self.limit = limit_bytes
        self.size = 0
        self.pages: OrderedDict[Hashable, Kept] = OrderedDict()
        self.served = self.drawn = 0  # served from memory, drawn afresh (for the benchmark)

    def get(self, key: Hashable, now: datetime) -> tuple[Kept | None, Hashable | None]:
        """The page kept under `key` if still good, and the generation a page drawn now belongs to."""
        generation = self.changes.generation()
        found = self.pages.get(key)
        if found is None or generation is None:
            return None, generation
        if found.generation != generation or not found.drawn <= now < found.drawn + self.age:
            self._drop(key)
            return None, generation
        self.pages.move_to_end(key)
        self.served += 1
        return found, generation

    def put(self, key: Hashable, kept: Kept) -> None:
        self.drawn += 1
        if len(kept.body) > self.limit // 16:
            return
        self._drop(key)
        self.pages[key] = kept
        self.size += len(kept.body)
        while self.size > self.limit:
            self._drop(next(iter(self.pages)))

    def _drop(self, key: Hashable) -> None:
        gone = self.pages.pop(key, None)
        if gone is not None:
            self.size -= len(gone.body)
