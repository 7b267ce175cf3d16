"""Fixtures for end-to-end tests against the stand-in Bot API server."""

from collections.abc import AsyncIterator

import pytest

# Both front ends imported at collection: aiogram's first import builds its pydantic models (seconds
# on a loaded machine), which must not eat into the harness's wait for `wuye run` to start.
import bot.front_aiogram  # noqa: F401
import bot.front_ptb  # noqa: F401
from tests.support.botapi import StandInBotAPI


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    """A started stand-in Bot API server (main bot token: ``botapi.token``)."""
    async with StandInBotAPI() as server:
        yield server
