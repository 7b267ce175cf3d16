"""Bare echo bots on python-telegram-bot and aiogram, long polling a Bot API at ``base_url``.

They are the baseline for benchmarks and the smoke test of the stand-in server: each replies to every
text message with the same text via sendMessage, nothing else.

    bot = await run_ptb_echo(server.url, token)      # or run_aiogram_echo(...)
    ...
    await bot.stop()

or ``async with PTBEchoBot(url, token): ...``. ``start()`` raises the framework's own error when
the token is rejected (PTB ``InvalidToken``, aiogram ``TelegramUnauthorizedError``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message as AiogramMessage
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

__all__ = ["AiogramEchoBot", "PTBEchoBot", "run_aiogram_echo", "run_ptb_echo"]


class _EchoBot:
    async def start(self) -> Any:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


class PTBEchoBot(_EchoBot):
    """python-telegram-bot Application + Updater polling with ``poll_interval=0``.

    ``concurrent_updates`` is PTB's ApplicationBuilder option (framework default: sequential).
    """

    def __init__(
        self, base_url: str, token: str, *, poll_timeout: int = 1, concurrent_updates: bool | int = False
    ) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token
        self.poll_timeout, self.concurrent_updates = poll_timeout, concurrent_updates
        self.app: Application | None = None

    async def _echo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await context.bot.send_message(chat_id=message.chat_id, text=message.text)

    async def start(self) -> PTBEchoBot:
        app = (
            ApplicationBuilder()
            .token(self.token)
            .base_url(f"{self.base_url}/bot")
            .base_file_url(f"{self.base_url}/file/bot")
            .concurrent_updates(self.concurrent_updates)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, self._echo))
        try:
            await app.initialize()  # getMe: raises InvalidToken for a rejected token
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=self.poll_timeout)
        except BaseException:
            await self._shutdown(app)
            raise
        self.app = app
        return self

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await self._shutdown(app)

    @staticmethod
    async def _shutdown(app: Application) -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        # When initialize() failed (e.g. InvalidToken) Application.shutdown() is a no-op and would leave
        # the bot's HTTP connection pools open; Bot.shutdown() closes them.
        await app.bot.shutdown()


class AiogramEchoBot(_EchoBot):
    """aiogram Bot + Dispatcher running ``start_polling`` in a task (``handle_as_tasks`` default)."""

    def __init__(
        self, base_url: str, token: str, *, poll_timeout: int = 1, handle_as_tasks: bool = True
    ) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token
        self.poll_timeout, self.handle_as_tasks = poll_timeout, handle_as_tasks
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    async def _echo(message: AiogramMessage) -> None:
        if message.text is not None:
            await message.answer(message.text)

    async def start(self) -> AiogramEchoBot:
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        bot = Bot(self.token, session=session)
        dispatcher = Dispatcher()
        dispatcher.message.register(self._echo, F.text)
        started = asyncio.Event()

        async def on_startup() -> None:  # sync callbacks would run in a thread in aiogram
            started.set()

        dispatcher.startup.register(on_startup)
        try:
            await bot.me()  # getMe: raises TelegramUnauthorizedError for a rejected token
        except BaseException:
            await session.close()
            raise
        task = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                polling_timeout=self.poll_timeout,
                handle_as_tasks=self.handle_as_tasks,
            )
        )
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():  # polling ended before it started: surface the error
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
            await session.close()
            await task
            raise RuntimeError("aiogram polling stopped during start-up")
        self.bot, self.dispatcher, self._task = bot, dispatcher, task
        return self

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None or self.dispatcher is None or self.bot is None:
            return
        if not task.done():
            with contextlib.suppress(RuntimeError):  # "Polling is not started" if it just ended
                await self.dispatcher.stop_polling()
        try:
            await task
        finally:
            await self.bot.session.close()


async def run_ptb_echo(base_url: str, token: str, **options: Any) -> PTBEchoBot:
    """Start a PTB echo bot; ``await bot.stop()`` when done."""
    return await PTBEchoBot(base_url, token, **options).start()


async def run_aiogram_echo(base_url: str, token: str, **options: Any) -> AiogramEchoBot:
    """Start an aiogram echo bot; ``await bot.stop()`` when done."""
    return await AiogramEchoBot(base_url, token, **options).start()
