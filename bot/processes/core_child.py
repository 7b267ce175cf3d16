"""A core process's own side (see bot/processes/core_process.py for the whole): build the core on the front
end's settings, answer its turns and database work over the socket, and take SIGINT and SIGTERM as a request
to stop that it passes on to the front end, never as a reason to die in the middle of a turn."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import pickle
import select
import signal
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.delivery.outbox import Queued
from bot.delivery.outbox_rows import OutboxRows
from bot.logs import configure as configure_logging
from bot.processes.core_build import build_core
from bot.processes.heap import freeze_heap
from handlers.services.context import Context
from storage.engine import TryLater, brief, try_later

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("wuye.core_process")

HEAD = struct.Struct("!I")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# A child that was signalled and then hears nothing from the front end for this long leaves by itself (the
# front end went away without closing the socket, e.g. it was killed and its own children linger).
_SIGNALLED_PATIENCE = 30.0


def frame(kind: str, rid: int, value: Any) -> bytes:
    """One message on the socket: its length, then the pickled (kind, id, value)."""
    body = pickle.dumps((kind, rid, value), protocol=pickle.HIGHEST_PROTOCOL)
    return HEAD.pack(len(body)) + body


class _Channel:
    """The child's end: blocking reads and writes, with turns that arrive during a download queued.
    Reading also watches for SIGINT and SIGTERM (see the module's docstring): the first is passed on to
    the front end as a "stop" frame, between frames, so it never cuts one in two."""

    def __init__(self, sock: socket.socket, signals: int | None = None) -> None:
        self.sock = sock
        self.signals = signals  # a pipe the signal handler writes the signal's number to
        self.buffer = bytearray()
        self.waiting: deque[tuple[str, int, Any]] = deque()
        self.signalled = False

    def send(self, kind: str, rid: int, value: Any) -> None:
        self.sock.sendall(frame(kind, rid, value))

    def receive(self) -> tuple[str, int, Any] | None:
        head = self._read(HEAD.size)
        if head is None:
            return None  # the front end closed its end: stop
        (size,) = HEAD.unpack(head)
        body = self._read(size)
        if body is None:
            return None
        kind, rid, value = pickle.loads(body)
        return kind, rid, value

    def _read(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            watched = [self.sock.fileno()] if self.signals is None else [self.sock.fileno(), self.signals]
            patience = _SIGNALLED_PATIENCE if self.signalled else None
            ready, _, _ = select.select(watched, [], [], patience)
            if not ready:
                log.info("%s: no word from the front end since the signal; leaving", _me())
                return None
            if self.signals is not None and self.signals in ready:
                self._signalled(os.read(self.signals, 64))
            if self.sock.fileno() in ready:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return None
                self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _signalled(self, numbers: bytes) -> None:
        if self.signalled or not numbers:
            return
        self.signalled = True
        name = signal.Signals(numbers[0]).name
        log.debug("%s got %s: asking the front end to stop", _me(), name)
        self.send("stop", 0, name)

    def next_turn(self) -> tuple[str, int, Any] | None:
        return self.waiting.popleft() if self.waiting else self.receive()

    def fetch(self, rid: int) -> bytes:
        """Ask the front end for the document of turn `rid` and wait for it."""
        self.send("fetch", rid, None)
        while True:
            message = self.receive()
            if message is None:
                raise RuntimeError("the front end went away during a download")
            if message[0] == "fetched" and message[1] == rid:
                if isinstance(message[2], bytes):
                    return message[2]
                raise RuntimeError(f"download failed: {message[2]}")
            self.waiting.append(message)


def _me() -> str:
    return multiprocessing.current_process().name


def _catch_stop_signals() -> int:
    """SIGINT and SIGTERM no longer end this process (no KeyboardInterrupt in the middle of a turn): each
    writes its number to the pipe returned, which `_Channel` watches. Until now they were blocked (see
    `core_process._holding_stop_signals`): one sent while this process imported was kept pending, and is
    written to the pipe as they are unblocked here. Unblocked, so that nothing this process starts
    later is born with them blocked."""
    readable, writable = os.pipe()
    os.set_blocking(writable, False)
    signal.set_wakeup_fd(writable)
    for number in STOP_SIGNALS:
        signal.signal(number, _noted)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return readable


def _noted(number: int, frame: Any) -> None:
    """A signal's Python-level handler: nothing to do here, the wakeup pipe has its number."""


def serve(sock: socket.socket, settings: Settings, log_level: int) -> None:
    """A child's life: build the core on the same settings, then answer turns until the socket closes."""
    signals = _catch_stop_signals()
    try:
        _serve_turns(sock, settings, log_level, signals)
    except (BrokenPipeError, ConnectionResetError):  # the front end went away first: nothing to answer
        log.debug("%s: the front end closed the connection", _me())


def _serve_turns(sock: socket.socket, settings: Settings, log_level: int, signals: int) -> None:
    configure_logging(settings, log_level)
    built = build_core(settings, migrate=False)
    ctx, core, queued = built.app.ctx, built.core, built.app.queued
    lease = timedelta(seconds=settings.outbox_lease)
    kept = {"outbox": OutboxRows(ctx, built.translators, lease=lease)}
    freeze_heap()  # what start-up built lives as long as this process
    channel = _Channel(sock, signals)
    log.debug("%s ready", _me())
    channel.send("ready", 0, None)
    try:
        while (message := channel.next_turn()) is not None:
            kind, rid, value = message
            if kind == "call":
                _answer(channel, rid, functools.partial(_call, value, ctx, kept), queued, value[2])
            elif kind == "turn":
                inc, fetchable = value
                if fetchable:  # the front end can download this update's document: ask it when needed
                    inc = replace(inc, fetch=functools.partial(channel.fetch, rid))
                what = f"update from chat {inc.chat_id}"
                _answer(channel, rid, functools.partial(core.handle, inc), queued, what)
            # else: a download's answer for a turn that has failed meanwhile
    finally:
        built.app.engine.dispose()


def _call(value: Any, ctx: Context, kept: dict[str, Any]) -> Any:
    """Database work the front end asked for: a method of an object kept here too (the outbox's
    bookkeeping), or a function of the context (the ladder's sweeps)."""
    how, target, name, args = value
    return getattr(kept[target], name)(*args) if how == "method" else target(ctx, *args)


def _answer(channel: _Channel, rid: int, work: Callable[[], Any], queued: Queued | None, what: str) -> None:
    """Do one piece of work and send back its result with the queued-notifications tick, or what it
    raised (the exception itself when it pickles)."""
    try:
        result = work()
    except Exception as exc:
        if try_later(exc):  # the database out of reach: the front end tries again and says so
            exc = exc if isinstance(exc, TryLater) else TryLater(brief(exc))
        else:
            log.exception("%s failed", what)
        try:
            channel.send("raised", rid, exc)
        except Exception:  # an exception that does not pickle
            channel.send("failed", rid, f"{type(exc).__name__}: {exc}")
        return
    channel.send("done", rid, (result, queued.last if queued is not None else 0))
