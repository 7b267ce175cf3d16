"""What Telegram's objects say, read into the core's plain `Incoming`. python-telegram-bot and aiogram
both model the Bot API with its own field names (`message.chat.id`, `from_user.full_name`,
`photo[-1].file_id`, …), so one reading serves both front ends; each passes its framework's objects."""

from __future__ import annotations

from typing import Any

from handlers.conversations.io import Incoming, Kind, Sender

# A message that is none of text, photo or document: what it is, for the core's "not understood" answer.
OTHER_KINDS = (
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "location",
    "contact",
    "poll",
    "venue",
    "dice",
)


def message_incoming(message: Any, bot_username: str | None) -> Incoming | None:
    """A message from a person; None for one from a bot, or a command meant for another bot."""
    user = message.from_user
    if user is None or user.is_bot:
        return None
    base = Sender(
        chat_id=message.chat.id,
        user_id=user.id,
        user_name=user.full_name,
        language_code=user.language_code,
        chat_type=message.chat.type,
        chat_title=message.chat.title,
        chat_public=bool(message.chat.username) and message.chat.type != "private",
    )
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            command, _, target = head.partition("@")
            if target and bot_username and target.lower() != bot_username.lower():
                return None  # a command for another bot in a group
            return Incoming(kind=Kind.COMMAND, command=command.lower(), text=args.strip(), **base)
        return Incoming(kind=Kind.TEXT, text=text, **base)
    if message.photo:
        size = message.photo[-1]
        return Incoming(
            kind=Kind.PHOTO,
            text=message.caption or "",
            file_id=size.file_id,
            file_unique_id=size.file_unique_id,
            file_size=size.file_size,
            **base,
        )
    if message.document is not None:
        doc = message.document
        return Incoming(
            kind=Kind.DOCUMENT,
            text=message.caption or "",
            file_id=doc.file_id,
            file_unique_id=doc.file_unique_id,
            file_size=doc.file_size,
            mime_type=doc.mime_type,
            file_name=doc.file_name,
            **base,
        )
    other = next((k for k in OTHER_KINDS if getattr(message, k, None)), "unknown")
    return Incoming(kind=Kind.OTHER, other=other, **base)


def callback_incoming(query: Any) -> Incoming:
    """A button pressed. Its message may be one the bot can no longer read: that still names its chat."""
    user = query.from_user
    message = query.message
    chat_id = message.chat.id if message is not None else user.id
    return Incoming(
        chat_id=chat_id,
        user_id=user.id,
        user_name=user.full_name,
        kind=Kind.BUTTON,
        language_code=user.language_code,
        chat_type=message.chat.type if message else "private",
        chat_public=bool(message and message.chat.type != "private" and message.chat.username),
        data=query.data or "",
        callback_id=query.id,
        message_id=message.message_id if message is not None else None,
    )


def membership_incoming(member: Any) -> Incoming | None:
    """The bot added to or removed from a group; None for a private chat (blocked or unblocked: the
    outbox learns that on its own)."""
    if member.chat.type not in ("group", "supergroup"):
        return None
    status = member.new_chat_member.status
    return Incoming(
        chat_id=member.chat.id,
        user_id=member.from_user.id,
        user_name=member.from_user.full_name,
        kind=Kind.MEMBERSHIP,
        chat_type=member.chat.type,
        chat_title=member.chat.title,
        chat_public=bool(member.chat.username),
        text="removed" if status in ("left", "kicked") else "added",
        language_code=member.from_user.language_code,
    )
