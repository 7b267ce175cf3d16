"""python-telegram-bot's requests a few at a time (bot/telegram/ptb_request.py): against a slow Bot API,
requests beyond the slots wait for one outside httpx's pool (whose bookkeeping walks every connection and
every queued request at each start and end) instead of opening a connection each, and every one arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from aiohttp import web

from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.ptb_request import SLOTS, BoundedRequest
from bot.telegram.runtime import Runtime


@dataclass
class SlowApi:
    url: str
    in_flight: int = 0
    most: int = 0
    pool: Any = None  # the httpcore pool of the client under test, when set
    most_in_pool: int = 0  # the most requests (sent or queued) that pool held at once
    answered: int = 0


@pytest.fixture
async def slow_api() -> AsyncIterator[SlowApi]:
    """A server that takes 50 ms to answer anything, counting the requests it holds at once."""
    api = SlowApi("")

    async def answer(request: web.Request) -> web.Response:
        api.in_flight += 1
        api.most = max(api.most, api.in_flight)
        if api.pool is not None:
            api.most_in_pool = max(api.most_in_pool, len(api.pool._requests))
        try:
            await asyncio.sleep(0.05)
        finally:
            api.in_flight -= 1
        api.answered += 1
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()


def _pool(request: BoundedRequest) -> Any:
    """httpx's connection pool under the request (private: this test watches what enters it)."""
    return request._client._transport._pool  # type: ignore[attr-defined]


async def test_requests_beyond_the_slots_wait_outside_the_pool_and_all_arrive(slow_api: SlowApi) -> None:
    request = BoundedRequest(slots=2)
    await request.initialize()
    slow_api.pool = _pool(request)
    try:
        calls = (request.do_request(f"{slow_api.url}/m{i}", "POST") for i in range(12))
        answers = await asyncio.gather(*calls)
    finally:
        await request.shutdown()
    assert [status for status, _ in answers] == [200] * 12
    assert slow_api.answered == 12
    assert slow_api.most == 2
    assert slow_api.most_in_pool == 2


async def test_the_ptb_front_end_sends_at_most_its_slots_at_once(slow_api: SlowApi) -> None:
    front = PtbFrontEnd(cast(Runtime, None), "123456:TEST", slow_api.url)
    request = front.application.bot.request
    assert isinstance(request, BoundedRequest)
    await request.initialize()
    slow_api.pool = _pool(request)
    try:
        calls = (request.post(f"{slow_api.url}/bot123456:TEST/sendMessage") for _ in range(3 * SLOTS))
        await asyncio.gather(*calls)
    finally:
        await request.shutdown()
    assert slow_api.answered == 3 * SLOTS
    assert slow_api.most == SLOTS
    assert slow_api.most_in_pool == SLOTS
