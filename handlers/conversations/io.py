"""What a front end hands the core, and what the core asks a front end to do. No framework types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NotRequired, TypedDict

from handlers.services.revenue_import import SheetRead


class Kind(StrEnum):
    COMMAND = "command"
    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"
    DOCUMENT = "document"
    OTHER = "other"  # sticker, voice, location, contact, ...
    MEMBERSHIP = "membership"  # the bot was added to (text "added") or removed from ("removed") a group


# C0 control characters and DEL, but for tab and newline: a database cannot store NUL (PostgreSQL
# refuses it), and none of them belong in a name, a unit or a description.
_CONTROLS = {c: None for c in (*range(0, 9), *range(11, 32), 127)}


def printable(text: str | None) -> str | None:
    return text.translate(_CONTROLS) if text else text


@dataclass(frozen=True)
class Incoming:
    chat_id: int
    user_id: int
    user_name: str
    kind: Kind
    language_code: str | None = None
    chat_type: str = "private"
    chat_title: str | None = None
    chat_public: bool = False  # a group anyone can find and join (it has a @username)
    text: str = ""  # message text, caption, or the command's arguments
    command: str | None = None  # without the slash and any @botname
    data: str | None = None  # callback data of a pressed button
    callback_id: str | None = None
    message_id: int | None = None  # the message the pressed button sits on
    file_id: str | None = None
    file_unique_id: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None  # a document's name as the sender's device gave it
    other: str | None = None  # what kind of unsupported content, for the answer
    update_id: int | None = None  # Telegram's id, so a redelivered update is handled once
    bot_id: int = 0
    # Downloads the document's bytes when a flow needs them (the front end's closure); None: cannot.
    fetch: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    # A spreadsheet document already downloaded and read by the runtime, off the conversation path
    # (bot/documents/sheet_worker.py): its rows or why not. None: not read (the flow fetches and reads it
    # itself).
    sheet: SheetRead | None = field(default=None, compare=False, repr=False)

    def cleaned(self) -> Incoming:
        """The same input with control characters taken out of everything a person typed or named."""
        return replace(
            self,
            text=printable(self.text) or "",
            user_name=printable(self.user_name) or "",
            chat_title=printable(self.chat_title),
            file_name=printable(self.file_name),
        )


class Sender(TypedDict):
    """The fields of `Incoming` that a front end reads once from a message and passes to whichever
    kind of `Incoming` the message turns out to be (`Incoming(kind=..., **sender)`)."""

    chat_id: int
    user_id: int
    user_name: str
    language_code: str | None
    chat_type: NotRequired[str]
    chat_title: NotRequired[str | None]
    chat_public: NotRequired[bool]


@dataclass(frozen=True)
class Button:
    text: str
    data: str
    # A Telegram Mini App's https address: the button opens it inside Telegram (private chats only;
    # `data` is then unused)
    web_app: str | None = None


@dataclass
class Send:
    chat_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: str | None = None  # a Telegram file id; the text becomes the caption
    document: bytes | None = None
    filename: str | None = None
    card_key: str | None = None  # remember the sent message id under this key, to edit it later
    image: bytes | None = None  # a picture made here (a chart); the text becomes the caption
    # A chart to draw before sending (a stats_text.RatesChart): the outbox draws it into `image` off the
    # turns' path (bot/documents/rates_chart.py), so no answer waits on the drawing
    chart: object | None = None


@dataclass
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)


@dataclass
class Answer:
    """Answer a button press (the small toast or alert in the client)."""

    callback_id: str
    text: str = ""
    alert: bool = False


@dataclass
class SetMenu:
    """Set the command menu of one private chat: (command, description) pairs, already translated, and
    the label of the chat's menu button in the same language (used when the bot's web pages open as a
    Mini App; empty leaves the bot's default button)."""

    chat_id: int
    commands: list[tuple[str, str]] = field(default_factory=list)
    web_label: str = ""


Output = Send | Edit | Answer | SetMenu
