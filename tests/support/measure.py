"""Run a function in a child process of its own and measure what it spent there: CPU (getrusage) and
peak resident memory above what the child held before the call. A child that has not answered after
`timeout` seconds is killed, so a reader whose guard was taken out fails a test instead of hanging it."""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

CEILING = 2 << 30  # of address space for the child: a guard taken out must fail the test, not the machine


@dataclass(frozen=True)
class Measured:
    value: Any
    cpu_seconds: float
    peak_bytes: int


def _resident() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _run(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    with open("/proc/self/statm", encoding="ascii") as statm:
        space = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (space + CEILING, resource.RLIM_INFINITY))  # spare the machine
    before, resident = resource.getrusage(resource.RUSAGE_SELF), _resident()
    try:
        value = fn(*args)
    except MemoryError:
        value = MemoryError(f"over {CEILING // 2**20} MB")
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    conn.send((value, cpu, max(0, after.ru_maxrss * 1024 - resident)))


def measured(fn: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Measured:
    """`fn(*args)` (a module-level function, returning something that pickles) in a child."""
    context = multiprocessing.get_context("forkserver")
    ours, theirs = context.Pipe()
    process = context.Process(target=_run, args=(theirs, fn, args), daemon=True)
    process.start()
    theirs.close()
    try:
        if not ours.poll(timeout):
            raise TimeoutError(f"{fn.__name__} gave no answer in {timeout:.0f} s")
        value, cpu, peak = ours.recv()
    except EOFError:
        raise RuntimeError(f"{fn.__name__} died (exit code {process.exitcode})") from None
    finally:
        ours.close()
        if process.is_alive():
            process.kill()
        process.join()
    return Measured(value, cpu, peak)
