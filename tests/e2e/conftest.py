"""Fixtures for end-to-end tests against the stand-in Bot API server.

Most scenarios here run through every way in: both frameworks, by long polling and by webhook. The
daily loop (`-m "not slow"`) drives each scenario through one of them, chosen by the scenario's name,
so that between them the scenarios still use every way in; the rest are marked slow and the whole suite
runs them (see `pytest_collection_modifyitems`)."""

import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

# Both front ends imported at collection: aiogram's first import builds its pydantic models (seconds
# on a loaded machine), which must not eat into the harness's wait for `wuye run` to start.
import bot.telegram.front_aiogram  # noqa: F401
import bot.telegram.front_ptb  # noqa: F401
from tests.support.botapi import StandInBotAPI

# The parameters that say which way in a test takes (a Door, a framework's name, a front end's class, an
# echo bot's runner).
WAYS_IN = ("door", "front", "wuye", "bot", "run_echo")


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    """A started stand-in Bot API server (main bot token: ``botapi.token``)."""
    async with StandInBotAPI() as server:
        yield server


def way_in(value: Any) -> str:
    """A stable name for a way in (the same in every worker process)."""
    return str(getattr(value, "id", None) or getattr(value, "__name__", None) or value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow every way in of an end-to-end scenario but one: the one at the scenario name's CRC32,
    counted among the ways in it takes."""
    scenarios: dict[tuple[str, str], list[tuple[str, pytest.Item]]] = {}
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        name = next((n for n in WAYS_IN if n in params), None)
        if name is None or not item.nodeid.startswith("tests/e2e/"):
            continue
        scenario = item.nodeid.split("[")[0]
        scenarios.setdefault((scenario, name), []).append((way_in(params[name]), item))
    for (scenario, _), found in scenarios.items():
        ways = sorted({way for way, _ in found})
        daily = ways[zlib.crc32(scenario.encode()) % len(ways)]
        for way, item in found:
            if way != daily:
                item.add_marker(pytest.mark.slow)
