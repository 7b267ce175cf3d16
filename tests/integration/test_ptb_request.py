"""python-telegram-bot's requests on aiohttp, a few at a time (bot/telegram/ptb_request.py): beyond the
slots requests wait for one and every one arrives; parameters and files arrive as PTB's own httpx request
sends them; a server too slow raises PTB's TimedOut and one that is not there its NetworkError."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.ptb_request import SLOTS, AiohttpRequest, never_sent
from bot.telegram.runtime import Runtime

TOKEN = "123456:TEST"


@dataclass
class SlowApi:
    url: str
    delay: float = 0.05
    in_flight: int = 0
    most: int = 0
    answered: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)  # what each request carried, as read


@pytest.fixture
async def slow_api() -> AsyncIterator[SlowApi]:
    """A server that takes `delay` to answer anything, counting the requests it holds at once and
    keeping what each carried (form fields; a file part as its name, type and bytes)."""
    api = SlowApi("")

    async def answer(request: web.Request) -> web.Response:
        api.in_flight += 1
        api.most = max(api.most, api.in_flight)
        try:
            body: dict[str, Any] = {"content-type": request.content_type}
            if request.content_type == "multipart/form-data":
                async for part in await request.multipart():
                    data = await part.read()  # type: ignore[union-attr]
                    name = part.name or ""
                    if part.filename:  # type: ignore[union-attr]
                        # the header as sent: a name %-encoded on the way would be decoded by .filename
                        raw = part.headers.get("Content-Disposition")
                        body[name] = (raw, part.headers.get("Content-Type"), bytes(data))
                    else:
                        body[name] = data.decode()
            else:
                body.update(await request.post())
            api.bodies.append(body)
            await asyncio.sleep(api.delay)
        finally:
            api.in_flight -= 1
        api.answered += 1
        if request.path.endswith("/getMe"):
            me = {"id": 123456, "is_bot": True, "first_name": "wuye", "username": "wuye_bot"}
            return web.json_response({"ok": True, "result": me})
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


async def test_requests_beyond_the_slots_wait_for_one_and_all_arrive(slow_api: SlowApi) -> None:
    async with AiohttpRequest(slots=2) as request:
        calls = (request.do_request(f"{slow_api.url}/m{i}", "POST") for i in range(12))
        answers = await asyncio.gather(*calls)
    assert [status for status, _ in answers] == [200] * 12
    assert slow_api.answered == 12
    assert slow_api.most == 2


async def test_a_burst_waits_for_its_slots_however_long_without_a_timeout_running(slow_api: SlowApi) -> None:
    """httpx's pool gave up after a second of waiting ("pool timeout", the notice not sent). Here a
    request's timeouts begin when it has its slot: each of these may take 0.2 s to connect (to aiohttp
    that includes waiting for a free connection) and 0.5 s to read, and the 40th waits 2 s (20 rounds of
    a 0.1 s server on two slots) before it is sent."""
    slow_api.delay = 0.1
    limits = {"connect_timeout": 0.2, "write_timeout": 0.2, "read_timeout": 0.5}
    async with AiohttpRequest(slots=2) as request:
        answers = await asyncio.gather(*(request.post(f"{slow_api.url}/m", **limits) for _ in range(40)))
    assert answers == [True] * 40


async def test_the_ptb_front_end_sends_at_most_its_slots_at_once(slow_api: SlowApi) -> None:
    front = PtbFrontEnd(cast(Runtime, None), TOKEN, slow_api.url)
    bot = front.application.bot
    assert isinstance(bot.request, AiohttpRequest)
    assert isinstance(front.application.updater.bot._request[0], AiohttpRequest)  # type: ignore[union-attr]
    await bot.request.initialize()
    try:
        calls = (bot.request.post(f"{slow_api.url}/bot{TOKEN}/sendMessage") for _ in range(3 * SLOTS))
        await asyncio.gather(*calls)
    finally:
        await bot.request.shutdown()
    assert slow_api.answered == 3 * SLOTS
    assert slow_api.most == SLOTS


async def _send_a_message_and_a_photo(url: str, request: Any) -> None:
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request)
    async with bot:  # getMe
        await bot.send_message(42, "报修：电梯 ✓", disable_notification=True)
        photo = InputFile(b"\x89PNG fake bytes", filename="电梯 维修后.png")
        await bot.send_photo(42, photo, caption="维修后 & after")


async def test_parameters_and_files_arrive_as_ptbs_own_request_sends_them(slow_api: SlowApi) -> None:
    slow_api.delay = 0
    await _send_a_message_and_a_photo(slow_api.url, HTTPXRequest())
    theirs = slow_api.bodies[:]
    slow_api.bodies.clear()
    await _send_a_message_and_a_photo(slow_api.url, AiohttpRequest())
    ours = slow_api.bodies
    # getMe, sendMessage, sendPhoto each way
    assert len(ours) == len(theirs) == 3
    for mine, httpx_s in zip(ours, theirs, strict=True):
        assert mine == httpx_s
    message, photo = ours[1], ours[2]
    assert message["content-type"] == "application/x-www-form-urlencoded"
    assert message["text"] == "报修：电梯 ✓" and json.loads(message["disable_notification"]) is True
    assert photo["content-type"] == "multipart/form-data"
    assert photo["caption"] == "维修后 & after"
    assert photo["photo"] == (
        'form-data; name="photo"; filename="电梯 维修后.png"',
        "image/png",
        b"\x89PNG fake bytes",
    )


async def test_a_proxy_named_in_the_environment_carries_the_requests(
    slow_api: SlowApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As PTB's httpx client did: a bot that reaches Telegram through HTTPS_PROXY / HTTP_PROXY keeps
    reaching it. The stand-in is the proxy here, answering for a host that does not exist."""
    monkeypatch.setenv("HTTP_PROXY", slow_api.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with AiohttpRequest() as request:
        assert await request.post("http://api.telegram.invalid/bot123456:TEST/sendMessage") is True
    assert slow_api.answered == 1


async def test_a_server_too_slow_raises_timed_out_that_may_have_been_delivered(slow_api: SlowApi) -> None:
    slow_api.delay = 0.4
    async with AiohttpRequest() as request:
        with pytest.raises(TimedOut) as raised:
            await request.post(f"{slow_api.url}/m", read_timeout=0.1)
    assert not never_sent(raised.value)  # the outbox counts it uncertain: not sent again


async def test_a_server_that_takes_no_connection_raises_timed_out_never_sent() -> None:
    """A listening socket whose queue is full drops further connections unanswered (Linux), so connecting
    times out: nothing reached the server, and the outbox may send it again."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        address = server.getsockname()
        waiting = [socket.socket() for _ in range(3)]  # they fill its queue, never accepted
        for connection in waiting:
            connection.setblocking(False)
            connection.connect_ex(address)
        try:
            async with AiohttpRequest() as request:
                with pytest.raises(TimedOut) as raised:
                    await request.post(f"http://127.0.0.1:{address[1]}/m", connect_timeout=0.2)
        finally:
            for connection in waiting:
                connection.close()
    assert never_sent(raised.value)


async def test_no_server_raises_network_error() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/m")
    assert not isinstance(raised.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in str(raised.value)


async def test_a_request_before_initialize_or_after_shutdown_says_so() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/m", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/m", "POST")
