"""An uploaded spreadsheet read in a child process with hard limits, before its update reaches the core.

bot/documents/revenue_files.py already refuses what is too big before loading it; this is the second wall, for
whatever that misses: the child gets `CPU_SECONDS` of CPU (a profiling timer, RLIMIT_CPU behind it),
`MEMORY_BYTES` of address space beyond what it starts with (RLIMIT_AS), and is killed when it has not
answered after `WALL_SECONDS`. Any of these ends as the ordinary refusal "too complex", never as the
bot's problem. Children come from a fork server that has imported the readers once (a fork costs
milliseconds; a fresh interpreter with openpyxl a third of a second); at most `PARALLEL` run at a time
and more uploads wait their turn, each in its own chat (bot/telegram/runtime.py), while every other chat goes
on.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import FrameType

from handlers.conversations.io import Incoming, Kind
from handlers.ports import Grid
from handlers.services.revenue_import import MAX_FILE_BYTES, FileProblem, RevenueFileError, SheetRead

log = logging.getLogger("wuye.sheets")
Reader = Callable[[bytes, str | None], Grid]

CPU_SECONDS = 2
MEMORY_BYTES = 160 << 20  # the readers stay under 100 MB (bench/hostile_files.py); this is the wall
WALL_SECONDS = 10.0  # CPU_SECONDS with room for a busy machine
PARALLEL = 2

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")
MIME_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.ms-excel",  # what Windows calls a .csv
        "text/csv",
        "text/comma-separated-values",
        "text/tab-separated-values",
        "text/plain",
    }
)


def looks_like_spreadsheet(inc: Incoming) -> bool:
    """A document the revenue upload could read, small enough to download (by its name or type)."""
    if inc.kind is not Kind.DOCUMENT or inc.fetch is None or inc.sheet is not None:
        return False
    if inc.file_size is not None and inc.file_size > MAX_FILE_BYTES:
        return False  # the core refuses it by its size, without downloading it
    name, mime = (inc.file_name or "").lower(), (inc.mime_type or "").lower()
    return name.endswith(SUFFIXES) or mime in MIME_TYPES


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = CPU_SECONDS
    memory_bytes: int = MEMORY_BYTES
    wall_seconds: float = WALL_SECONDS


@dataclass(frozen=True)
class Usage:
    """What one child spent: its own CPU, and its peak resident memory above what it started with."""

    cpu_seconds: float
    peak_bytes: int
    wall_seconds: float


@dataclass(frozen=True)
class Outcome:
    read: SheetRead
    usage: Usage | None  # None: the child was killed or died before it could say


TOO_COMPLEX = SheetRead(problems=(FileProblem("too_complex"),))


class _OutOfTime(BaseException):
    """The CPU allowed is spent: a BaseException, so that no `except Exception` in a library swallows it."""


def _out_of_time(signum: int, frame: FrameType | None) -> None:
    raise _OutOfTime


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(conn: Connection, filename: str | None, limits: Limits, reader: Reader | None) -> None:
    """The child's life: limits on itself, the file from the pipe, its rows (or why not) back. What it
    spent is measured from here: multiprocessing may have run the main script again before."""
    from bot.documents.revenue_files import read_grid

    read_file = reader or read_grid
    cpu, resident = _cpu_seconds(), _resident_bytes()
    warnings.simplefilter("ignore")  # openpyxl's about what it skips, once per file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the bot, which ends this child itself
    # SIGPROF after exactly `cpu_seconds` more of CPU, caught between two steps of Python; a loop in C
    # that never returns to Python meets RLIMIT_CPU (whole seconds) a second later and is ended by it.
    signal.signal(signal.SIGPROF, _out_of_time)
    signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)
    backstop = math.ceil(cpu + limits.cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (backstop, backstop + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + limits.memory_bytes, resource.RLIM_INFINITY))
    read: SheetRead
    try:
        data = conn.recv_bytes(MAX_FILE_BYTES + 1)
        read = SheetRead(grid=read_file(data, filename))
    except RevenueFileError as exc:
        read = SheetRead(problems=tuple(exc.problems))
    except (MemoryError, _OutOfTime):
        read = TOO_COMPLEX
    except Exception:
        log.exception("reading an uploaded file failed")
        read = SheetRead(problems=(FileProblem("not_a_spreadsheet"),))
    signal.setitimer(signal.ITIMER_PROF, 0)
    data = b""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    conn.send((read, _cpu_seconds() - cpu, max(0, peak - resident)))


_context_lock = threading.Lock()


def _context() -> multiprocessing.context.ForkServerContext:
    with _context_lock:
        context = multiprocessing.get_context("forkserver")
        # Imported once by the fork server, before its first start. A child runs the main script again
        # (multiprocessing's way), which for `wuye` imports bot.cli.main: preloaded, that is nearly free.
        context.set_forkserver_preload(["bot.documents.revenue_files", "bot.cli.main"])
        return context


def read_in_child(
    data: bytes, filename: str | None, limits: Limits = Limits(), reader: Reader | None = None
) -> Outcome:
    """Read `data` in a child of its own, within `limits`; blocks (call it from a thread). `reader`: a
    module-level function instead of bot.documents.revenue_files.read_grid (the tests' misbehaving ones)."""
    if len(data) > MAX_FILE_BYTES:
        size, limit = len(data) // 2**20, MAX_FILE_BYTES // 2**20
        return Outcome(
            SheetRead(problems=(FileProblem("too_large", params={"size": size, "limit": limit}),)), None
        )
    context = _context()
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_child, args=(theirs, filename, limits, reader), name="wuye-sheet", daemon=True
    )
    began = time.monotonic()
    process.start()
    theirs.close()
    try:
        ours.send_bytes(data)
        if not ours.poll(limits.wall_seconds):
            log.warning("reading %r took over %.0f s; stopped", filename, limits.wall_seconds)
            return Outcome(TOO_COMPLEX, None)
        read, cpu, peak = ours.recv()
        return Outcome(read, Usage(cpu, peak, time.monotonic() - began))
    except (EOFError, OSError) as exc:  # it died: out of memory, or of CPU past the hard limit
        log.warning("reading %r ended the reader (%s, exit code %s)", filename, exc, process.exitcode)
        return Outcome(TOO_COMPLEX, None)
    finally:
        ours.close()
        if process.is_alive():
            process.kill()
        process.join()


class SheetReader:
    """What the runtime awaits for an uploaded spreadsheet: its rows or the refusal, read in a child."""

    def __init__(
        self, limits: Limits = Limits(), parallel: int = PARALLEL, reader: Reader | None = None
    ) -> None:
        self.limits, self.reader = limits, reader
        # Threads that only wait for a child each; uploads beyond `parallel` queue here, holding nothing.
        self._waiters = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="wuye-sheet")

    async def read(self, data: bytes, filename: str | None) -> SheetRead:
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            self._waiters, read_in_child, data, filename, self.limits, self.reader
        )
        if outcome.usage is not None:
            log.debug(
                "read %r: %.2f s of CPU, %.1f MB, %.2f s",
                filename,
                outcome.usage.cpu_seconds,
                outcome.usage.peak_bytes / 2**20,
                outcome.usage.wall_seconds,
            )
        return outcome.read
