"""Readers that misbehave, handed to bot/documents/sheet_worker.py's child instead of
bot.documents.revenue_files.read_grid: each stands for a file that got past every check and still costs too
much (module-level, so that the fork server's child can import them)."""

from __future__ import annotations

import os
import time

from bot.documents.revenue_files import read_grid
from handlers.ports import Grid

SLOW_SECONDS = 2.0


def spin(data: bytes, filename: str | None) -> Grid:
    while True:
        pass


def hoard(data: bytes, filename: str | None) -> Grid:
    kept = []
    while True:
        kept.append(bytearray(16 << 20))


def hang(data: bytes, filename: str | None) -> Grid:
    time.sleep(3600)
    return []


def die(data: bytes, filename: str | None) -> Grid:
    os._exit(3)


def fail(data: bytes, filename: str | None) -> Grid:
    raise RuntimeError("a bug in a reader")


def slow(data: bytes, filename: str | None) -> Grid:
    """The real reader, after `SLOW_SECONDS` of waiting: a big file on a busy machine."""
    time.sleep(SLOW_SECONDS)
    return read_grid(data, filename)
