"""python-telegram-bot's HTTP requests, a few at a time on a small pool of connections.

PTB's default pool holds up to 256 connections, and httpcore walks every one of them, asking each idle
socket whether the server closed it, whenever a request starts or ends (encode/httpcore#1035; for each
idle connection it also counts them all again). With updates handled concurrently, a busy bot opens
one connection per request in flight: at 200 chats measured with bench/throughput.py that bookkeeping
was most of the bot's CPU per update (py-spy: 47 % of both processes' samples in httpx's transport, a
third in the pool's loops). Here at most `SLOTS` requests are in flight, on as many connections; the
others wait their turn in an asyncio semaphore, outside the pool, whose queue is walked whole too (every
queued request against every connection) at each start and end.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest

# Requests in flight at once. Enough to keep the loopback stand-in busy and, at Telegram's ~0.2 s round
# trip, some 80 requests a second, more than the 30 messages a second Telegram lets a bot send in bulk.
SLOTS = 16


class BoundedRequest(HTTPXRequest):
    """HTTPXRequest with `slots` connections, and at most as many requests in its pool: the others wait
    for a slot before they enter it."""

    __slots__ = ("slots",)

    def __init__(self, slots: int = SLOTS, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=slots, **kwargs)
        self.slots = asyncio.Semaphore(slots)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self.slots:
            return await super().do_request(*args, **kwargs)
