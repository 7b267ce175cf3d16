"""python-telegram-bot front end: Telegram updates in, the core's outputs out. Thin on purpose."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.delivery.sending import DeliveryError, Failure
from bot.telegram.incoming import callback_incoming, membership_incoming, message_incoming
from bot.telegram.menu import MENU_LANGUAGES, chat_menu_button, menu, menu_button
from bot.telegram.ptb_request import AiohttpRequest, never_sent
from bot.telegram.runtime import Runtime, perform_outputs
from bot.telegram.webhook import NotAnUpdate, check_incoming
from handlers.conversations.io import Answer, Button, Edit, Incoming, Kind, Output, Send, SetMenu

log = logging.getLogger("wuye.ptb")
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024


def _keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in rows])


def _button(b: Button) -> InlineKeyboardButton:
    if b.web_app:  # a Mini App (the core draws one for private chats only)
        return InlineKeyboardButton(b.text[:64], web_app=WebAppInfo(b.web_app))
    return InlineKeyboardButton(b.text[:64], callback_data=b.data)


def to_incoming(update: Update, bot_username: str | None, bot_id: int = 0) -> Incoming | None:
    """The core's plain input for an update, or None for what the bot ignores (edits, channels, bots)."""
    inc = _to_incoming(update, bot_username)
    return replace(inc, update_id=update.update_id, bot_id=bot_id) if inc is not None else None


def _to_incoming(update: Update, bot_username: str | None) -> Incoming | None:
    if update.callback_query is not None:
        return callback_incoming(update.callback_query)
    if update.my_chat_member is not None:
        return membership_incoming(update.my_chat_member)
    if update.message is None:
        return None  # edits, channel posts: the bot ignores them
    return message_incoming(update.message, bot_username)


class PtbFrontEnd:
    def __init__(
        self, runtime: Runtime, token: str, api_url: str | None = None, poll_timeout: int = 10
    ) -> None:
        self.runtime = runtime
        builder = (
            ApplicationBuilder()
            .token(token)
            .concurrent_updates(True)
            .request(AiohttpRequest())  # bot/telegram/ptb_request.py: httpx cost three times the CPU
            .get_updates_request(AiohttpRequest(slots=1))
        )
        if api_url:
            base = api_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        self.application: Application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.poll_timeout = poll_timeout
        self.username: str | None = None

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        inc = to_incoming(update, self.username, self.application.bot.id)
        if inc is None:
            log.debug("ignored update %s", update.update_id)
            return
        if inc.kind is Kind.DOCUMENT and inc.file_id:
            inc = replace(inc, fetch=self._fetcher(inc.file_id))
        await self.runtime.handle(inc, self.perform)

    def _fetcher(self, file_id: str) -> Callable[[], bytes]:
        """Download a document when the core asks for it (from its worker thread, on this loop)."""
        loop = asyncio.get_running_loop()

        async def download() -> bytes:
            file = await self.application.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        def fetch() -> bytes:
            if threading.current_thread() is threading.main_thread() and loop.is_running():
                raise RuntimeError("fetch() must be called off the event loop")
            return asyncio.run_coroutine_threadsafe(download(), loop).result(timeout=120)

        return fetch

    async def perform(self, outputs: list[Output]) -> None:
        await perform_outputs(
            outputs,
            deliver=self.deliver,
            answer=self._answer,
            set_menu=self.set_chat_menu,
            pace=self.runtime.limiter,
            refused=(TelegramError,),
        )

    async def _answer(self, answer: Answer) -> None:
        await self.application.bot.answer_callback_query(
            answer.callback_id, answer.text[:200] or None, show_alert=answer.alert
        )

    async def _edit(self, edit: Edit) -> None:
        try:
            await self.application.bot.edit_message_text(
                edit.text[:TEXT_LIMIT],
                chat_id=edit.chat_id,
                message_id=edit.message_id,
                reply_markup=_keyboard(edit.buttons),
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def deliver(self, part: Send | Edit) -> int | None:
        """The outbox's way out: Telegram's refusals become DeliveryError kinds it understands."""
        try:
            if isinstance(part, Edit):
                await self._edit(part)
                return part.message_id
            return await self.send(part)
        except Forbidden as exc:
            raise DeliveryError(Failure.BLOCKED, str(exc)) from None
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            raise DeliveryError(Failure.RETRY_AFTER, str(exc), retry_after=seconds) from None
        except BadRequest as exc:
            raise DeliveryError(Failure.BAD_REQUEST, str(exc)) from None
        except TimedOut as exc:
            if never_sent(exc):
                raise DeliveryError(Failure.TRANSIENT, str(exc)) from None
            raise DeliveryError(Failure.UNCERTAIN, f"timed out, may have been delivered: {exc}") from None
        except (NetworkError, TelegramError) as exc:
            raise DeliveryError(Failure.TRANSIENT, str(exc)) from None

    async def send(self, message: Send) -> int:
        bot = self.application.bot
        picture = message.photo or message.image  # a Telegram file id, or a picture drawn here
        if picture is not None:
            sent = await bot.send_photo(
                message.chat_id,
                picture,
                caption=message.text[:CAPTION_LIMIT] or None,
                reply_markup=_keyboard(message.buttons),
            )
        elif message.document is not None:
            sent = await bot.send_document(
                message.chat_id,
                message.document,
                filename=message.filename,
                caption=message.text[:CAPTION_LIMIT] or None,
            )
        else:
            sent = await bot.send_message(
                message.chat_id, message.text[:TEXT_LIMIT], reply_markup=_keyboard(message.buttons)
            )
        return sent.message_id

    async def set_chat_menu(self, output: SetMenu) -> None:
        """One private chat's own menu (the person's roles, in their language)."""
        commands = [BotCommand(c, d[:256]) for c, d in output.commands]
        await self.application.bot.set_my_commands(commands, scope=BotCommandScopeChat(output.chat_id))
        button = chat_menu_button(self.runtime.ctx.web_url, output.web_label)
        if button is not None:
            text, url = button
            await self.application.bot.set_chat_menu_button(
                chat_id=output.chat_id, menu_button=MenuButtonWebApp(text, WebAppInfo(url))
            )

    async def set_menus(self) -> None:
        bot = self.application.bot
        for code, lang in MENU_LANGUAGES.items():
            commands = [BotCommand(c, d) for c, d in menu(self.runtime.translators(lang))]
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)
        button = menu_button(self.runtime.ctx.web_url, self.runtime.translators)
        if button is not None:
            text, url = button
            await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text, WebAppInfo(url)))

    async def start(self, webhook_url: str | None = None, secret: str | None = None) -> None:
        """Connect (checks the token), set the menus, take updates by polling or by webhook, and
        start the outbox and the ladder."""
        try:
            await self.application.initialize()
        except Exception:
            # A rejected token fails initialize(); shutdown() would then do nothing and leak the client.
            await self.application.bot.shutdown()
            raise
        self.username = self.application.bot.username
        await self.set_menus()
        await self.application.start()
        if webhook_url:
            await self.application.bot.set_webhook(
                webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                poll_interval=0.0, timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        self.runtime.start_outbox(self.deliver)
        self.runtime.start_ladder()

    async def feed_raw(self, data: dict[str, Any]) -> None:
        """An update that came by webhook, handled like one from polling; NotAnUpdate (answered 400)
        when it cannot be read. python-telegram-bot reads JSON leniently (a ``"message": 5`` fails as it
        is read, a ``"text": 5`` is kept), so the update is also turned into the core's input here: what
        fails there fails before anything is handled."""
        try:
            update = Update.de_json(data, self.application.bot)
            inc = to_incoming(update, self.username, self.application.bot.id)
        except Exception as exc:
            raise NotAnUpdate(f"python-telegram-bot cannot read it ({type(exc).__name__})") from None
        if inc is not None:
            check_incoming(inc)
        await self.application.process_update(update)

    async def stop(self) -> None:
        await self.runtime.stop_background()
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
