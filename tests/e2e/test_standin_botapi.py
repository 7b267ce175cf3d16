"""The real python-telegram-bot and aiogram stacks work against the stand-in Bot API server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import telegram
import telegram.error as ptb_errors
from aiogram import Bot as AiogramBot
from aiogram import Dispatcher, F
from aiogram import exceptions as aiogram_errors
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand as AiogramCommand
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto
from aiogram.types import InlineKeyboardButton as AiogramButton
from aiogram.types import InlineKeyboardMarkup as AiogramKeyboard
from aiogram.types import Message as AiogramMessage
from aiogram.types import Update as AiogramUpdate
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler
from telegram.request import HTTPXRequest

from tests.support.botapi import StandInBotAPI
from tests.support.echo_bots import run_aiogram_echo, run_ptb_echo

pytestmark = pytest.mark.e2e

USER = 1001
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000030806000000b8ad3a6b0000001049444154789c63f8cfc0f01f"
    "0803000004fe01ffe5a2cfd60000000049454e44ae426082"
)
RUNNERS = pytest.mark.parametrize("run_echo", [run_ptb_echo, run_aiogram_echo], ids=["ptb", "aiogram"])


def ptb_bot(server: StandInBotAPI, token: str | None = None, **request: Any) -> telegram.Bot:
    return telegram.Bot(
        token or server.token,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=HTTPXRequest(**request),
    )


@asynccontextmanager
async def aiogram_bot(
    server: StandInBotAPI, token: str | None = None, timeout: float = 60
) -> AsyncIterator[AiogramBot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url), timeout=timeout)
    bot = AiogramBot(token or server.token, session=session)
    try:
        yield bot
    finally:
        await session.close()


@RUNNERS
async def test_an_echo_bot_answers_a_text_message_through_get_updates(botapi, run_echo):
    bot = await run_echo(botapi.url, botapi.token)
    try:
        mark = botapi.mark()
        botapi.push_message(USER, "你好, wuye! /start", first_name="Li", language_code="zh-hans")
        [reply] = await botapi.messages_since(mark, USER)
    finally:
        await bot.stop()
    assert reply["text"] == "你好, wuye! /start"
    assert reply["chat"] == {"id": USER, "type": "private", "first_name": "Li"}
    assert reply["from"]["is_bot"] is True and reply["from"]["id"] == 123456
    assert {"getMe", "getUpdates", "sendMessage"} <= {call.method for call in botapi.calls}
    assert botapi.pending_updates() == [] or run_echo is run_aiogram_echo  # PTB confirms on shutdown


async def test_both_echo_bots_run_side_by_side_on_different_tokens(botapi):
    other = "654321:AAother-bot-token"
    ptb, aio = await run_ptb_echo(botapi.url, botapi.token), await run_aiogram_echo(botapi.url, other)
    try:
        for i in range(5):
            botapi.push_message(USER, f"ptb {i}")
            botapi.push_message(USER + 1, f"aiogram {i}", token=other)
        await botapi.wait_for_messages(USER, 5)
        await botapi.wait_for_messages(USER + 1, 5)
    finally:
        await asyncio.gather(ptb.stop(), aio.stop())
    assert [m["text"] for m in botapi.sent(USER)] == [f"ptb {i}" for i in range(5)]
    assert [m["text"] for m in botapi.sent(token=other)] == [f"aiogram {i}" for i in range(5)]
    assert botapi.stats.delivered == {USER: 5, USER + 1: 5}


async def test_a_ptb_bot_sends_a_button_answers_its_callback_and_edits_the_message(botapi):
    async def start(update, context):
        button = telegram.InlineKeyboardButton("Confirm", callback_data="ok")
        keyboard = telegram.InlineKeyboardMarkup([[button]])
        await update.effective_message.reply_text("Confirm the repair?", reply_markup=keyboard)

    async def pressed(update, context):
        await update.callback_query.answer("Done")
        await update.callback_query.edit_message_text(f"Confirmed ({update.callback_query.data})")

    app = ApplicationBuilder().token(botapi.token).base_url(f"{botapi.url}/bot").build()
    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(pressed)])
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        botapi.push_command(USER, "start")
        [prompt] = await botapi.wait_for_messages(USER, 1)
        [[button]] = prompt["reply_markup"]["inline_keyboard"]
        callback = botapi.push_callback(USER, prompt, button["callback_data"])
        await botapi.wait_until(lambda: botapi.sent(USER)[0]["edits"])
        await app.updater.stop()
        await app.stop()
    [message] = botapi.sent(USER)
    assert message["text"] == "Confirmed (ok)" and "reply_markup" not in message
    assert message["edits"][0]["before"]["text"] == "Confirm the repair?"
    assert botapi.callback_answer(callback["callback_query"]["id"])["text"] == "Done"


async def test_an_aiogram_bot_sends_a_button_answers_its_callback_and_edits_the_message(botapi):
    dispatcher = Dispatcher()

    @dispatcher.message(F.text == "/start")
    async def start(message: AiogramMessage) -> None:
        keyboard = AiogramKeyboard(inline_keyboard=[[AiogramButton(text="Confirm", callback_data="ok")]])
        await message.answer("Confirm the repair?", reply_markup=keyboard)

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        assert isinstance(query.message, AiogramMessage)
        await query.answer("Done")
        await query.message.edit_text(f"Confirmed ({query.data})", reply_markup=query.message.reply_markup)

    async with aiogram_bot(botapi) as bot:
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
        botapi.push_command(USER, "start")
        [prompt] = await botapi.wait_for_messages(USER, 1)
        callback = botapi.push_callback(USER, prompt, "ok")
        await botapi.wait_until(lambda: botapi.sent(USER)[0]["edits"])
        await dispatcher.stop_polling()
        await polling
    [message] = botapi.sent(USER)
    assert message["text"] == "Confirmed (ok)"
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "Confirm", "callback_data": "ok"}]]}
    assert botapi.callback_answer(callback["callback_query"]["id"])["text"] == "Done"
    assert sorted(botapi.calls_to("getUpdates")[0].params["allowed_updates"]) == ["callback_query", "message"]


async def test_ptb_uploads_a_photo_and_downloads_files_through_get_file(botapi):
    botapi.add_user(USER, "Li")
    async with ptb_bot(botapi) as bot:
        sent = await bot.send_photo(USER, photo=PNG, caption="<b>漏水</b> photo", parse_mode="HTML")
        assert sent.caption == "漏水 photo" and sent.caption_entities[0].type == "bold"
        assert (sent.photo[-1].width, sent.photo[-1].height) == (2, 3)
        downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
        pushed = botapi.push_photo(USER, b"user photo bytes")["message"]["photo"][-1]["file_id"]
        from_user = await (await bot.get_file(pushed)).download_as_bytearray()
        again = await bot.send_photo(USER, photo=sent.photo[-1].file_id)
    assert bytes(downloaded) == PNG and bytes(from_user) == b"user photo bytes"
    upload = botapi.calls_to("sendPhoto")[0]
    assert upload.content_type == "multipart/form-data" and upload.params["photo"].data == PNG
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id


async def test_aiogram_uploads_photos_and_documents_and_downloads_them(botapi):
    botapi.add_user(USER, "Li")
    async with aiogram_bot(botapi) as bot:
        sent = await bot.send_photo(USER, BufferedInputFile(PNG, "leak.png"), caption="leak")
        document = await bot.send_document(USER, BufferedInputFile(b"a,b\n1,2\n", "fees.csv"))
        album = await bot.send_media_group(
            USER, [InputMediaPhoto(media=BufferedInputFile(PNG, f"{i}.png")) for i in range(2)]
        )
        photo_bytes = await bot.download(sent.photo[-1].file_id)
        csv_bytes = await bot.download(document.document.file_id)
    assert photo_bytes.read() == PNG and csv_bytes.read() == b"a,b\n1,2\n"
    assert document.document.file_name == "fees.csv" and document.document.mime_type == "text/csv"
    assert len({m.media_group_id for m in album}) == 1 and len(album) == 2
    assert [m["method"] for m in botapi.sent(USER)] == [
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendMediaGroup",
    ]


@RUNNERS
async def test_a_rejected_token_fails_each_framework_at_start(botapi, run_echo):
    token = "999:revoked-token"
    botapi.reject_token(token)
    expected = {
        run_ptb_echo: ptb_errors.InvalidToken,
        run_aiogram_echo: aiogram_errors.TelegramUnauthorizedError,
    }[run_echo]
    with pytest.raises(expected):
        await run_echo(botapi.url, token)
    assert [(c.method, c.status) for c in botapi.calls] == [("getMe", 401)]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limits_raise_retry_after_with_the_servers_delay(botapi):
    botapi.add_user(USER)
    botapi.rate_limit(per_second=1, retry_after=3)
    async with ptb_bot(botapi) as bot:
        await bot.send_message(USER, "first")
        with pytest.raises(ptb_errors.RetryAfter) as ptb_raised:
            await bot.send_message(USER, "second")
    async with aiogram_bot(botapi) as bot:
        with pytest.raises(aiogram_errors.TelegramRetryAfter) as aiogram_raised:
            await bot.send_message(USER, "third")
    assert ptb_raised.value.retry_after in (3, timedelta(seconds=3))
    assert aiogram_raised.value.retry_after == 3
    assert botapi.stats.rate_limited == 2 and botapi.stats.delivered[USER] == 1


async def test_a_user_who_blocked_the_bot_raises_forbidden(botapi):
    botapi.push_my_chat_member(USER, new_status="kicked", old_status="member")
    async with ptb_bot(botapi) as bot:
        with pytest.raises(ptb_errors.Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "hello")
    async with aiogram_bot(botapi) as bot:
        with pytest.raises(aiogram_errors.TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(USER, "hello")
    assert botapi.sent() == []


async def test_a_bad_gateway_surfaces_as_each_frameworks_transient_error(botapi):
    botapi.add_user(USER)
    async with ptb_bot(botapi) as bot:
        botapi.fail_next(2, 502)  # nginx's HTML page, as Telegram's front end sends
        with pytest.raises(ptb_errors.NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
    async with aiogram_bot(botapi) as bot:
        with pytest.raises(aiogram_errors.ClientDecodeError):
            await bot.send_message(USER, "x")
        botapi.fail_next(1, 502, body="json")
        with pytest.raises(aiogram_errors.TelegramServerError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
        assert (await bot.send_message(USER, "x")).message_id == 1
    assert botapi.stats.server_errors == 3 and botapi.stats.delivered[USER] == 1


async def test_a_slow_server_times_out_the_client_but_still_delivers(botapi):
    botapi.add_user(USER)
    botapi.delay(0.4, methods=["sendMessage"])
    async with ptb_bot(botapi, read_timeout=0.1) as bot:
        with pytest.raises(ptb_errors.TimedOut):
            await bot.send_message(USER, "slow ptb")
    async with aiogram_bot(botapi, timeout=0.1) as bot:
        with pytest.raises(aiogram_errors.TelegramNetworkError, match="timeout"):
            await bot.send_message(USER, "slow aiogram")
    await botapi.wait_for_messages(USER, 2)  # Telegram still delivers what the client gave up on


async def test_bad_requests_get_telegrams_descriptions(botapi):
    botapi.add_user(USER)
    async with ptb_bot(botapi) as bot:
        for text, error in [
            ("", "Message text is empty"),
            ("x" * 4097, "Message is too long"),
            ("<b>open", "Can't parse entities"),
            ("1.5", "(?i)character '.' is reserved"),
        ]:
            with pytest.raises(ptb_errors.BadRequest, match=error):
                await bot.send_message(USER, text, parse_mode="MarkdownV2" if text == "1.5" else "HTML")
        with pytest.raises(ptb_errors.BadRequest, match="Chat not found"):
            await bot.send_message(777, "who?")
        sent = await bot.send_message(USER, "same")
        with pytest.raises(ptb_errors.BadRequest, match="Message is not modified"):
            await bot.edit_message_text("same", chat_id=USER, message_id=sent.message_id)
    async with aiogram_bot(botapi) as bot:
        with pytest.raises(aiogram_errors.TelegramBadRequest, match="Bad Request: message text is empty"):
            await bot.send_message(USER, "")
        with pytest.raises(aiogram_errors.TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            markup = AiogramKeyboard(inline_keyboard=[[AiogramButton(text="x", callback_data="d" * 65)]])
            await bot.send_message(USER, "too much data", reply_markup=markup)
        assert await bot.delete_message(USER, sent.message_id)
    assert botapi.sent(USER)[0]["deleted"] is True


async def test_a_webhook_blocks_get_updates_until_deleted(botapi):
    async with ptb_bot(botapi) as bot:
        await bot.set_webhook("https://wuye.example/hook", secret_token="s3cret")
        botapi.push_message(USER, "queued")
        with pytest.raises(ptb_errors.Conflict, match="webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
    async with aiogram_bot(botapi) as bot:
        with pytest.raises(aiogram_errors.TelegramConflictError):
            await bot.get_updates()
        await bot.delete_webhook()
        [update] = await bot.get_updates()
    assert info.url == "https://wuye.example/hook" and info.pending_update_count == 1
    assert update.message.text == "queued" and botapi.webhook() is None


async def test_an_aiogram_webhook_gets_posted_updates_and_its_reply_method_is_executed(botapi):
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: AiogramMessage):
        return message.answer(f"webhook: {message.text}")  # answered in the webhook reply, no request

    async with aiogram_bot(botapi) as bot:
        app = web.Application()
        SimpleRequestHandler(dispatcher, bot, secret_token="s3cret", handle_in_background=False).register(
            app, path="/hook"
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = site._server.sockets[0].getsockname()[1]
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
            accepted = await botapi.post_webhook(botapi.make_message(USER, "hi"))
            refused = await botapi.post_webhook(botapi.make_message(USER, "forged"), secret_token="wrong")
        finally:
            await runner.cleanup()
    assert (accepted, refused) == (200, 401)
    assert [m["text"] for m in botapi.sent(USER)] == ["webhook: hi"]
    assert botapi.calls_to("sendMessage")[0].content_type == "webhook-reply"


async def test_commands_are_stored_per_scope_and_language(botapi):
    async with ptb_bot(botapi) as bot:
        await bot.set_my_commands(
            [("report", "报修")], scope=telegram.BotCommandScopeAllPrivateChats(), language_code="zh"
        )
        await bot.set_my_commands([("report", "Report a problem")])
    async with aiogram_bot(botapi) as bot:
        default = await bot.get_my_commands()
        await bot.set_my_commands([AiogramCommand(command="help", description="Help")], language_code="en")
        await bot.delete_my_commands()
    assert [(c.command, c.description) for c in default] == [("report", "Report a problem")]
    zh_private = botapi.commands({"type": "all_private_chats"}, "zh")
    assert zh_private == [{"command": "report", "description": "报修"}]
    assert botapi.commands() == [] and botapi.commands(language_code="en")[0]["command"] == "help"


async def test_long_polling_honours_offset_limit_and_wakes_on_push(botapi):
    url = f"{botapi.url}/bot{botapi.token}"
    async with aiohttp.ClientSession() as http:
        for text in ("a", "b", "c"):
            botapi.push_message(USER, text)
        async with http.post(f"{url}/GETUPDATES", json={"limit": 2}) as response:
            first = (await response.json())["result"]
        confirm = {"offset": str(first[-1]["update_id"] + 1)}  # a form, as PTB and aiogram send
        async with http.post(f"{url}/getUpdates", data=confirm) as response:
            rest = (await response.json())["result"]
        started = time.monotonic()
        poll = asyncio.create_task(
            http.get(f"{url}/getUpdates", params={"offset": rest[-1]["update_id"] + 1, "timeout": 5})
        )
        await asyncio.sleep(0.05)
        botapi.push_message(USER, "d")
        async with await poll as response:
            woke = (await response.json())["result"]
        async with http.post(f"{url}/noSuchMethod") as response:
            assert (response.status, await response.json()) == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found"},
            )
    assert [u["message"]["text"] for u in first + rest + woke] == ["a", "b", "c", "d"]
    assert time.monotonic() - started < 1


def test_every_update_the_server_builds_parses_in_both_frameworks():
    server = StandInBotAPI()
    server.add_chat(-1001, "Building 3", type="supergroup")
    prompt_chat = server.world.bot(server.token)
    prompt = {"message_id": 1, "date": 0, "chat": server.add_user(USER), "text": "prompt"}
    prompt_chat.messages[(USER, 1)] = prompt
    updates = [
        server.make_message(USER, "/start@standin123456_bot hi", language_code="zh-hans"),
        server.make_message(USER + 1, "group hello", chat_id=-1001),
        server.make_photo(USER, PNG, caption="leak"),
        server.make_document(USER, b"pdf", file_name="a.pdf"),
        server.make_sticker(USER),
        server.make_voice(USER),
        server.make_location(USER, 31.2, 121.5),
        server.make_contact(USER, "+8613800000000"),
        server.make_edited_message(USER, 2, "edited"),
        server.make_channel_post(-1002, "notice"),
        server.make_callback(USER, 1, "ok"),
        server.make_my_chat_member(USER, -1001, new_status="administrator", old_status="member"),
        server.make_my_chat_member(USER, -1001, new_status="kicked", old_status="administrator"),
    ]
    ptb = telegram.Bot(server.token)
    for update in updates:
        assert telegram.Update.de_json(update, ptb).update_id == update["update_id"]
        assert AiogramUpdate.model_validate(update).event_type == next(k for k in update if k != "update_id")
    assert server.pending_updates() == []
