"""One update being handled: who sent it, in which language, and what to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.conversations.audience import Audience, audience_for
from handlers.conversations.buttons import Press
from handlers.conversations.io import Answer, Button, Edit, Incoming, Output, Send
from handlers.domain.people import Person
from handlers.ports import ChatState, Translator, UnitOfWork
from handlers.services.access import Actor, load_actor
from handlers.services.context import Context
from handlers.text import Lang


@dataclass
class Turn:
    ctx: Context
    inc: Incoming
    person: Person
    lang: Lang
    tr: Translator
    state: ChatState | None = None
    out: list[Output] = field(default_factory=list)
    answered: bool = False
    translators: Callable[[Lang], Translator] | None = None
    # The conversation state is written once, when the turn ends (Core.handle, in the transaction that
    # marks the update handled), however many steps the turn moved through.
    state_changed: bool = False
    # Set by a step whose button moves a form on: the next `say` edits the pressed message instead of
    # sending a new one (one Bot API request instead of two, and no stale buttons left above).
    in_place: bool = False
    # (chat, message, ticket version) of a card this turn drew in place: written with the turn's
    # bookkeeping, so the card refresh the change queued does not draw it again
    card_shown: tuple[int, int, int] | None = None
    # The pressed button's data, decoded and checked (handlers/conversations/buttons.py); None: no press.
    press: Press | None = None

    def arg(self, index: int = 0) -> Any:
        """The pressed button's `index`-th argument (already of the right kind and range), or None."""
        return self.press.arg(index) if self.press is not None else None

    def switch_language(self, lang: Lang) -> None:
        self.lang = lang
        if self.translators is not None:
            self.tr = self.translators(lang)

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    def t(self, message: str, **params: Any) -> str:
        """Translate and fill in named placeholders."""
        text = self.tr.gettext(message)
        return text.format(**params) if params else text

    def say(self, text: str, buttons: list[list[Button]] | None = None, **kw: Any) -> None:
        if self.in_place and not kw and self.inc.message_id is not None:
            self.in_place = False
            self._continue_pressed(text, buttons or [])
            return
        self.out.append(Send(self.inc.chat_id, text, buttons or [], **kw))

    def _continue_pressed(self, text: str, buttons: list[list[Button]]) -> None:
        """The next question goes into the message whose button was pressed, under what that message
        already became in this turn (the answer just recorded): a form filled in where it stands."""
        pressed = (self.inc.chat_id, self.inc.message_id)
        for i, out in enumerate(self.out):
            if isinstance(out, Edit) and (out.chat_id, out.message_id) == pressed:
                self.out[i] = Edit(out.chat_id, out.message_id, f"{out.text}\n\n{text}", buttons)
                return
        assert self.inc.message_id is not None
        self.out.append(Edit(self.inc.chat_id, self.inc.message_id, text, buttons))

    def edit_pressed(self, text: str, buttons: list[list[Button]] | None = None) -> None:
        """Replace the message whose button was pressed (or say it anew if there is none)."""
        if self.inc.message_id is not None:
            self.out.append(Edit(self.inc.chat_id, self.inc.message_id, text, buttons or []))
        else:
            self.say(text, buttons)

    def toast(self, text: str = "", alert: bool = False) -> None:
        if self.inc.callback_id and not self.answered:
            self.out.append(Answer(self.inc.callback_id, text, alert))
            self.answered = True

    def actor(self) -> Actor:
        with self.ctx.uow() as uow:
            return load_actor(uow, self.person_id)

    def audience(self, uow: UnitOfWork) -> Audience:
        """Who reads what this turn says: the presser in a private chat, a group's unknown members."""
        return audience_for(uow, self.inc.chat_id, self.person_id)

    def enter(self, flow: str, step: str, data: dict[str, object]) -> None:
        """The chat is now at `step` of `flow`, with this draft (as the state stores it)."""
        self.state = ChatState(self.inc.chat_id, self.inc.user_id, flow, step, data)
        self.state_changed = True

    def clear_state(self) -> None:
        if self.state is None:
            return
        self.state = None
        self.state_changed = True

    def save_state(self, uow: UnitOfWork) -> None:
        """Write where the chat now is, and which card it drew in place (the caller commits)."""
        if self.card_shown is not None:
            uow.cards.shown(*self.card_shown)
            self.card_shown = None
        if not self.state_changed:
            return
        if self.state is None:
            uow.conversations.clear(self.inc.chat_id, self.inc.user_id)
        else:
            uow.conversations.put(self.state, self.ctx.clock.now())
        self.state_changed = False
