"""Photos and files at the report's photo step and the resolve step; line staff handing a ticket to a
colleague. The conversation core on the example world, on SQLite and PostgreSQL, with the real outbox
delivering into recorded chats."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.outbox import Outbox
from bot.delivery.pace import console_pace
from bot.documents.setup_file import read_setup
from bot.holidays import ChineseCalendarSource
from handlers.clock import FixedClock
from handlers.conversations.buttons import unversioned
from handlers.conversations.core import Core
from handlers.conversations.files import MAX_FILE_BYTES
from handlers.conversations.io import Answer, Button, Edit, Incoming, Kind, Output, Send
from handlers.rules.lifecycle import Event, Status
from handlers.services import tickets
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from storage.uow import SqlUnitOfWork
from tests.support.translations import shared_translations

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
OWNER_EN = 200003  # at 前埔 (qianpu), reads English
OWNER_HAIBIN, MANAGER, LI, ZHAO, CHEN = 200001, 100001, 100002, 100003, 100004  # at 海滨花园 (haibin)
QIANPU_REPAIR = 100022  # staff of another estate and company
MB = 1024 * 1024
TOO_LARGE = "That file is too large ({size} MB): I can take at most {limit} MB. Please send a smaller photo."
NOT_TAKEN = (
    "I cannot take “{name}” here: only photos are kept with a report, no documents, programs or archives. "
    "Please send a photo."
)


@dataclass
class Shown:
    id: int
    text: str
    buttons: list[list[Button]]


@dataclass
class World:
    """The example world: the core, the outbox, and what each private chat shows."""

    ctx: Context
    core: Core
    outbox: Outbox | None = None
    chats: dict[int, list[Shown]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    updates: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    answers: list[Answer] = field(default_factory=list)

    def show(self, outputs: list[Output]) -> list[Send]:
        sent = []
        for out in outputs:
            if isinstance(out, Send):
                self.chats.setdefault(out.chat_id, []).append(Shown(next(self.ids), out.text, out.buttons))
                sent.append(out)
            elif isinstance(out, Edit):
                for shown in self.chats.get(out.chat_id, []):
                    if shown.id == out.message_id:
                        shown.text, shown.buttons = out.text, out.buttons
            elif isinstance(out, Answer):
                self.answers.append(out)
        return sent

    async def deliver(self, part: Send | Edit) -> int | None:
        """The outbox's way out: a notification lands in the recipient's chat."""
        if isinstance(part, Edit):
            self.show([part])
            return part.message_id
        self.show([part])
        return self.chats[part.chat_id][-1].id

    async def handle(self, user: int, kind: Kind, **fields: Any) -> list[Send]:
        inc = Incoming(chat_id=user, user_id=user, user_name=str(user), kind=kind, **fields)
        sent = self.show(self.core.handle(inc))
        assert self.outbox is not None
        await self.outbox.drain()
        return sent

    async def text(self, user: int, text: str) -> list[Send]:
        return await self.handle(user, Kind.TEXT, text=text)

    async def command(self, user: int, command: str) -> list[Send]:
        return await self.handle(user, Kind.COMMAND, command=command)

    async def press(self, user: int, data_prefix: str) -> list[Send]:
        """Press the newest button in the user's chat whose data starts with ``data_prefix``."""
        for shown in reversed(self.chats.get(user, [])):
            for button in (b for row in shown.buttons for b in row):
                if unversioned(button.data).startswith(data_prefix):
                    return await self.handle(
                        user,
                        Kind.BUTTON,
                        data=button.data,
                        callback_id=f"cb{next(self.ids)}",
                        message_id=shown.id,
                    )
        raise AssertionError(f"no button {data_prefix!r} in chat {user}: {self.buttons(user)}")

    def buttons(self, user: int) -> list[str]:
        return [data for shown in self.chats.get(user, []) for data in self.buttons_of(shown)]

    @staticmethod
    def buttons_of(shown: Shown) -> list[str]:
        return [unversioned(b.data) for row in shown.buttons for b in row]

    def last(self, user: int) -> Shown:
        return self.chats[user][-1]

    def state(self, user: int) -> tuple[str, str, dict[str, object]] | None:
        with self.ctx.uow() as uow:
            found = uow.conversations.get(user, user)
        return (found.flow, found.step, found.data) if found else None

    def person_id(self, telegram_id: int) -> int:
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None and person.id is not None
            return person.id

    def display_name(self, telegram_id: int) -> str:
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None
            return person.display_name

    def translator(self, telegram_id: int) -> Any:
        with self.ctx.uow() as uow:
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None
        return shared_translations().for_lang(person.language)  # type: ignore[arg-type]

    def says(self, telegram_id: int, message: str, **params: Any) -> str:
        """``message`` as the core says it to this person, in their language."""
        return self.translator(telegram_id).gettext(message).format(**params)

    @staticmethod
    def estate_ids(uow: Any) -> list[int]:
        return [e.id for e in (uow.estates.by_key(k) for k in ("haibin", "shangdu", "qianpu")) if e]

    def ticket(self) -> Any:
        with self.ctx.uow() as uow:
            found = uow.tickets.of_estates(self.estate_ids(uow), frozenset(Status))
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
async def desk(engine: Engine) -> World:
    from handlers.services.setup import apply_setup

    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine), clock=FixedClock(MONDAY), holidays=ChineseCalendarSource()
    )
    apply_setup(ctx, read_setup(EXAMPLE))
    translations = shared_translations()
    w = World(ctx, Core(ctx, translations))
    w.outbox = Outbox(ctx, translations.for_lang, w.deliver, limiter=console_pace())  # no Telegram here
    return w


async def to_photo_step(w: World, owner: int = OWNER_EN) -> None:
    await w.command(owner, "report")
    await w.press(owner, "r:cat:lift")
    await w.text(owner, "Lift B in building 3 is stuck on floor 8 since last night.")
    assert w.state(owner)[:2] == ("report", "photos")  # type: ignore[index]


async def submit_report(w: World, owner: int = OWNER_HAIBIN) -> None:
    await to_photo_step(w, owner)
    for prefix in ("r:skip", "r:skip", "r:urg:ordinary", "r:prv:government", "r:ok"):
        await w.press(owner, prefix)


def photos_in_draft(w: World) -> list[Any]:
    state = w.state(OWNER_EN)
    assert state is not None and state[:2] == ("report", "photos")
    return list(state[2].get("photos") or [])  # type: ignore[call-overload]


# ---- the report's photo step ---------------------------------------------------------------------
async def test_a_photo_within_the_limit_is_taken_at_the_photo_step(desk: World) -> None:
    await to_photo_step(desk)
    sent = await desk.handle(OWNER_EN, Kind.PHOTO, file_id="ph-1", file_unique_id="u1", file_size=2 * MB)
    assert photos_in_draft(desk) == [["ph-1", "u1"]]
    assert "Photo 1 of at most 5 received." in sent[0].text


async def test_an_oversized_photo_is_refused_with_its_size_and_the_limit(desk: World) -> None:
    await to_photo_step(desk)
    sent = await desk.handle(
        OWNER_EN, Kind.PHOTO, file_id="ph-big", file_unique_id="ub", file_size=MAX_FILE_BYTES + 5 * MB
    )
    assert photos_in_draft(desk) == []
    assert len(sent) == 1
    assert "too large (25.0 MB)" in sent[0].text and "at most 20 MB" in sent[0].text
    # the way on stays
    assert [unversioned(b.data) for row in sent[0].buttons for b in row] == ["r:skip", "r:done"]


async def test_an_oversized_document_is_refused_for_its_size_before_its_type(desk: World) -> None:
    await to_photo_step(desk)
    sent = await desk.handle(
        OWNER_EN,
        Kind.DOCUMENT,
        file_id="doc-big",
        file_size=30 * MB,
        mime_type="image/jpeg",
        file_name="IMG_0001.JPG",
    )
    assert photos_in_draft(desk) == []
    assert "too large (30.0 MB)" in sent[0].text


async def test_a_program_sent_as_a_document_is_refused_by_name(desk: World) -> None:
    await to_photo_step(desk)
    sent = await desk.handle(
        OWNER_EN,
        Kind.DOCUMENT,
        file_id="doc-exe",
        file_size=300_000,
        mime_type="application/x-msdownload",
        file_name="setup.exe",
    )
    assert photos_in_draft(desk) == []
    assert "I cannot take “setup.exe” here: only photos" in sent[0].text


async def test_a_picture_sent_as_a_file_is_asked_for_as_a_photo(desk: World) -> None:
    await to_photo_step(desk)
    sent = await desk.handle(
        OWNER_EN,
        Kind.DOCUMENT,
        file_id="doc-img",
        file_size=3 * MB,
        mime_type="image/png",
        file_name="lift.png",
    )
    assert photos_in_draft(desk) == []
    assert "Please send it as a photo" in sent[0].text
    # and then the same picture as a photo is taken
    await desk.handle(OWNER_EN, Kind.PHOTO, file_id="ph-2", file_unique_id="u2", file_size=3 * MB)
    assert photos_in_draft(desk) == [["ph-2", "u2"]]


async def test_file_answers_are_in_the_persons_language(desk: World) -> None:
    owner_hant = 200002
    await desk.command(owner_hant, "report")
    await desk.press(owner_hant, "r:cat:lift")
    await desk.text(owner_hant, "3號樓B梯從昨晚起停在8樓不動，按鈕沒反應。")
    sent = await desk.handle(owner_hant, Kind.PHOTO, file_id="x", file_unique_id="x", file_size=40 * MB)
    hant = shared_translations().for_lang("zh_Hant")
    assert sent[0].text == hant.gettext(TOO_LARGE).format(size="40.0", limit=20)
    skip = hant.gettext("Skip")
    assert skip != "Skip" and sent[0].buttons[0][0].text == skip


# ---- the resolve step ----------------------------------------------------------------------------
async def reported_and_acknowledged(w: World) -> tuple[int, int]:
    """An owner at 海滨花园 reports a broken lift; the repair technician it went to acknowledges.
    Returns (the assignee's telegram id, the colleague's)."""
    await submit_report(w)
    ticket = w.ticket()
    assignee = LI if ticket.assignee_id == w.person_id(LI) else ZHAO
    assert ticket.assignee_id == w.person_id(assignee)
    await w.press(assignee, f"ak:{ticket.id}")
    assert w.ticket().status is Status.ACKNOWLEDGED
    return assignee, ZHAO if assignee == LI else LI


async def test_an_oversized_photo_at_the_resolve_step_is_refused_and_the_ticket_stays_open(
    desk: World,
) -> None:
    staff, _ = await reported_and_acknowledged(desk)
    ticket = desk.ticket()
    await desk.press(staff, f"rs:{ticket.id}")
    await desk.text(staff, "Replaced the door controller board.")
    sent = await desk.handle(staff, Kind.PHOTO, file_id="big", file_unique_id="b", file_size=21 * MB)
    assert sent[0].text == desk.says(staff, TOO_LARGE, size="21.0", limit=20)
    assert [unversioned(b.data) for row in sent[0].buttons for b in row] == ["rz:skip"]
    assert desk.ticket().status is Status.ACKNOWLEDGED
    assert desk.state(staff)[:2] == ("resolve", "photo")  # type: ignore[index]

    sent = await desk.handle(
        staff, Kind.DOCUMENT, file_id="d", file_size=1000, mime_type="application/zip", file_name="a.zip"
    )
    assert sent[0].text == desk.says(staff, NOT_TAKEN, name="a.zip")
    assert desk.ticket().status is Status.ACKNOWLEDGED

    await desk.handle(staff, Kind.PHOTO, file_id="fixed", file_unique_id="f", file_size=MB)
    assert desk.ticket().status is Status.RESOLVED
    with desk.ctx.uow() as uow:
        kept = [a.file_id for a in uow.attachments.of_ticket(ticket.id)]
    assert kept == ["fixed"]


# ---- line staff hand a ticket to a colleague -----------------------------------------------------
async def test_the_assignee_hands_the_ticket_to_a_colleague_from_the_cards_transfer_button(
    desk: World,
) -> None:
    staff, colleague = await reported_and_acknowledged(desk)
    ticket = desk.ticket()
    card = next(s for s in desk.chats[staff] if f"tr:{ticket.id}" in desk.buttons_of(s))
    await desk.press(staff, f"tr:{ticket.id}")
    choices = desk.buttons_of(desk.last(staff))
    colleague_id, staff_id = desk.person_id(colleague), desk.person_id(staff)
    assert f"ag:{ticket.id}:{colleague_id}" in choices
    assert f"ag:{ticket.id}:{desk.person_id(MANAGER)}" in choices
    assert f"ag:{ticket.id}:{staff_id}" not in choices  # not to oneself
    assert f"ag:{ticket.id}:{desk.person_id(QIANPU_REPAIR)}" not in choices  # not another company's
    assert f"nj:{ticket.id}" in choices  # or "not ours", with a reason

    await desk.press(staff, f"ag:{ticket.id}:{colleague_id}")

    now = desk.ticket()
    assert now.assignee_id == colleague_id and now.status is Status.ASSIGNED
    with desk.ctx.uow() as uow:
        handoff = [e for e in uow.events.of_ticket(ticket.id) if e.event is Event.ASSIGN][-1]
    assert handoff.actor_id == staff_id
    assert handoff.data == {"assignee_id": colleague_id, "previous_id": staff_id}
    # the colleague got the card, with the button to acknowledge it
    assert f"ak:{ticket.id}" in desk.buttons_of(desk.last(colleague))
    assert ticket.number in desk.last(colleague).text
    # the previous assignee's card was edited in place: no more actions for them
    assert desk.buttons_of(card) == [f"tl:{ticket.id}"]
    assert card.text.startswith("🔄")
    # the list of colleagues became the answer: who has it now
    said = desk.translator(staff).gettext("{number} is now handled by {name}.")
    expected = said.format(number=ticket.number, name=desk.display_name(colleague))
    assert any(s.text == expected for s in desk.chats[staff])

    await desk.press(colleague, f"ak:{ticket.id}")
    assert desk.ticket().status is Status.ACKNOWLEDGED


async def test_a_ticket_not_yet_acknowledged_is_handed_on_and_the_old_card_refreshed(desk: World) -> None:
    await submit_report(desk)
    ticket = desk.ticket()
    staff = LI if ticket.assignee_id == desk.person_id(LI) else ZHAO
    card = desk.last(staff)
    assert f"ak:{ticket.id}" in desk.buttons_of(card)
    await desk.press(staff, f"tr:{ticket.id}")
    await desk.press(staff, f"ag:{ticket.id}:{desk.person_id(CHEN)}")
    assert desk.ticket().assignee_id == desk.person_id(CHEN)
    assert desk.ticket().status is Status.ASSIGNED  # the status did not move ...
    assert f"ak:{ticket.id}" not in desk.buttons_of(card)  # ... but the old card was refreshed
    assert f"ak:{ticket.id}" in desk.buttons_of(desk.last(CHEN))


async def test_staff_who_do_not_have_the_ticket_cannot_hand_it_on(desk: World) -> None:
    staff, colleague = await reported_and_acknowledged(desk)
    ticket = desk.ticket()
    with pytest.raises(NotAllowed):
        tickets.assign(desk.ctx, desk.person_id(colleague), ticket.id, desk.person_id(colleague))
    with pytest.raises(NotAllowed):
        tickets.assign(desk.ctx, desk.person_id(CHEN), ticket.id, desk.person_id(CHEN))
    assert desk.ticket().assignee_id == desk.person_id(staff)
    # a forged button press gets an alert, and changes nothing
    await desk.handle(CHEN, Kind.BUTTON, data=f"ag:{ticket.id}:{desk.person_id(CHEN)}", callback_id="forged")
    assert desk.answers[-1].alert and desk.answers[-1].callback_id == "forged"
    assert desk.ticket().assignee_id == desk.person_id(staff)


async def test_a_ticket_cannot_be_handed_to_staff_of_another_estate_or_company(desk: World) -> None:
    staff, _ = await reported_and_acknowledged(desk)
    ticket = desk.ticket()
    with pytest.raises(UserError) as refused:
        tickets.assign(desk.ctx, desk.person_id(staff), ticket.id, desk.person_id(QIANPU_REPAIR))
    assert refused.value.code == "assignee_not_staff"
    with pytest.raises(UserError) as owner:
        tickets.assign(desk.ctx, desk.person_id(staff), ticket.id, desk.person_id(OWNER_EN))
    assert owner.value.code == "assignee_not_staff"
    assert desk.ticket().assignee_id == desk.person_id(staff)


async def test_a_resolved_ticket_cannot_be_handed_on_by_line_staff(desk: World) -> None:
    staff, colleague = await reported_and_acknowledged(desk)
    ticket = desk.ticket()
    tickets.resolve(desk.ctx, desk.person_id(staff), ticket.id, "Replaced the board.")
    with pytest.raises(UserError) as refused:
        tickets.assign(desk.ctx, desk.person_id(staff), ticket.id, desk.person_id(colleague))
    assert refused.value.code == "illegal_transition"
    assert desk.ticket().assignee_id == desk.person_id(staff)


# ---- what the front ends hand the core about a file ----------------------------------------------
DOCUMENT_UPDATE: dict[str, Any] = {
    "update_id": 9001,
    "message": {
        "message_id": 5,
        "date": 1_790_000_000,
        "chat": {"id": OWNER_EN, "type": "private", "first_name": "Smith"},
        "from": {"id": OWNER_EN, "is_bot": False, "first_name": "Smith", "language_code": "en"},
        "document": {
            "file_id": "BQACAgUAAxkBAAI",
            "file_unique_id": "AgAD1",
            "file_name": "setup.exe",
            "mime_type": "application/x-msdownload",
            "file_size": 31_457_280,
        },
        "caption": "the lift",
    },
}


def expected_document() -> dict[str, Any]:
    return {
        "kind": Kind.DOCUMENT,
        "file_id": "BQACAgUAAxkBAAI",
        "file_unique_id": "AgAD1",
        "file_name": "setup.exe",
        "mime_type": "application/x-msdownload",
        "file_size": 31_457_280,
        "text": "the lift",
    }


def test_python_telegram_bot_documents_reach_the_core_with_size_type_and_name() -> None:
    from telegram import Update

    from bot.telegram.front_ptb import to_incoming

    inc = to_incoming(Update.de_json(DOCUMENT_UPDATE, None), "wuye_bot")  # type: ignore[arg-type]
    assert inc is not None
    assert {k: getattr(inc, k) for k in expected_document()} == expected_document()


def test_aiogram_documents_reach_the_core_with_size_type_and_name() -> None:
    from aiogram.types import Update

    from bot.telegram.incoming import message_incoming

    update = Update.model_validate(DOCUMENT_UPDATE)
    assert update.message is not None
    inc = message_incoming(update.message, "wuye_bot")
    assert inc is not None
    assert {k: getattr(inc, k) for k in expected_document()} == expected_document()
