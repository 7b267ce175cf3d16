"""A bare echo bot, as its own process: the baseline the throughput benchmark compares wuye with.

    python bench/echo_bot.py --framework ptb --door polling --api-url URL --token TOKEN
    python bench/echo_bot.py --framework aiogram --door webhook --api-url URL --token TOKEN --port 8443

It replies to every text with the same text (sendMessage), nothing else, and runs until SIGTERM. By
webhook it listens on 127.0.0.1:PORT behind the same aiohttp server class wuye uses (bot/telegram/webhook.py),
with the same secret check, so the two differ only in what they do with an update.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from bot.processes.heap import settled_heap  # noqa: E402
from bot.telegram.webhook import WebhookServer  # noqa: E402
from tests.support.echo_bots import AiogramEchoBot, PTBEchoBot  # noqa: E402

SECRET = "bench-secret-0123456789"


async def _ptb_webhook(api_url: str, token: str, port: int, concurrent: bool = False) -> tuple[Any, Any]:
    """(feed, stop) of a PTB echo bot taking updates by webhook."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(concurrent)
        .updater(None)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await context.bot.send_message(message.chat_id, message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    await app.bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)

    async def feed(data: dict[str, Any]) -> None:
        update = Update.de_json(data, app.bot)
        if update is not None:
            await app.process_update(update)

    async def stop() -> None:
        await app.stop()
        await app.shutdown()

    return feed, stop


async def _aiogram_webhook(api_url: str, token: str, port: int, concurrent: bool = False) -> tuple[Any, Any]:
    """(feed, stop) of an aiogram echo bot taking updates by webhook."""
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()

    async def echo(message: Message) -> None:
        if message.text is not None:
            await message.answer(message.text)

    dispatcher.message.register(echo, F.text)
    await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)

    async def feed(data: dict[str, Any]) -> None:
        await dispatcher.feed_raw_update(bot, data)

    async def stop() -> None:
        await bot.session.close()

    return feed, stop


def bot_arguments(description: str, argv: list[str] | None) -> argparse.Namespace:
    """The command line the benchmark starts its bare bots with (this one and bench/floor_bot.py)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=raw)
    parser.add_argument("--framework", choices=("ptb", "aiogram"), required=True)
    parser.add_argument("--door", choices=("polling", "webhook"), required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, help="the webhook's port on 127.0.0.1 (webhook door)")
    parser.add_argument(
        "--frozen-heap",
        action="store_true",
        help="freeze what start-up built out of full garbage collections, as `wuye run` does",
    )
    parser.add_argument(
        "--concurrent-updates",
        action="store_true",
        help="python-telegram-bot: handle updates concurrently (off by default in PTB)",
    )
    args = parser.parse_args(argv)
    if args.door == "webhook" and args.port is None:
        parser.error("--port is needed for the webhook door")
    args.api_url = args.api_url.rstrip("/")
    return args


async def serve(name: str, feed: Any, stop_bot: Any, port: int | None, frozen_heap: bool = False) -> None:
    """Take updates by webhook through wuye's own server class when there is a `feed`, say so, and run
    until SIGTERM or SIGINT; then stop the bot. `frozen_heap`: while running, what start-up built is out
    of the garbage collector's full passes (bot/serve.py's `settled_heap`, as in `wuye run`)."""
    hook = None
    if feed is not None:
        hook = WebhookServer(feed, SECRET, "/tg", create_engine("sqlite://"), "127.0.0.1", port or 0)
        await hook.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    print(f"{name} running", flush=True)
    with settled_heap() if frozen_heap else contextlib.nullcontext():
        await stopping.wait()
    if hook is not None:
        await hook.stop()
    await stop_bot()


async def main(argv: list[str] | None = None) -> int:
    args = bot_arguments(__doc__ or "", argv)
    feed = None
    if args.door == "polling":  # the echo bots the stand-in server's own tests use
        concurrent = args.concurrent_updates
        bot = (
            PTBEchoBot(args.api_url, args.token, poll_timeout=10, concurrent_updates=concurrent)
            if args.framework == "ptb"
            else AiogramEchoBot(args.api_url, args.token, poll_timeout=10)
        )
        await bot.start()
        stop_bot = bot.stop
    else:
        start = _ptb_webhook if args.framework == "ptb" else _aiogram_webhook
        feed, stop_bot = await start(args.api_url, args.token, args.port, args.concurrent_updates)
    await serve("echo bot", feed, stop_bot, args.port, args.frozen_heap)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
