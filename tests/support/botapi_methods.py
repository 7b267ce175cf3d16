"""Bot API method implementations for the stand-in server: ``METHODS[lowercase] = (name, function)``.

Each function takes ``(server, bot_state, params)`` and returns the ``result`` or raises ``APIError``.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.support.botapi_models import APIError, BotState, SentRecord, StoredFile, bad_request, now
from tests.support.botapi_text import parse_text
from tests.support.botapi_wire import Upload

if TYPE_CHECKING:
    from tests.support.botapi import StandInBotAPI

Params = dict[str, Any]
METHODS: dict[str, tuple[str, Callable[..., Any]]] = {}
# Methods that count against flood limits (rate_limit) and are refused for blocked chats.
SEND_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendSticker",
        "sendVoice",
        "sendVideo",
        "sendAudio",
        "sendAnimation",
        "sendLocation",
        "sendContact",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    )
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def method(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        METHODS[name.lower()] = (name, function)
        return function

    return register


# ---- bot, webhook, commands ----------------------------------------------------------------------
@method("getMe")
def get_me(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    return {
        **bot.user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
@method("close")
def close(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    return True


@method("getUpdates")
async def get_updates(server: StandInBotAPI, bot: BotState, p: Params) -> list[dict[str, Any]]:
    """Long polling: confirm by offset, wait up to ``timeout`` for updates, newest poll wins (409)."""
    _no_webhook(bot)
    offset, limit = int(p.get("offset") or 0), min(max(int(p.get("limit") or 100), 1), 100)
    if "allowed_updates" in p:
        bot.allowed_updates = list(p["allowed_updates"] or [])
    if offset < 0:
        bot.updates = bot.updates[offset:]
    elif offset:
        bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
    bot.poll_seq += 1
    mine = bot.poll_seq
    bot.notify()  # an older long poll of this bot is now terminated with 409
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(float(p.get("timeout") or 0), 0)
    while True:
        bot.updates = [u for u in bot.updates if bot.allows(u)]
        if bot.updates or server._closing or loop.time() >= deadline:
            return bot.updates[:limit]
        wake = bot.wake
        try:
            await asyncio.wait_for(wake.wait(), deadline - loop.time())
        except TimeoutError:
            pass
        if bot.poll_seq != mine:
            raise APIError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        _no_webhook(bot)


def _no_webhook(bot: BotState) -> None:
    if bot.webhook:
        raise APIError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )


@method("setWebhook")
def set_webhook(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    url = p.get("url") or ""
    if p.get("drop_pending_updates"):
        bot.updates.clear()
    if not url:
        bot.webhook = None
        return True
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if "allowed_updates" in p:
        bot.allowed_updates = list(p["allowed_updates"] or [])
    bot.webhook = {
        "url": url,
        "secret_token": p.get("secret_token"),
        "max_connections": int(p.get("max_connections") or 40),
        "ip_address": p.get("ip_address") or "127.0.0.1",
        "has_custom_certificate": "certificate" in p,
    }
    bot.notify()
    return True


@method("deleteWebhook")
def delete_webhook(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    bot.webhook = None
    if p.get("drop_pending_updates"):
        bot.updates.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook:
        info.update(
            url=bot.webhook["url"],
            has_custom_certificate=bot.webhook["has_custom_certificate"],
            max_connections=bot.webhook["max_connections"],
            ip_address=bot.webhook["ip_address"],
        )
        if bot.allowed_updates:
            info["allowed_updates"] = bot.allowed_updates
    return info


def _commands_key(p: Params) -> tuple[str, str]:
    return json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True), p.get("language_code") or ""


@method("setMyCommands")
def set_my_commands(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    for command in commands:
        if not _COMMAND_RE.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request(
                "command description is empty"
                if not command.get("description")
                else "BOT_COMMAND_DESCRIPTION_INVALID"
            )
    bot.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("getMyCommands")
def get_my_commands(server: StandInBotAPI, bot: BotState, p: Params) -> list[dict[str, Any]]:
    return bot.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
def delete_my_commands(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    bot.commands.pop(_commands_key(p), None)
    return True


@method("setChatMenuButton")
def set_chat_menu_button(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    """The bot's menu button, for one private chat or (no chat_id) everyone's default."""
    button = p.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        if not str(button.get("text", "")):
            raise bad_request("menu button text is empty")
        _web_app(button.get("web_app"), "menu button")
    chat_id = 0
    if p.get("chat_id") not in (None, ""):
        chat = server.world.resolve_chat(p.get("chat_id"))
        if chat["type"] != "private":
            raise bad_request("chat not found")  # menu buttons are set for private chats only
        chat_id = int(chat["id"])
    bot.menu_buttons[chat_id] = dict(button)
    return True


@method("getChatMenuButton")
def get_chat_menu_button(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    chat_id = int(p.get("chat_id") or 0)
    return bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(0) or {"type": "commands"}


# ---- chats and files -----------------------------------------------------------------------------
@method("getChat")
def get_chat(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    chat = server.world.resolve_chat(p.get("chat_id"))
    gifts = {
        k: chat["type"] == "private"
        for k in (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        )
    }
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@method("sendChatAction")
def send_chat_action(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    chat = server.world.resolve_chat(p.get("chat_id"))
    if p.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    server.world.check_can_send(chat)
    return True


@method("getFile")
def get_file(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    stored = server.world.files.get(str(p.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": p["file_id"],
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


# ---- sending -------------------------------------------------------------------------------------
def _web_app(value: Any, where: str) -> None:
    """A Web App's address, as Telegram checks it: an object with an https URL."""
    url = value.get("url") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url:
        raise bad_request(f"can't parse {where}: web_app url is empty")
    if not url.startswith("https://"):
        raise bad_request(f"{where} Web App URL '{url}' is invalid: Only HTTPS links are allowed")


def _markup(
    p: Params, chat: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Validate reply_markup; return (as given, what the Message carries: inline keyboards only). A Web
    App button is Telegram's only in private chats (BUTTON_TYPE_INVALID elsewhere), and https only."""
    given = p.get("reply_markup")
    if given is None:
        return None, None
    if not isinstance(given, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = given.get("inline_keyboard")
    if rows is None:
        if not any(key in given for key in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return given, None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not str(button.get("text", "")):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if sum(key in button for key in _BUTTON_ACTIONS) != 1:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if "web_app" in button:
                if chat is not None and chat.get("type") != "private":
                    raise bad_request("BUTTON_TYPE_INVALID")
                _web_app(button["web_app"], "inline keyboard button")
    return given, {"inline_keyboard": rows} if rows else None


def _formatted(p: Params, key: str, entities_key: str, limit: int, *, required: bool) -> dict[str, Any]:
    raw = p.get(key)
    if raw is None or raw == "":
        if required:
            raise bad_request("message text is empty")
        return {}
    try:
        text, entities = parse_text(str(raw), p.get("parse_mode"), p.get(entities_key))
    except ValueError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    if not text:
        if required:
            raise bad_request("message text is empty")
        return {}
    if len(text) > limit:
        raise bad_request("message is too long" if key == "text" else "message caption is too long")
    return {key: text, entities_key: entities} if entities else {key: text}


def _target_chat(server: StandInBotAPI, p: Params) -> dict[str, Any]:
    chat = server.world.resolve_chat(p.get("chat_id"))
    server.world.check_can_send(chat)
    return chat


def _reply_to(bot: BotState, chat_id: int, p: Params) -> dict[str, Any]:
    parameters = p.get("reply_parameters") or {}
    message_id = parameters.get("message_id") or p.get("reply_to_message_id")
    if not message_id:
        return {}
    original = bot.messages.get((int(parameters.get("chat_id") or chat_id), int(message_id)))
    if original is None:
        if parameters.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}


def deliver(
    server: StandInBotAPI,
    bot: BotState,
    method_name: str,
    chat: dict[str, Any],
    content: dict[str, Any],
    p: Params,
) -> dict[str, Any]:
    """Create, store and record a message sent by ``bot``; returns the Message dict for the client."""
    given, inline = _markup(p, chat)
    message = {
        "message_id": bot.next_message_id(chat["id"]),
        "from": bot.user(),
        "chat": dict(chat),
        "date": now(),
        **_reply_to(bot, chat["id"], p),
        **content,
    }
    if inline:
        message["reply_markup"] = inline
    bot.messages[(chat["id"], message["message_id"])] = message
    record = SentRecord(bot.token, message, given, method_name, len(server._records) + 1, time.monotonic())
    bot.records[(chat["id"], message["message_id"])] = record
    server._record_message(record)
    return message


@method("sendMessage")
def send_message(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    if p.get("chat_id") in (None, ""):
        raise bad_request("chat_id is empty")
    content = _formatted(p, "text", "entities", 4096, required=True)
    chat = _target_chat(server, p)
    if isinstance(p.get("link_preview_options"), dict):
        content["link_preview_options"] = p["link_preview_options"]
    return deliver(server, bot, "sendMessage", chat, content, p)


def _input_file(server: StandInBotAPI, value: Any, kind: str, *, required_name: str) -> StoredFile:
    if isinstance(value, Upload):
        mime = mimetypes.guess_type(value.filename or "")[0] or value.content_type
        if kind == "photo" and not value.data:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if kind == "photo":
            return server.world.store_file(value.data, kind)
        return server.world.store_file(value.data, kind, file_name=value.filename, mime_type=mime)
    if isinstance(value, str) and value:
        if value in server.world.files:
            return server.world.files[value]
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return server.world.store_file(
                b"downloaded:" + value.encode(),
                kind,
                file_name=name,
                mime_type=mimetypes.guess_type(value)[0],
            )
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {required_name} in the request")


def _file_content(server: StandInBotAPI, value: Any, kind: str) -> dict[str, Any]:
    stored = _input_file(server, value, kind, required_name=kind)
    return {kind: stored.photo_sizes() if kind == "photo" else stored.describe()}


@method("sendPhoto")
def send_photo(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    chat = _target_chat(server, p)
    content = {
        **_file_content(server, p.get("photo"), "photo"),
        **_formatted(p, "caption", "caption_entities", 1024, required=False),
    }
    return deliver(server, bot, "sendPhoto", chat, content, p)


@method("sendDocument")
def send_document(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    chat = _target_chat(server, p)
    content = {
        **_file_content(server, p.get("document"), "document"),
        **_formatted(p, "caption", "caption_entities", 1024, required=False),
    }
    return deliver(server, bot, "sendDocument", chat, content, p)


@method("sendMediaGroup")
def send_media_group(server: StandInBotAPI, bot: BotState, p: Params) -> list[dict[str, Any]]:
    chat = _target_chat(server, p)
    media = p.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media items: must be between 2 and 10")
    group_id = str(secrets.randbits(62))
    contents = []
    for item in media:
        kind = item.get("type")
        if kind not in ("photo", "document", "video", "audio"):
            raise bad_request("wrong media type in the media group")
        caption = _formatted(
            {**item, "caption": item.get("caption")}, "caption", "caption_entities", 1024, required=False
        )
        media_content = _file_content(server, item.get("media"), kind)
        contents.append({"media_group_id": group_id, **media_content, **caption})
    return [
        deliver(server, bot, "sendMediaGroup", chat, content, {**p, "reply_markup": None})
        for content in contents
    ]


# ---- editing -------------------------------------------------------------------------------------
def _own_message(bot: BotState, p: Params, action: str) -> SentRecord:
    if p.get("inline_message_id"):
        raise bad_request(f"message to {action} not found")
    try:
        key = (int(p["chat_id"]), int(p["message_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request(f"message to {action} not found") from exc
    record = bot.records.get(key)
    if record is None and key in bot.messages and action == "edit":
        raise bad_request("message can't be edited")
    if record is None or record.deleted:
        raise bad_request(f"message to {action} not found")
    return record


def _apply_edit(
    server: StandInBotAPI,
    record: SentRecord,
    method_name: str,
    changes: dict[str, Any],
    removed: tuple[str, ...],
    given: dict[str, Any] | None,
    inline: dict[str, Any] | None,
) -> dict[str, Any]:
    message = record.message
    before = {key: message.get(key) for key in (*changes, *removed, "reply_markup")}
    after = {**{key: None for key in removed}, **changes, "reply_markup": inline}
    if all(before.get(key) == value for key, value in after.items()):
        raise bad_request(_NOT_MODIFIED)
    for key in (*removed, "reply_markup"):
        message.pop(key, None)
    message.update({key: value for key, value in after.items() if value is not None})
    message["edit_date"] = max(now(), message["date"])
    record.given_markup = given
    record.edits.append(
        {
            "method": method_name,
            "date": message["edit_date"],
            "before": before,
            **changes,
            "reply_markup": given,
        }
    )
    server.stats.edits[record.chat_id] += 1
    return message


@method("editMessageText")
def edit_message_text(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    content = _formatted(p, "text", "entities", 4096, required=True)
    record = _own_message(bot, p, "edit")
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    given, inline = _markup(p, record.message["chat"])
    return _apply_edit(server, record, "editMessageText", content, ("entities",), given, inline)


@method("editMessageCaption")
def edit_message_caption(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    content = _formatted(p, "caption", "caption_entities", 1024, required=False)
    record = _own_message(bot, p, "edit")
    if "text" in record.message:
        raise bad_request("there is no caption in the message to edit")
    given, inline = _markup(p, record.message["chat"])
    return _apply_edit(
        server, record, "editMessageCaption", content, ("caption", "caption_entities"), given, inline
    )


@method("editMessageReplyMarkup")
def edit_message_reply_markup(server: StandInBotAPI, bot: BotState, p: Params) -> dict[str, Any]:
    record = _own_message(bot, p, "edit")
    given, inline = _markup(p, record.message["chat"])
    return _apply_edit(server, record, "editMessageReplyMarkup", {}, (), given, inline)


@method("deleteMessage")
def delete_message(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    try:
        key = (int(p["chat_id"]), int(p["message_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("message to delete not found") from exc
    record = bot.records.get(key)
    if record is not None and not record.deleted:
        record.deleted = True
    elif record is None and key in bot.messages:
        pass
    else:
        raise bad_request("message to delete not found")
    del bot.messages[key]
    server._touch()
    return True


@method("answerCallbackQuery")
def answer_callback_query(server: StandInBotAPI, bot: BotState, p: Params) -> bool:
    query_id = str(p.get("callback_query_id") or "")
    if query_id not in bot.callbacks or bot.callbacks[query_id] is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(str(p.get("text") or "")) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    bot.callbacks[query_id] = dict(p)
    return True
