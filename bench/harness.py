"""What the benchmarks share: the stand-in Bot API, wuye and bare echo bots on either framework and door.

The stand-in server lives with the tests (tests/support/botapi.py); the benchmarks run from a clone, so
they import it from there. Nothing here is mocked: wuye runs exactly as `wuye run` does (the same
Settings, runtime, front end, outbox and webhook server), pointed at the stand-in's loopback URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.serve import _front_end, make_runtime  # noqa: E402
from bot.setup_file import read_setup  # noqa: E402
from bot.webhook import WebhookServer  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from tests.support.botapi import StandInBotAPI  # noqa: E402
from tests.support.echo_bots import AiogramEchoBot, PTBEchoBot  # noqa: E402

SETUP = ROOT / "examples" / "setup.yaml"
SECRET = "bench-secret-0123456789"

FRAMEWORKS = ("ptb", "aiogram")
DOORS = ("polling", "webhook")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
           for r in cells]
    return "\n".join([out[0], line, *out[1:]])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    """A bot under test: how to feed it one update (push for polling, POST for webhook) and stop it."""

    server: StandInBotAPI
    door: str
    stop: Callable[[], Awaitable[None]]
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def feed(self, update: dict[str, Any]) -> None:
        if self.door == "polling":
            self.server.push_raw(update)
            return
        task = asyncio.create_task(self.server.post_webhook(update))
        self.background.add(task)
        task.add_done_callback(self.background.discard)


async def start_wuye(server: StandInBotAPI, framework: str, door: str, workdir: Path) -> Running:
    """wuye on a fresh SQLite file loaded with the example setup, as `wuye run` starts it."""
    url = f"sqlite:///{workdir / 'wuye.db'}"
    port = free_port()
    settings = Settings(
        database_url=url,
        bot_token=server.token,
        api_url=server.url,
        framework="aiogram" if framework == "aiogram" else "ptb",
        webhook_url=f"http://127.0.0.1:{port}/tg" if door == "webhook" else None,
        webhook_secret=SECRET if door == "webhook" else None,
        listen=f"127.0.0.1:{port}",
    )
    runtime = make_runtime(settings)
    apply_setup(runtime.ctx, read_setup(SETUP))
    front = _front_end(settings, runtime)
    front.poll_timeout = 1
    hook: WebhookServer | None = None
    if door == "webhook":
        hook = WebhookServer(front.feed_raw, SECRET, "/tg", runtime.engine, "127.0.0.1", port)
        await hook.start()
    await front.start(webhook_url=settings.webhook_url, secret=settings.webhook_secret)

    async def stop() -> None:
        await front.stop()
        if hook is not None:
            await hook.stop()
        if runtime.engine is not None:
            runtime.engine.dispose()

    return Running(server, door, stop)


async def start_echo(server: StandInBotAPI, framework: str, door: str) -> Running:
    """A bare echo bot of the same framework, by the same door (webhook: the same aiohttp server class)."""
    if door == "polling":
        bot: Any = PTBEchoBot(server.url, server.token, poll_timeout=1, concurrent_updates=True) \
            if framework == "ptb" else AiogramEchoBot(server.url, server.token, poll_timeout=1)
        await bot.start()
        return Running(server, door, bot.stop)
    port = free_port()
    if framework == "ptb":
        from telegram import Update
        from telegram.ext import ApplicationBuilder, MessageHandler, filters

        app = (ApplicationBuilder().token(server.token).base_url(f"{server.url}/bot")
               .base_file_url(f"{server.url}/file/bot").concurrent_updates(True).updater(None).build())

        async def echo(update: Update, _: Any) -> None:
            message = update.effective_message
            if message is not None and message.text is not None:
                await message.get_bot().send_message(message.chat_id, message.text)

        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        await app.start()

        async def feed(data: dict[str, Any]) -> None:
            update = Update.de_json(data, app.bot)
            if update is not None:
                await app.process_update(update)

        async def stop_app() -> None:
            await app.stop()
            await app.shutdown()

        await app.bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)
    else:
        from aiogram import Bot, Dispatcher, F
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer
        from aiogram.types import Message

        abot = Bot(server.token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
        dispatcher = Dispatcher()

        async def aecho(message: Message) -> None:
            if message.text is not None:
                await message.answer(message.text)

        dispatcher.message.register(aecho, F.text)

        async def feed(data: dict[str, Any]) -> None:
            await dispatcher.feed_raw_update(abot, data)

        async def stop_app() -> None:
            await abot.session.close()

        await abot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)
    from sqlalchemy import create_engine

    hook = WebhookServer(feed, SECRET, "/tg", create_engine("sqlite://"), "127.0.0.1", port)
    await hook.start()

    async def stop() -> None:
        await hook.stop()
        await stop_app()

    return Running(server, door, stop)


@contextlib.asynccontextmanager
async def stand_in() -> Any:
    async with StandInBotAPI() as server:
        yield server


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="wuye-bench-")
