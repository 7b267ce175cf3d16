"""Fixtures for end-to-end tests against the stand-in Bot API server."""

from collections.abc import AsyncIterator

import pytest

from tests.support.botapi import StandInBotAPI


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    """A started stand-in Bot API server (main bot token: ``botapi.token``)."""
    async with StandInBotAPI() as server:
        yield server
