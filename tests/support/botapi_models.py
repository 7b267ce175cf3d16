"""The stand-in Bot API's model of Telegram: bots, users, chats, files, messages, and update builders."""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.botapi_text import detect_entities

DEFAULT_TOKEN = "123456:AAHstandin-test-token_abcdefghijklmnop"
TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
# By default Telegram delivers every update type except these three (getUpdates' allowed_updates).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_FILE_PREFIX = {
    "photo": "AgACAgIAAxk",
    "document": "BQACAgIAAxk",
    "sticker": "CAACAgIAAxk",
    "voice": "AwACAgIAAxk",
    "video": "BAACAgIAAxk",
    "audio": "CQACAgIAAxk",
}
_EXTENSION = {"photo": "jpg", "sticker": "webp", "voice": "oga", "video": "mp4", "audio": "mp3"}


class APIError(Exception):
    """A Bot API error answer: HTTP status, Telegram ``description`` and optional ``parameters``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> APIError:
    return APIError(400, f"Bad Request: {description}")


def now() -> int:
    return int(time.time())


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; 320x240 when the bytes are something else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return 320, 240


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    kind: str
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def describe(self) -> dict[str, Any]:
        """The object Telegram puts in a Message for this file (PhotoSize, Document, Voice...)."""
        base: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind == "photo":
            return {**base, "width": self.width, "height": self.height}
        if self.kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": self.file_name or "\U0001f44d",
            }
        if self.kind == "voice":
            return {**base, "duration": 1, "mime_type": self.mime_type or "audio/ogg"}
        if self.file_name:
            base["file_name"] = self.file_name
        if self.mime_type:
            base["mime_type"] = self.mime_type
        return base

    def photo_sizes(self) -> list[dict[str, Any]]:
        """PhotoSize list as Telegram returns it: a thumbnail first, the original size last."""
        full = self.describe()
        scale = max(self.width, self.height) / 90
        if scale <= 1:
            return [full]
        thumb = {
            **full,
            "file_id": self.file_id + "_s",
            "file_unique_id": self.file_unique_id + "_s",
            "width": max(1, round(self.width / scale)),
            "height": max(1, round(self.height / scale)),
            "file_size": max(1, len(self.data) // 8),
        }
        return [thumb, full]


@dataclass
class SentRecord:
    """A message sent by a bot, with its latest state, edit history and the markup as given."""

    token: str
    message: dict[str, Any]
    given_markup: dict[str, Any] | None
    method: str
    seq: int
    at: float
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        return self.message["chat"]["id"]

    def view(self) -> dict[str, Any]:
        view = {**self.message, "edits": list(self.edits), "deleted": self.deleted, "method": self.method}
        if self.given_markup is not None:
            view["reply_markup"] = self.given_markup
        return view


@dataclass
class BotState:
    """Everything the server keeps per bot token."""

    token: str
    id: int
    first_name: str
    username: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    allowed_updates: list[str] | None = None
    webhook: dict[str, Any] | None = None
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int, dict[str, Any]] = field(default_factory=dict)  # chat id (0: the default)
    message_ids: dict[int, int] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    records: dict[tuple[int, int], SentRecord] = field(default_factory=dict)
    callbacks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    poll_seq: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def next_message_id(self, chat_id: int) -> int:
        self.message_ids[chat_id] = self.message_ids.get(chat_id, 0) + 1
        return self.message_ids[chat_id]

    def notify(self) -> None:
        """Wake every getUpdates long poll of this bot."""
        self.wake.set()
        self.wake = asyncio.Event()

    def allows(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATES


class World:
    """Users, chats and files known to the server (shared by all bots, like Telegram's ids)."""

    def __init__(self) -> None:
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.blocked: set[int] = set()
        self.left: set[int] = set()
        self._file_seq = itertools.count(1)

    def bot(self, token: str, *, first_name: str | None = None, username: str | None = None) -> BotState:
        if token not in self.bots:
            match = TOKEN_RE.match(token)
            if match is None:
                raise ValueError(f"malformed bot token {token!r}")
            bot_id = int(match.group(1))
            self.bots[token] = BotState(token, bot_id, "Stand-in Bot", f"standin{bot_id}_bot")
        bot = self.bots[token]
        bot.first_name, bot.username = first_name or bot.first_name, username or bot.username
        return bot

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Register (or update) a user and their private chat with the bots (chat id == user id)."""
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": is_bot, "first_name": first_name or f"User{user_id}"}
        )
        updates = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        user.update({key: value for key, value in updates.items() if value is not None})
        chat = self.chats.setdefault(user_id, {"id": user_id, "type": "private"})
        chat.update({key: user[key] for key in ("first_name", "last_name", "username") if key in user})
        return user

    def add_chat(
        self, chat_id: int, title: str | None = None, *, type: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        """Register a group (negative id), supergroup (-100...) or channel."""
        if type is None:
            type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = self.chats.setdefault(
            chat_id, {"id": chat_id, "type": type, "title": title or f"Chat {chat_id}"}
        )
        if title:
            chat["title"] = title
        if username:
            chat["username"] = username
        return chat

    def resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for known in self.chats.values():
                if known.get("username", "").lower() == chat_id[1:].lower():
                    return known
            raise bad_request("chat not found")
        chat: dict[str, Any] | None
        try:
            chat = self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def check_can_send(self, chat: dict[str, Any]) -> None:
        if chat["id"] in self.blocked:
            reason = (
                "bot was blocked by the user"
                if chat["type"] == "private"
                else "bot was kicked from the group chat"
            )
            raise APIError(403, f"Forbidden: {reason}")
        if chat["id"] in self.left:
            raise APIError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")

    def store_file(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> StoredFile:
        seq = next(self._file_seq)
        raw = seq.to_bytes(4, "big") + secrets.token_bytes(5)
        unique = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        file_id = file_id or f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxk')}{unique}{secrets.token_urlsafe(24)}"
        suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        extension = _EXTENSION.get(kind) or suffix
        folder = "photos" if kind == "photo" else f"{kind}s"
        width, height = image_size(data) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id,
            f"AQAD{unique}",
            data,
            kind,
            f"{folder}/file_{seq}.{extension}",
            file_name,
            mime_type,
            width,
            height,
        )
        self.files[file_id] = stored
        if kind == "photo" and max(width, height) > 90:
            self.files[file_id + "_s"] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)


class UpdateFactory:
    """``make_*`` build Telegram-shaped updates (consuming an update_id); ``push_*`` also queue them.

    Every builder takes ``token=`` to choose the bot (default: the server's main token).
    """

    world: World
    token: str

    def _next_update_id(self, bot: BotState) -> int:  # implemented by the server
        raise NotImplementedError

    def push_raw(self, update: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def _update(self, kind: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        bot = self.world.bot(token or self.token)
        return {"update_id": self._next_update_id(bot), kind: payload}

    def _chat_for(
        self, user_id: int, chat_id: int | None, chat_type: str | None, title: str | None
    ) -> dict[str, Any]:
        if chat_id is None or chat_id == user_id:
            return self.world.chats[user_id]
        existing = self.world.chats.get(chat_id)
        if existing is not None and chat_type in (None, existing["type"]):
            return existing
        return self.world.add_chat(chat_id, title, type=chat_type)

    def make_user_message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_type: str | None = None,
        title: str | None = None,
        is_bot: bool = False,
        reply_to: int | None = None,
        token: str | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A Message dict from a user (not queued); ``content`` holds text/photo/document/... fields."""
        sender = self.world.add_user(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
        )
        chat = self._chat_for(user_id, chat_id, chat_type, title)
        bot = self.world.bot(token or self.token)
        message = {
            "message_id": bot.next_message_id(chat["id"]),
            "from": dict(sender),
            "chat": dict(chat),
            "date": now(),
            **{k: v for k, v in content.items() if v is not None},
        }
        if reply_to is not None and (original := bot.messages.get((chat["id"], reply_to))):
            message["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_to_message"}
        bot.messages[(chat["id"], message["message_id"])] = dict(message)  # updates must not change later
        return message

    def make_message(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        token: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Options: chat_id, first_name, last_name, username, language_code, chat_type, title, is_bot,
        reply_to (message_id). ``entities=None`` detects /commands, URLs, mentions and hashtags."""
        found = detect_entities(text) if entities is None else entities
        message = self.make_user_message(user_id, text=text, entities=found or None, token=token, **options)
        return self._update("message", message, token)

    def make_command(self, user_id: int, command: str, args: str = "", **options: Any) -> dict[str, Any]:
        text = ("/" + command.lstrip("/") + (" " + args if args else "")).strip()
        return self.make_message(user_id, text, **options)

    def _file_message(
        self,
        user_id: int,
        kind: str,
        file: bytes | str,
        *,
        caption: str | None,
        file_name: str | None = None,
        mime_type: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        if isinstance(file, bytes | bytearray):
            stored = self.world.store_file(bytes(file), kind, file_name=file_name, mime_type=mime_type)
        else:
            stored = self.world.files.get(file) or self.world.store_file(
                _PNG_1PX if kind == "photo" else b"file",
                kind,
                file_name=file_name,
                mime_type=mime_type,
                file_id=file,
            )
        body: Any = stored.photo_sizes() if kind == "photo" else stored.describe()
        message = self.make_user_message(user_id, token=token, caption=caption, **{kind: body}, **options)
        return self._update("message", message, token)

    def make_photo(
        self, user_id: int, photo: bytes | str, caption: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """``photo`` is the image bytes or a file_id (unknown ids are registered with a 1x1 PNG)."""
        return self._file_message(user_id, "photo", photo, caption=caption, **options)

    def make_document(
        self,
        user_id: int,
        document: bytes | str,
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        **options: Any,
    ) -> dict:
        return self._file_message(
            user_id,
            "document",
            document,
            caption=caption,
            file_name=file_name,
            mime_type=mime_type,
            **options,
        )

    def make_voice(self, user_id: int, voice: bytes | str = b"OggS", **options: Any) -> dict[str, Any]:
        return self._file_message(user_id, "voice", voice, caption=None, mime_type="audio/ogg", **options)

    def make_sticker(
        self, user_id: int, sticker: bytes | str = b"RIFF", emoji: str = "\U0001f44d", **options: Any
    ) -> dict[str, Any]:
        return self._file_message(user_id, "sticker", sticker, caption=None, file_name=emoji, **options)

    def make_location(
        self, user_id: int, latitude: float, longitude: float, *, token: str | None = None, **options: Any
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self._update(
            "message", self.make_user_message(user_id, location=location, token=token, **options), token
        )

    def make_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str = "Contact",
        *,
        contact_user_id: int | None = None,
        token: str | None = None,
        **options: Any,
    ) -> dict:
        contact = {"phone_number": phone_number, "first_name": first_name, "user_id": contact_user_id}
        contact = {k: v for k, v in contact.items() if v is not None}
        return self._update(
            "message", self.make_user_message(user_id, contact=contact, token=token, **options), token
        )

    def make_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """An edit of an earlier user message (by message_id) in the user's chat or ``chat_id``."""
        bot = self.world.bot(token or self.token)
        original = bot.messages.get((chat_id or user_id, message_id))
        if original is None:
            raise KeyError(f"no message {message_id} in chat {chat_id or user_id}")
        edited = {key: value for key, value in original.items() if key != "entities"}
        edited.update(text=text, edit_date=now())
        if found := detect_entities(text):
            edited["entities"] = found
        bot.messages[(chat_id or user_id, message_id)] = edited
        return self._update("edited_message", dict(edited), token)

    def make_channel_post(
        self, chat_id: int, text: str, *, title: str = "Channel", token: str | None = None, **content: Any
    ) -> dict[str, Any]:
        chat = self.world.add_chat(chat_id, title, type="channel")
        bot = self.world.bot(token or self.token)
        message = {
            "message_id": bot.next_message_id(chat_id),
            "sender_chat": dict(chat),
            "chat": dict(chat),
            "date": now(),
            "text": text,
            **content,
        }
        if found := detect_entities(text):
            message["entities"] = found
        bot.messages[(chat_id, message["message_id"])] = dict(message)
        return self._update("channel_post", message, token)

    def make_callback(
        self,
        user_id: int,
        message: dict[str, Any] | int,
        data: str,
        *,
        chat_id: int | None = None,
        token: str | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """A button press on a bot message: ``message`` is a dict from ``server.sent()`` or a message_id
        (in ``chat_id``, default the user's private chat). The current state of the message is used."""
        bot = self.world.bot(token or self.token)
        if isinstance(message, dict):
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        else:
            chat_id, message_id = chat_id or user_id, message
        current = bot.messages.get((chat_id, message_id))
        if current is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        sender = self.world.add_user(user_id, first_name, language_code=language_code)
        query_id = str(secrets.randbits(63))
        bot.callbacks[query_id] = None
        callback = {
            "id": query_id,
            "from": dict(sender),
            "message": dict(current),
            "chat_instance": str(abs(hash((bot.id, chat_id))) % 10**18),
            "data": data,
        }
        return self._update("callback_query", callback, token)

    def make_my_chat_member(
        self,
        user_id: int,
        chat_id: int | None = None,
        *,
        new_status: str = "member",
        old_status: str = "left",
        title: str | None = None,
        chat_type: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The bot's membership changed: added to/removed from a group by ``user_id``, or, with no
        ``chat_id``, the user blocked ("kicked") or unblocked ("member") the bot in private."""
        bot = self.world.bot(token or self.token)
        sender = self.world.add_user(user_id)
        chat = self._chat_for(user_id, chat_id, chat_type, title)
        target = self.world.blocked if chat["type"] == "private" else self.world.left
        if new_status in ("left", "kicked"):
            target.add(chat["id"])
        else:
            target.discard(chat["id"])
        change = {
            "chat": dict(chat),
            "from": dict(sender),
            "date": now(),
            "old_chat_member": _member(bot.user(), old_status),
            "new_chat_member": _member(bot.user(), new_status),
        }
        return self._update("my_chat_member", change, token)

    def _push(self, update: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        return self.push_raw(update, token=options.get("token"))

    def push_message(self, user_id: int, text: str, **options: Any) -> dict[str, Any]:
        return self._push(self.make_message(user_id, text, **options), options)

    def push_command(self, user_id: int, command: str, args: str = "", **options: Any) -> dict[str, Any]:
        return self._push(self.make_command(user_id, command, args, **options), options)

    def push_photo(
        self, user_id: int, photo: bytes | str, caption: str | None = None, **options: Any
    ) -> dict[str, Any]:
        return self._push(self.make_photo(user_id, photo, caption, **options), options)

    def push_document(self, user_id: int, document: bytes | str, **options: Any) -> dict[str, Any]:
        return self._push(self.make_document(user_id, document, **options), options)

    def push_voice(self, user_id: int, voice: bytes | str = b"OggS", **options: Any) -> dict[str, Any]:
        return self._push(self.make_voice(user_id, voice, **options), options)

    def push_sticker(self, user_id: int, sticker: bytes | str = b"RIFF", **options: Any) -> dict[str, Any]:
        return self._push(self.make_sticker(user_id, sticker, **options), options)

    def push_location(self, user_id: int, latitude: float, longitude: float, **options: Any) -> dict:
        return self._push(self.make_location(user_id, latitude, longitude, **options), options)

    def push_contact(
        self, user_id: int, phone_number: str, first_name: str = "Contact", **options: Any
    ) -> dict[str, Any]:
        return self._push(self.make_contact(user_id, phone_number, first_name, **options), options)

    def push_edited_message(self, user_id: int, message_id: int, text: str, **options: Any) -> dict:
        return self._push(self.make_edited_message(user_id, message_id, text, **options), options)

    def push_channel_post(self, chat_id: int, text: str, **options: Any) -> dict[str, Any]:
        return self._push(self.make_channel_post(chat_id, text, **options), options)

    def push_callback(self, user_id: int, message: dict[str, Any] | int, data: str, **options: Any) -> dict:
        return self._push(self.make_callback(user_id, message, data, **options), options)

    def push_my_chat_member(self, user_id: int, chat_id: int | None = None, **options: Any) -> dict:
        return self._push(self.make_my_chat_member(user_id, chat_id, **options), options)


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_send_welcome_messages": False,
                "can_pin_messages": True,
            }
        )
    return member
