"""python-telegram-bot's HTTP requests over aiohttp, a few at a time on a small pool of connections.

PTB lets a bot choose how it talks HTTP (`telegram.request.BaseRequest`, set by `ApplicationBuilder.request`
and `.get_updates_request`); its default is httpx. Two costs of httpx made it most of a busy PTB bot's
CPU per update (bench/README.md):

- httpcore walks every connection of its pool, asking each idle socket whether the server closed it,
  whenever a request starts or ends, and for each idle one counts them all again (encode/httpcore#1035).
  With updates handled concurrently a busy bot held a connection per request in flight (up to 200).
  Bounding the requests in flight (the semaphore below) cut that, and left the rest:
- httpx builds a request, a response, headers, URL objects and a transport's stream for each call, and
  every await passes through anyio. With the same requests on aiohttp (already here for the webhook
  server, the web pages and aiogram), bench/throughput.py's floor bot by polling went from 6.0 to 1.2 ms
  of CPU per update, and wuye from 8.4 to 2.7 (the echo, on httpx: 2.6-3.0).

So the bot's requests go through one `aiohttp.ClientSession`. At most `SLOTS` requests are in flight, on
as many connections; the others wait their turn in an asyncio semaphore, where no timeout runs out on
them (a burst of notices waits, it does not fail with "pool timeout"). What PTB expects of a request is
kept: parameters sent as a urlencoded form of JSON values, or multipart with files (as HTTPXRequest sends
them, a file's name unencoded); certifi's certificates and a proxy from HTTPS_PROXY/HTTP_PROXY/NO_PROXY
(http and https proxies; aiohttp reads no socks proxy from the environment); no redirects followed; a
timeout raises `TimedOut`, any other failure to talk `NetworkError`; the status and body are returned
as they came, for PTB to read. Connecting and each read are timed as httpx times them; writing is not
(aiohttp has no such timeout), and no deadline cuts off a large upload that is making progress.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
from typing import Any

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("wuye.telegram")

# Requests in flight at once. Enough to keep the loopback stand-in busy and, at Telegram's ~0.2 s round
# trip, some 80 requests a second, more than the 30 messages a second Telegram lets a bot send in bulk.
SLOTS = 16

# PTB's own defaults (HTTPXRequest), in seconds.
READ_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0

NOT_SENT = "Timed out connecting: the request was not sent"

# What PTB passes for a timeout nobody gave (its DefaultValue, not public under that name).
DefaultValue = type(BaseRequest.DEFAULT_NONE)


@functools.cache
def _verified(cafile: str) -> ssl.SSLContext:
    """One context per certificate file for the process: reading the certificates costs some 25 ms of CPU,
    and a bot makes two requests objects (updates and the rest), again at each restart of its loop."""
    return ssl.create_default_context(cafile=cafile)


class AiohttpRequest(BaseRequest):
    """PTB's requests on aiohttp: `slots` connections, and at most as many requests on them at once."""

    __slots__ = ("_limit", "_read_timeout", "_session", "slots")

    def __init__(self, slots: int = SLOTS, read_timeout: float | None = READ_TIMEOUT) -> None:
        self._limit = slots
        self.slots = asyncio.Semaphore(slots)  # made again by initialize, on the loop that runs the bot
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self.slots = asyncio.Semaphore(self._limit)
            # As PTB's httpx client does: certifi's certificates (SSL_CERT_FILE if set), and a proxy from
            # HTTPS_PROXY / HTTP_PROXY / NO_PROXY (aiohttp reads http and https proxies, not socks).
            verify = _verified(os.environ.get("SSL_CERT_FILE") or certifi.where())
            connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit, ssl=verify)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                skip_auto_headers=("Accept",),
                trust_env=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,  # no write timeout in aiohttp: see below
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,  # no pool timeout: a request waits for its slot
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        data: Any = None
        if request_data is not None and request_data.contains_files:
            data = _multipart(request_data)
        elif request_data is not None:
            data = request_data.json_parameters or None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = CONNECT_TIMEOUT
        # Connecting (the name's lookup too) and each read are timed as httpx times them. aiohttp has no
        # timeout for writing, and a deadline for the whole exchange would cut off a large upload or
        # download that is making progress; the reply's read timeout starts once the body is sent.
        timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        async with self.slots:
            try:
                request = session.request(method, url, data=data, timeout=timeout, allow_redirects=False)
                async with request as response:
                    body = await response.read()
            except aiohttp.ConnectionTimeoutError as exc:
                raise TimedOut(NOT_SENT) from exc
            except TimeoutError as exc:  # aiohttp's read timeout is one: the request may have arrived
                raise TimedOut from exc
            except aiohttp.ClientError as exc:
                raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        # As httpx did for PTB's default request: a line per request when debugging (the token in the
        # address is redacted by bot/logs.py's filter, like every secret).
        log.debug("HTTP Request: %s %s %d", method, url, response.status)
        return response.status, body


def never_sent(exc: TimedOut) -> bool:
    """Whether a request that timed out never reached the server (no connection was made), so sending it
    again cannot send it twice; a read timeout may have been delivered."""
    return isinstance(exc.__cause__, aiohttp.ConnectionTimeoutError)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and files as HTTPXRequest sends them: each parameter a form field holding its JSON
    value, each file a part with its name, file name and type."""
    form = aiohttp.FormData(quote_fields=False)  # a file's name as it is (aiohttp would %-encode 报表.xlsx)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
