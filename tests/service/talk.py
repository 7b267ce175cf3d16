"""People talking to the conversation core on the example world, in private chats and groups, with the
real outbox delivering every owed message: and a record of everything anyone could read.

Every message drawn (a reply, an edited card, a toast, a photo, a delivered notification) is kept as
a `Seen`, with the chat it went to, so a test can ask who was shown what."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.outbox import Outbox
from bot.delivery.pace import console_pace
from handlers.conversations.buttons import unversioned
from handlers.conversations.core import Core
from handlers.conversations.io import Answer, Edit, Incoming, Kind, Output, Send
from handlers.services.context import Context
from tests.support.translations import shared_translations


@dataclass(frozen=True)
class Seen:
    chat_id: int  # a person's Telegram id (their private chat), or a group's negative id
    text: str  # the message with its buttons' labels
    photo: str | None = None
    buttons: tuple[str, ...] = ()  # the buttons' data
    message_id: int = 0
    document: bytes | None = None  # a file sent (its text is the caption)
    image: bytes | None = None  # a picture drawn and sent (a chart; its text is the caption)


@dataclass
class Talk:
    ctx: Context
    core: Core = field(init=False)
    outbox: Outbox = field(init=False)
    seen: list[Seen] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # Telegram id -> the name they chat under
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _updates: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _by_chat: dict[int, list[Seen]] = field(default_factory=dict)  # `seen`, chat by chat

    def __post_init__(self) -> None:
        translations = shared_translations()
        self.core = Core(self.ctx, translations)
        self.outbox = Outbox(self.ctx, translations.for_lang, self._deliver, limiter=console_pace())

    # ---- what was drawn -----------------------------------------------------------------------------
    def _record(self, chat_id: int, out: Send | Edit, message_id: int) -> None:
        labels = [b.text for row in out.buttons for b in row]
        data = tuple(unversioned(b.data) for row in out.buttons for b in row)
        photo = out.photo if isinstance(out, Send) else None
        document = out.document if isinstance(out, Send) else None
        image = out.image if isinstance(out, Send) else None
        self._keep(Seen(chat_id, "\n".join([out.text, *labels]), photo, data, message_id, document, image))

    def _keep(self, seen: Seen) -> None:
        self.seen.append(seen)
        self._by_chat.setdefault(seen.chat_id, []).append(seen)

    def _show(self, outputs: list[Output], presser: int) -> list[Output]:
        for out in outputs:
            if isinstance(out, Send):
                self._record(out.chat_id, out, next(self._ids))
            elif isinstance(out, Edit):
                self._record(out.chat_id, out, out.message_id)
            elif isinstance(out, Answer) and out.text:
                self._keep(Seen(presser, out.text))  # a toast is shown to whoever pressed
        return outputs

    async def _deliver(self, part: Send | Edit) -> int | None:
        message_id = part.message_id if isinstance(part, Edit) else next(self._ids)
        self._record(part.chat_id, part, message_id)
        return message_id

    def since(self, mark: int) -> list[Seen]:
        return self.seen[mark:]

    def buttons(self, chat_id: int, prefix: str = "", limit: int | None = None) -> list[tuple[str, int]]:
        """(data, message id) of every button shown in a chat, newest first (the newest `limit`)."""
        found = (
            (data, s.message_id)
            for s in reversed(self._by_chat.get(chat_id, []))
            for data in s.buttons
            if unversioned(data).startswith(prefix)
        )
        return list(itertools.islice(found, limit))

    # ---- talking ------------------------------------------------------------------------------------
    async def handle(self, user: int, kind: Kind, chat: int | None = None, **fields: Any) -> list[Output]:
        chat_id = user if chat is None else chat
        inc = Incoming(
            chat_id=chat_id,
            user_id=user,
            user_name=self.names.get(user, str(user)),
            kind=kind,
            chat_type="private" if chat_id > 0 else "supergroup",
            chat_title=None if chat_id > 0 else f"group {chat_id}",
            update_id=next(self._updates),
            **fields,
        )
        outputs = self._show(self.core.handle(inc), user)
        await self.outbox.drain()
        return outputs

    async def command(self, user: int, command: str, args: str = "", chat: int | None = None) -> list[Output]:
        return await self.handle(user, Kind.COMMAND, chat, command=command, text=args)

    async def text(self, user: int, text: str, chat: int | None = None) -> list[Output]:
        return await self.handle(user, Kind.TEXT, chat, text=text)

    async def press(self, user: int, data: str, chat: int | None = None, message_id: int = 1) -> list[Output]:
        return await self.handle(
            user, Kind.BUTTON, chat, data=data, callback_id=f"cb{next(self._ids)}", message_id=message_id
        )

    async def fill_report(self, user: int, description: str, category: str = "lift") -> None:
        """/report filled in up to its summary: the category, the description, no photo, no place,
        urgent, the name shown to the government only."""
        await self.command(user, "report")
        await self.press(user, f"r:cat:{category}")
        await self.text(user, description)
        for data in ("r:skip", "r:skip", "r:urg:urgent", "r:prv:government"):
            await self.press(user, data)

    def state(self, user: int, chat: int | None = None) -> tuple[str, str] | None:
        with self.ctx.uow() as uow:
            found = uow.conversations.get(user if chat is None else chat, user)
        return (found.flow, found.step) if found else None

    async def cancel_all(self, user: int, chat: int | None = None) -> None:
        """Leave whatever flow a press started (a group flow ends with the presser's next message)."""
        with self.ctx.uow() as uow:
            uow.conversations.clear(user if chat is None else chat, user)
            uow.commit()


def acted(outputs: list[Output]) -> bool:
    """Did the core do something for the press (a message, an edit), rather than only refuse it?"""
    return any(isinstance(out, Send | Edit) for out in outputs)
