"""aiogram front end: the same core as the python-telegram-bot one, behaving identically. Thin on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
)
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError

from bot.delivery.sending import DeliveryError, Failure
from bot.telegram.incoming import callback_incoming, membership_incoming, message_incoming
from bot.telegram.menu import MENU_LANGUAGES, chat_menu_button, menu, menu_button
from bot.telegram.runtime import Runtime, perform_outputs
from bot.telegram.webhook import NotAnUpdate
from handlers.conversations.io import Answer, Button, Edit, Incoming, Kind, Output, Send, SetMenu

log = logging.getLogger("wuye.aiogram")
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024

# aiogram reads every reply as `Response[method.__returning__]`, and pydantic keeps such a generic class
# only while something else refers to it (a weak cache): after a garbage collection the next request
# builds the class, its schema and validator anew, which cost wuye 7% of its CPU under load. Holding the
# ones this front end uses keeps them built. (`Response[t]` calls `Response.__class_getitem__(t)`, spelled
# out here because a type checker reads `Response[t]` as a type, and `t` is known only at run time.)
_HELD_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    methods.AnswerCallbackQuery,
    methods.EditMessageText,
    methods.SendMessage,
    methods.SetMyCommands,
    methods.GetUpdates,
    methods.GetFile,
    methods.GetMe,
    methods.SetWebhook,
)
_RESPONSE_TYPES = tuple(Response.__class_getitem__(m.__returning__) for m in _HELD_METHODS)


def _keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[_button(b) for b in row] for row in rows])


def _button(b: Button) -> InlineKeyboardButton:
    if b.web_app:  # a Mini App (the core draws one for private chats only)
        return InlineKeyboardButton(text=b.text[:64], web_app=WebAppInfo(url=b.web_app))
    return InlineKeyboardButton(text=b.text[:64], callback_data=b.data)


def _first_problem(exc: Exception) -> str:
    """Where pydantic found the first problem, without the value (it may be what someone wrote)."""
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"[:200]
    return type(exc).__name__


class AiogramFrontEnd:
    def __init__(
        self, runtime: Runtime, token: str, api_url: str | None = None, poll_timeout: int = 10
    ) -> None:
        self.runtime = runtime
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
            if api_url
            else AiohttpSession()
        )
        self.bot = Bot(token, session=session)
        self.dispatcher = Dispatcher()
        self.dispatcher.message.register(self._on_message)
        self.dispatcher.callback_query.register(self._on_callback)
        self.dispatcher.my_chat_member.register(self._on_membership)
        self.poll_timeout = poll_timeout
        self.username: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[Any]] = set()  # updates in hand (aiogram runs each as a task)

    async def _handle(self, inc: Incoming) -> None:
        """The runtime handles `inc`; meanwhile `stop` knows to wait for it."""
        task = asyncio.current_task()
        assert task is not None  # aiogram runs every handler in a task
        self._handling.add(task)
        try:
            await self.runtime.handle(inc, self.perform)
        finally:
            self._handling.discard(task)

    async def _on_message(self, message: Message, event_update: Update) -> None:
        inc = message_incoming(message, self.username)
        if inc is not None:
            if inc.kind is Kind.DOCUMENT and inc.file_id:
                inc = replace(inc, fetch=self._fetcher(inc.file_id))
            await self._handle(replace(inc, update_id=event_update.update_id, bot_id=self.bot.id))

    def _fetcher(self, file_id: str) -> Callable[[], bytes]:
        """Download a document when the core asks for it (from its worker thread, on this loop)."""
        loop = asyncio.get_running_loop()

        async def download() -> bytes:
            file = await self.bot.get_file(file_id)
            data = await self.bot.download_file(file.file_path or "")
            return data.read() if data is not None else b""

        def fetch() -> bytes:
            if threading.current_thread() is threading.main_thread() and loop.is_running():
                raise RuntimeError("fetch() must be called off the event loop")
            return asyncio.run_coroutine_threadsafe(download(), loop).result(timeout=120)

        return fetch

    async def _on_membership(self, event: ChatMemberUpdated, event_update: Update) -> None:
        inc = membership_incoming(event)
        if inc is not None:
            await self._handle(replace(inc, update_id=event_update.update_id, bot_id=self.bot.id))

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        inc = replace(callback_incoming(query), update_id=event_update.update_id, bot_id=self.bot.id)
        await self._handle(inc)

    async def perform(self, outputs: list[Output]) -> None:
        await perform_outputs(
            outputs,
            deliver=self.deliver,
            answer=self._answer,
            set_menu=self.set_chat_menu,
            pace=self.runtime.limiter,
            refused=(TelegramAPIError,),
        )

    async def _answer(self, answer: Answer) -> None:
        await self.bot.answer_callback_query(
            answer.callback_id, text=answer.text[:200] or None, show_alert=answer.alert
        )

    async def deliver(self, part: Send | Edit) -> int | None:
        """Send or edit one message; Telegram's refusals become DeliveryError kinds the outbox knows."""
        try:
            if isinstance(part, Edit):
                try:
                    await self.bot.edit_message_text(
                        text=part.text[:TEXT_LIMIT],
                        chat_id=part.chat_id,
                        message_id=part.message_id,
                        reply_markup=_keyboard(part.buttons),
                    )
                except TelegramBadRequest as exc:
                    if "not modified" not in str(exc).lower():
                        raise
                return part.message_id
            return await self._send(part)
        except TelegramForbiddenError as exc:
            raise DeliveryError(Failure.BLOCKED, str(exc)) from None
        except TelegramRetryAfter as exc:
            raise DeliveryError(Failure.RETRY_AFTER, str(exc), retry_after=float(exc.retry_after)) from None
        except TelegramBadRequest as exc:
            raise DeliveryError(Failure.BAD_REQUEST, str(exc)) from None
        except TelegramNetworkError as exc:
            if "timeout" in str(exc).lower():  # the request went out; it may have been delivered
                raise DeliveryError(Failure.UNCERTAIN, f"timed out, may have been delivered: {exc}") from None
            raise DeliveryError(Failure.TRANSIENT, str(exc)) from None
        except Exception as exc:  # 5xx, or a proxy's HTML error page aiogram cannot decode
            raise DeliveryError(Failure.TRANSIENT, f"{type(exc).__name__}: {exc}") from None

    async def _send(self, message: Send) -> int:
        markup = _keyboard(message.buttons)
        if message.photo:
            sent = await self.bot.send_photo(
                message.chat_id,
                message.photo,
                caption=message.text[:CAPTION_LIMIT] or None,
                reply_markup=markup,
            )
        elif message.image is not None:
            sent = await self.bot.send_photo(
                message.chat_id,
                BufferedInputFile(message.image, filename="chart.png"),
                caption=message.text[:CAPTION_LIMIT] or None,
                reply_markup=markup,
            )
        elif message.document is not None:
            file = BufferedInputFile(message.document, filename=message.filename or "file")
            sent = await self.bot.send_document(
                message.chat_id, file, caption=message.text[:CAPTION_LIMIT] or None
            )
        else:
            sent = await self.bot.send_message(
                message.chat_id, message.text[:TEXT_LIMIT], reply_markup=markup
            )
        return sent.message_id

    async def set_chat_menu(self, output: SetMenu) -> None:
        """One private chat's own menu (the person's roles, in their language)."""
        commands = [BotCommand(command=c, description=d[:256]) for c, d in output.commands]
        await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=output.chat_id))
        button = chat_menu_button(self.runtime.ctx.web_url, output.web_label)
        if button is not None:
            text, url = button
            await self.bot.set_chat_menu_button(
                chat_id=output.chat_id, menu_button=MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
            )

    async def set_menus(self) -> None:
        for code, lang in MENU_LANGUAGES.items():
            commands = [BotCommand(command=c, description=d) for c, d in menu(self.runtime.translators(lang))]
            await self.bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
        button = menu_button(self.runtime.ctx.web_url, self.runtime.translators)
        if button is not None:
            text, url = button
            await self.bot.set_chat_menu_button(
                menu_button=MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
            )

    async def feed_raw(self, data: dict[str, Any]) -> None:
        """An update that came by webhook, handled like one from polling; NotAnUpdate (answered 400)
        when aiogram's model of an update does not take it."""
        try:
            update = Update.model_validate(data, context={"bot": self.bot})
        except Exception as exc:  # pydantic's ValidationError, or a validator's own error
            raise NotAnUpdate(f"aiogram cannot read it ({_first_problem(exc)})") from None
        try:
            update.event_type  # noqa: B018 (raises for an update of no kind aiogram knows)
        except UpdateTypeLookupError:
            # Nothing to handle (Telegram sends only the kinds asked for); aiogram would warn with the
            # whole update. The 200 keeps Telegram from sending it again.
            log.debug("ignored update %s of a kind aiogram does not know", update.update_id)
            return
        await self.dispatcher.feed_update(self.bot, update)

    async def start(self, webhook_url: str | None = None, secret: str | None = None) -> None:
        """Connect (checks the token), set the menus, take updates by polling or by webhook, and
        start the outbox and the ladder."""
        try:
            me = await self.bot.me()
        except BaseException:
            await self.bot.session.close()
            raise
        self.username = me.username
        await self.set_menus()
        if webhook_url:
            used = self.dispatcher.resolve_used_update_types()
            await self.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=used)
            self.runtime.start_outbox(self.deliver)
            self.runtime.start_ladder()
            return
        started = asyncio.Event()

        async def on_startup() -> None:
            started.set()

        self.dispatcher.startup.register(on_startup)
        self._task = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                polling_timeout=self.poll_timeout,
                handle_as_tasks=True,
                close_bot_session=False,
            ),
            name="wuye-aiogram-polling",
        )
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            waiter.cancel()
            await self.bot.session.close()
            await self._task
            raise RuntimeError("aiogram polling stopped during start-up")
        self.runtime.start_outbox(self.deliver)
        self.runtime.start_ladder()

    async def stop(self, patience: float = 30.0) -> None:
        """Stop taking updates, finish those in hand (up to `patience` s; python-telegram-bot's stop
        waits for them too), then close the connection to Telegram."""
        await self.runtime.stop_background()
        task, self._task = self._task, None
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=patience)
        await self.bot.session.close()
