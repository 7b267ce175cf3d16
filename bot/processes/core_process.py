"""The conversation core in processes of their own, beside the front end's event loop.

One interpreter runs one thread of Python at a time. With the core on a thread of the front end's process,
the framework's HTTP work and the core's database work take turns on one CPU, and every update hands
the interpreter lock back and forth between them. In a child process the core runs on a CPU of its own
while the event loop talks to Telegram; the front end keeps what must stay in one place: per-chat
ordering, the outbox (it delivers through the framework) and the ladder's timer.

The front end and a child speak over a socket pair, in frames of a pickled (kind, id, value):

- front → child: ("turn", id, (Incoming, can fetch)), ("call", id, database work: see `_call`),
  ("fetched", id, bytes or an error text)
- child → front: ("ready", 0, None), ("done", id, (outputs or result, queued tick)), ("raised", id,
  exception), ("failed", id, error text), ("fetch", id, None) when the core asks for a document's bytes
  (the front end downloads it).

All of `wuye run`'s database work runs in the first child: the turns, and the outbox's and the ladder's
transactions (`call`); the front end's process only migrates at start and answers /healthz. SQLite then
has one writing process, as before.

A child that dies (killed, out of memory) is started again and its unanswered turns are sent to the new
one, once: a turn the dead child had finished is then a redelivered update, which the core ignores, and
database work it had committed runs twice, which each of the outbox's transactions allows for
(bot/delivery/outbox_rows.py: a claim by its token, a failure by the lease the caller holds).
Work that arrives while the next child is starting waits for it; a successor that fails to start is tried
again (after 1, 2, 5, 10 s, then every 30 s) while the work keeps waiting.

Stopping: a child never dies of SIGINT or SIGTERM (Ctrl+C and `systemctl stop` send them to every process
of the group at once). It tells the front end ("stop", 0, the signal's name), which stops the whole of
wuye as if it had been signalled itself, and goes on answering until the front end, having stopped taking
updates and waited for the work in flight, closes the socket. No child is started again once stopping
has begun.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import pickle
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from multiprocessing import resource_tracker
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from bot.delivery.outbox_rows import OutboxRows
from bot.processes.core_child import HEAD, STOP_SIGNALS, frame, serve
from handlers.conversations.io import Incoming, Output
from handlers.services.context import Context
from storage.engine import TryLater

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("wuye.core_process")

_START_TIMEOUT = 120.0  # a child imports the application and opens the database
_DRAIN_TIMEOUT = 30.0  # stopping: how long the work already sent to a child may take to be answered
_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)


def retry_pause(attempt: int) -> float:
    """Seconds before try `attempt + 1` (of a dead child's successor; of a turn the database could not
    take): 1, 2, 5, 10, then 30 each time."""
    return _PAUSES[min(attempt, len(_PAUSES) - 1)]


class TurnFailed(Exception):
    """A turn raised in the core process; the child logged it there with its traceback (the original
    exception is the __cause__), so the front end logs one line."""


class CoreProcessDied(Exception):
    """A turn or database work that no core process will answer: it killed two, or the processes
    were stopped."""


class CoreStopped(CoreProcessDied, TryLater):
    """Work that was still waiting when the core processes stopped: not done, so it may be done later
    (Telegram redelivers a webhook's update; the outbox and the ladder pick up where they were)."""


@dataclass
class _Pending:
    future: asyncio.Future[tuple[Any, int]]
    inc: Incoming | None = None  # a turn
    call: tuple[str, Any, str, tuple[Any, ...]] | None = None  # or database work (see _call)
    tries: int = 0


class _Child:
    """One child process and the turns it has been sent and not yet answered."""

    def __init__(self, number: int, settings: Settings, on_signal: Callable[[str], None]) -> None:
        self.number, self.settings, self.on_signal = number, settings, on_signal
        self.process: BaseProcess | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reader_task: asyncio.Task[None] | None = None
        self.pending: dict[int, _Pending] = {}  # sent to the process, not yet answered
        self.backlog: dict[int, _Pending] = {}  # arrived while no process was up: sent once one is
        self.up = False
        self.ready: asyncio.Future[None] | None = None
        self.tick = 0  # the child's queued-notifications counter, as it last reported it

    async def start(self, on_exit: Callable[[_Child], None]) -> None:
        ours, theirs = socket.socketpair()
        context = multiprocessing.get_context("spawn")
        level = logging.getLogger().getEffectiveLevel()
        self.process = context.Process(
            target=serve,
            args=(theirs, self.settings, level),
            name=f"wuye-core-{self.number}",
            daemon=True,
        )
        with _holding_stop_signals():
            self.process.start()
        theirs.close()
        reader, self.writer = await asyncio.open_connection(sock=ours)
        self.ready = asyncio.get_running_loop().create_future()
        self.reader_task = asyncio.create_task(self._read(reader, on_exit), name=f"wuye-core-{self.number}")
        try:
            await asyncio.wait_for(asyncio.shield(self.ready), _START_TIMEOUT)
        except BaseException:
            await self.stop()
            raise
        self.up = True

    @property
    def load(self) -> int:
        return len(self.pending) + len(self.backlog)

    def send(self, rid: int, pending: _Pending) -> None:
        if not self.up:  # the process died and the next one is starting: its socket is not there yet
            self.backlog[rid] = pending
            return
        assert self.writer is not None
        pending.tries += 1
        self.pending[rid] = pending
        if pending.call is not None:
            self.writer.write(frame("call", rid, pending.call))
            return
        assert pending.inc is not None
        fetchable = pending.inc.fetch is not None
        self.writer.write(frame("turn", rid, (replace(pending.inc, fetch=None), fetchable)))

    async def _read(self, reader: asyncio.StreamReader, on_exit: Callable[[_Child], None]) -> None:
        try:
            while True:
                (size,) = HEAD.unpack(await reader.readexactly(HEAD.size))
                kind, rid, value = pickle.loads(await reader.readexactly(size))
                if kind == "ready":
                    if self.ready is not None and not self.ready.done():
                        self.ready.set_result(None)
                elif kind == "fetch":
                    asyncio.create_task(self._download(rid))
                elif kind == "stop":  # the child was signalled: wuye stops, as if it had been
                    self.on_signal(f"{value} to core process {self.number}")
                else:
                    pending = self.pending.pop(rid, None)
                    if pending is None or pending.future.done():
                        continue
                    if kind == "done":
                        outputs, self.tick = value
                        pending.future.set_result((outputs, self.tick))
                    elif kind == "raised":
                        pending.future.set_exception(value)
                    else:
                        pending.future.set_exception(RuntimeError(f"in the core process: {value}"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            return
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(RuntimeError("the core process exited during start-up"))
            return
        self.up = False
        on_exit(self)

    async def _download(self, rid: int) -> None:
        pending = self.pending.get(rid)
        try:
            fetch = pending.inc.fetch if pending is not None and pending.inc is not None else None
            if fetch is None:
                raise RuntimeError("this update has no document to download")
            value: bytes | str = await asyncio.to_thread(fetch)
        except Exception as exc:
            value = f"{type(exc).__name__}: {exc}"
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(frame("fetched", rid, value))

    async def drain(self, timeout: float) -> None:
        """Wait (up to `timeout` s) until the work already sent to the process is answered."""
        waiting = [p.future for p in self.pending.values() if not p.future.done()]
        if waiting and self.up:
            await asyncio.wait(waiting, timeout=timeout)

    async def stop(self, timeout: float = 10.0) -> None:
        self.up = False
        if self.writer is not None:
            self.writer.close()  # the child sees the end of its input and exits
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        if self.reader_task is not None:
            self.reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader_task
        process = self.process
        if process is not None:
            await asyncio.to_thread(process.join, timeout)
            if process.is_alive():
                log.warning("core process %s did not stop; killing it", process.pid)
                process.kill()
                await asyncio.to_thread(process.join, timeout)


@contextlib.contextmanager
def _holding_stop_signals() -> Iterator[None]:
    """SIGINT and SIGTERM are held back (blocked, not ignored) in this thread meanwhile: one that comes is
    taken by another thread, or kept pending until the block ends, and still stops wuye (an ignored one was
    lost). A process started meanwhile is born with them blocked (the signal mask survives fork and exec):
    one sent to the whole group while it imports, a second or two, neither kills it nor prints a
    traceback, and stays pending until it can pass them on (`core_child._catch_stop_signals` unblocks
    them). This thread holds them back only for the milliseconds of the fork.

    multiprocessing's resource tracker is started first if it is not running: starting it unblocks both
    signals in this thread (it blocks them around its own fork), and a core process started after that
    would be born without them blocked."""
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class CoreProcesses:
    """`Core.handle` in `count` child processes. The runtime keeps each chat's updates in order (one at
    a time); a turn goes to the child with the fewest unanswered ones."""

    def __init__(
        self, settings: Settings, count: int = 1, on_signal: Callable[[str], None] | None = None
    ) -> None:
        """`on_signal(what)`: a child was sent SIGINT or SIGTERM (what: e.g. "SIGTERM to core process 1");
        the front end should stop. Without it the child's request is only logged."""
        self.settings = settings
        self.on_signal = on_signal or self._signal_logged
        self.children = [_Child(i + 1, settings, self._signalled) for i in range(count)]
        self._ids = itertools.count(1)
        self._stopping = False
        self._restarts: set[asyncio.Task[None]] = set()

    def _signalled(self, what: str) -> None:
        self.on_signal(what)

    @staticmethod
    def _signal_logged(what: str) -> None:
        log.info("%s: nobody here to stop", what)

    async def start(self) -> None:
        try:
            await asyncio.gather(*(child.start(self._died) for child in self.children))
        except BaseException:
            await self.stop()
            raise

    @property
    def tick(self) -> int:
        """Moves when any child committed notifications (what the outbox should be woken for)."""
        return sum(child.tick for child in self.children)

    async def handle(self, inc: Incoming) -> list[Output]:
        pending = _Pending(asyncio.get_running_loop().create_future(), inc=inc)
        child = min(self.children, key=lambda c: (not c.up, c.load))  # a child being restarted last
        child.send(next(self._ids), pending)
        try:
            outputs, _ = await pending.future
        except CoreProcessDied:
            raise
        except Exception as exc:
            raise TurnFailed(f"{type(exc).__name__}: {exc}") from exc
        return list(outputs)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run the front end's database work in the first core process, so one process writes the
        database (SQLite would otherwise fail a transaction that read before another process wrote).
        `fn` is a method of the outbox's rows (the child keeps one of its own) or a function whose
        first argument is the context (the child passes its own)."""
        owner = getattr(fn, "__self__", None)
        if owner is not None:
            if not isinstance(owner, OutboxRows):
                raise TypeError(f"{fn!r}: a core process keeps only the outbox's rows")
            call: tuple[str, Any, str, tuple[Any, ...]] = ("method", "outbox", fn.__name__, args)
        else:
            if not args or not isinstance(args[0], Context):
                raise TypeError(f"{fn!r}: database work in a core process takes the context first")
            call = ("function", fn, fn.__name__, args[1:])
        pending = _Pending(asyncio.get_running_loop().create_future(), call=call)
        self.children[0].send(next(self._ids), pending)
        result, _ = await pending.future
        return result

    def _died(self, child: _Child) -> None:
        if self._stopping:
            return
        code = child.process.exitcode if child.process is not None else None
        log.error("core process %s exited (code %s); starting another", child.number, code)
        task = asyncio.create_task(self._restart(child))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, child: _Child) -> None:
        # The dead child's unanswered work heads the backlog (it is older); what arrives until a new
        # process is up waits behind it. Kept on the child, so stopping meanwhile fails it, never drops it.
        child.backlog, child.pending = {**child.pending, **child.backlog}, {}
        await child.stop(timeout=1.0)
        for attempt in itertools.count():
            try:
                await child.start(self._died)
                break
            except Exception as exc:  # the database or the disk is away: keep the work, try again
                pause = retry_pause(attempt)
                log.error(
                    "core process %s could not be started again (%s); %d waiting; next try in %.0f s",
                    child.number,
                    exc,
                    len(child.backlog),
                    pause,
                )
                await asyncio.sleep(pause)
        waiting, child.backlog = child.backlog, {}
        for rid, pending in waiting.items():
            if pending.future.done():
                continue
            if pending.tries >= 2:  # it killed two children: do not feed it to a third
                pending.future.set_exception(CoreProcessDied("the update killed the core process twice"))
                continue
            try:
                child.send(rid, pending)
            except Exception as exc:  # it does not pickle: that one fails, the rest go on
                pending.future.set_exception(exc)

    def stopping(self) -> None:
        """Shutdown has begun: a child that exits now is not started again."""
        self._stopping = True

    async def stop(self, drain: float = _DRAIN_TIMEOUT) -> None:
        """Let the children answer the work they have (up to `drain` s), then end them. Work left
        unanswered fails with CoreStopped (a TryLater: it was not done)."""
        self._stopping = True
        for task in list(self._restarts):
            task.cancel()
        await asyncio.gather(*(child.drain(drain) for child in self.children), return_exceptions=True)
        await asyncio.gather(*(child.stop() for child in self.children), return_exceptions=True)
        for child in self.children:
            for pending in [*child.pending.values(), *child.backlog.values()]:
                if not pending.future.done():
                    pending.future.set_exception(CoreStopped("the core processes stopped"))
            child.pending.clear()
            child.backlog.clear()
