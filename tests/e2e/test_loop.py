"""End to end through the real front doors: `wuye run` on python-telegram-bot and on aiogram, by long
polling and by webhook, against the stand-in Bot API server, on a SQLite database loaded with
examples/setup.yaml. Every scenario runs on all four doors (webhook-only checks on the two webhooks)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.serve import StartError
from handlers.conversations.buttons import unversioned
from tests.e2e.harness import (
    COMMUNITY,
    DOORS,
    MANAGER,
    OWNER_EN,
    OWNER_HANS,
    OWNER_HANT,
    PNG,
    QIANPU_REPAIR,
    REPAIR_LI,
    REPAIR_ZHAO,
    SECRET,
    STRANGER,
    Door,
    Wuye,
    buttons,
    has_button,
    text_of,
    with_button,
)
from tests.support.botapi import StandInBotAPI

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"\b[A-Z]{2}-\d{4}-\d{6}\b")
WEBHOOK_DOORS = [d for d in DOORS if d.webhook]


@pytest.fixture(params=DOORS, ids=lambda d: d.id)
def door(request: pytest.FixtureRequest) -> Door:
    door: Door = request.param
    return door


@pytest.fixture(scope="session")
def example_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file after `wuye load examples/setup.yaml`, copied for each test."""
    folder = tmp_path_factory.mktemp("example")
    loader = Wuye(StandInBotAPI(), DOORS[0], folder)
    loader.load_example()
    loader.close()
    return folder / "wuye.db"


@pytest.fixture
async def wuye(
    botapi: StandInBotAPI, door: Door, tmp_path: Path, example_database: Path
) -> AsyncIterator[Wuye]:
    """`wuye load examples/setup.yaml` then `wuye run`, through ``door``."""
    app = Wuye(botapi, door, tmp_path)
    app.load_example(example_database)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        app.close()


@dataclass(frozen=True)
class Script:
    """One owner's story, and words that only appear when the bot speaks the owner's language."""

    owner: int
    code: str
    unit: str
    staff: tuple[int, ...]  # who may be assigned a lift ticket at the owner's estate
    description: str
    place: str
    question: str
    answer: str
    note: str
    comment: str
    lift: str  # the "lift" category, as the owner's language names it
    acknowledged: str  # in "your report was acknowledged"
    fixed: str  # in "is it fixed?"
    foreign: tuple[str, ...]  # the same words in the other languages, which must not appear


SCRIPTS = {
    "zh_Hans": Script(
        OWNER_HANS,
        "EHB7QK4M9W",
        "3栋2单元501",
        (REPAIR_LI, REPAIR_ZHAO),
        "3号楼B梯从昨晚起停在8楼不动，按钮没反应。",
        "3栋B梯",
        "请问B梯的门能打开吗？",
        "门关着打不开，A梯正常。",
        "更换了B梯的门机控制板，已试运行正常。",
        "师傅很负责，谢谢！",
        lift="电梯",
        acknowledged="签收",
        fixed="问题解决了吗",
        foreign=("電梯", "Lift"),
    ),
    "zh_Hant": Script(
        OWNER_HANT,
        "EHB7QK4M9W",
        "5栋1单元1203",
        (REPAIR_LI, REPAIR_ZHAO),
        "3號樓B梯從昨晚起停在8樓不動，按鈕沒反應。",
        "3棟B梯",
        "請問B梯的門能打開嗎？",
        "門關着打不開，A梯正常。",
        "更換了B梯的門機控制板，已試運行正常。",
        "師傅很負責，謝謝！",
        lift="電梯",
        acknowledged="簽收",
        fixed="問題解決了嗎",
        foreign=("电梯", "Lift"),
    ),
    "en": Script(
        OWNER_EN,
        "EQP6TV2H5K",
        "8-2-702",
        (QIANPU_REPAIR,),
        "Lift B in building 8 is stuck on floor 8 since last night; the buttons do nothing.",
        "Building 8, lift B",
        "Does the door of lift B open?",
        "No, it stays shut. Lift A works.",
        "Replaced the door controller board of lift B; test runs are normal.",
        "Quick and careful, thanks!",
        lift="Lift",
        acknowledged="acknowledged",
        fixed="Is it fixed?",
        foreign=("电梯", "電梯"),
    ),
}


# ---- steps shared by the scenarios -------------------------------------------------------------------
async def join(app: Wuye, owner: int, code: str, unit: str, lang: str) -> None:
    """`/start CODE` from the estate's invite link, the unit, the language."""
    [asked] = await app.command(owner, "start", code)
    assert not has_button(asked, "lg:")
    chosen = with_button(await app.say(owner, unit, until="lg:"), f"lg:{lang}")
    assert unit in text_of(chosen)
    await app.press(owner, chosen, f"lg:{lang}", until=lambda m: "/report" in text_of(m))


async def report(
    app: Wuye,
    owner: int,
    description: str,
    place: str | None,
    *,
    category: str = "lift",
    photo: bool = True,
    privacy: str = "government",
) -> tuple[dict[str, Any], list[dict]]:
    """`/report` to the end; returns the message with the ticket number and everything the owner saw."""
    seen = await app.command(owner, "report", until="r:cat:")
    seen += await app.press(owner, with_button(seen, "r:cat:"), f"r:cat:{category}")
    seen += await app.say(owner, description, until="r:skip")
    if photo:
        seen += await app.photo(owner, until="r:done")
        seen += await app.press(owner, with_button(seen, "r:done"), "r:done", until="r:skip")
    else:
        seen += await app.press(owner, with_button(seen, "r:skip"), "r:skip", until="r:skip")
    if place is None:
        seen += await app.press(owner, with_button(seen, "r:skip"), "r:skip", until="r:urg:")
    else:
        seen += await app.say(owner, place, until="r:urg:")
    seen += await app.press(owner, with_button(seen, "r:urg:"), "r:urg:urgent", until="r:prv:")
    seen += await app.press(owner, with_button(seen, "r:prv:"), f"r:prv:{privacy}", until="r:ok")
    done = await app.press(
        owner, with_button(seen, "r:ok"), "r:ok", until=lambda m: bool(NUMBER.search(text_of(m)))
    )
    return next(m for m in done if NUMBER.search(text_of(m))), seen + done


def new_in(botapi: StandInBotAPI, mark: int, *chats: int) -> list[dict[str, Any]]:
    """Messages sent to any of ``chats`` since ``mark`` (the ladder may write to others meanwhile)."""
    return [m for m in botapi.sent()[mark:] if m["chat"]["id"] in chats]


def number_in(message: dict[str, Any]) -> str:
    found = NUMBER.search(text_of(message))
    assert found, f"no ticket number in {text_of(message)!r}"
    return found.group(0)


def card_of(number: str, action: str) -> Any:
    """A predicate: the ticket card of ``number`` currently offering the ``action`` button."""
    return lambda m: number in text_of(m) and has_button(m, action)


# ---- the whole loop ----------------------------------------------------------------------------------
async def test_the_whole_loop_from_invite_to_rating_in_three_languages(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    """Three owners, one per language, each through invite → report → acknowledge → ask → reply →
    resolve → confirm → rate, at the same time (each chat in order, the chats concurrently)."""
    staff_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
    numbers = await asyncio.gather(*(story(wuye, botapi, lang, staff_locks) for lang in SCRIPTS))
    assert len(set(numbers)) == 3 and wuye.ticket_count() == 3
    assert not [c for c in botapi.calls if c.status >= 400], "the bot made a request Telegram refused"


async def story(wuye: Wuye, botapi: StandInBotAPI, lang: str, staff_locks: dict[int, asyncio.Lock]) -> str:
    s = SCRIPTS[lang]
    owner = s.owner
    await join(wuye, owner, s.code, s.unit, lang)

    ticket_message, seen = await report(wuye, owner, s.description, s.place)
    assert any(s.lift in b["text"] for b in buttons(with_button(seen, "r:cat:")))
    summary = with_button(seen, "r:ok")
    assert s.lift in text_of(summary) and s.description in text_of(summary)

    number = number_in(ticket_message)
    ticket = wuye.ticket(number)
    due = ticket.due_at.astimezone(SHANGHAI)
    assert ticket.status == "assigned" and ticket.location == s.place
    assert str(due.year) in text_of(ticket_message) and f"{due:%M}" in text_of(ticket_message)
    assignee = wuye.assignee(number)
    with wuye.uow() as uow:
        [attachment] = uow.attachments.of_ticket(ticket.id)
    assert assignee in s.staff

    # The assignee gets the card and the owner's photo (by file id: the same file on Telegram's side).
    card = await wuye.wait_sent(assignee, card_of(number, "ak:"))
    assert s.description in text_of(card) and s.place in text_of(card)
    photo = await wuye.wait_sent(assignee, lambda m: m["method"] == "sendPhoto" and number in text_of(m))
    assert photo["photo"][-1]["file_unique_id"] == attachment.file_unique_id
    assert botapi.file_bytes(photo["photo"][-1]["file_id"]) == PNG

    # Acknowledge (签收): the card changes in place, the owner is told in their language.
    answer = await wuye.tap(assignee, card, button_data(card, "ak:"))
    assert not answer.get("show_alert")
    card = await wuye.wait_sent(assignee, card_of(number, "as:"))
    await wuye.wait_sent(owner, lambda m: number in text_of(m) and s.acknowledged in text_of(m))

    # Ask the owner; the owner replies; the answer is relayed to staff.
    async with staff_locks[assignee]:  # one conversation at a time in a staff member's chat
        await wuye.press(assignee, card, "as:")
        await wuye.say(assignee, s.question)
    question = await wuye.wait_sent(owner, lambda m: s.question in text_of(m) and has_button(m, "rp:"))
    assert wuye.ticket(number).status == "waiting_owner"
    await wuye.press(owner, question, "rp:")
    await wuye.say(owner, s.answer)
    await wuye.wait_sent(assignee, lambda m: s.answer in text_of(m) and number in text_of(m))

    # Resolve with a note; the owner is asked "fixed?" in their language.
    card = await wuye.wait_sent(assignee, card_of(number, "rs:"))
    async with staff_locks[assignee]:
        await wuye.press(assignee, card, "rs:")
        skip = with_button(await wuye.say(assignee, s.note, until="rz:"), "rz:")
        await wuye.press(assignee, skip, "rz:skip")
    fixed = await wuye.wait_sent(owner, lambda m: s.note in text_of(m) and has_button(m, "cf:"))
    assert s.fixed in text_of(fixed)
    assert wuye.ticket(number).status == "resolved"

    # Confirm, rate five stars, comment: closed.
    stars = with_button(await wuye.press(owner, fixed, "cf:", until="rt:"), "rt:")
    await wuye.press(owner, stars, f"rt:{ticket.id}:5", until="rc:")
    await wuye.say(owner, s.comment)
    closed = wuye.ticket(number)
    assert (closed.status, closed.rating, closed.rating_comment) == ("closed", 5, s.comment)
    owner_saw = [text_of(m) + str(m.get("reply_markup")) for m in botapi.sent(owner)]
    assert not [word for text in owner_saw for word in s.foreign if word in text], "another language"
    return number


def button_data(message: dict[str, Any], prefix: str) -> str:
    return next(
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if unversioned(b["callback_data"]).startswith(prefix)
    )


async def start_report(wuye: Wuye, owner: int, description: str) -> list[dict[str, Any]]:
    """`/report`, the lift category and a description: the owner is at the photo step."""
    seen = await wuye.command(owner, "report", until="r:cat:")
    seen += await wuye.press(owner, with_button(seen, "r:cat:"), "r:cat:lift")
    return seen + await wuye.say(owner, description, until="r:skip")


async def to_summary(
    wuye: Wuye, owner: int, seen: list[dict[str, Any]], privacy: str
) -> list[dict[str, Any]]:
    """From the photo step to the summary with its submit button: skip photos and place, ordinary."""
    seen += await wuye.press(owner, with_button(seen, "r:skip"), "r:skip", until="r:skip")
    seen += await wuye.press(owner, with_button(seen, "r:skip"), "r:skip", until="r:urg:")
    seen += await wuye.press(owner, with_button(seen, "r:urg:"), "r:urg:ordinary", until="r:prv:")
    return seen + await wuye.press(owner, with_button(seen, "r:prv:"), f"r:prv:{privacy}", until="r:ok")


# ---- delivered once ----------------------------------------------------------------------------------
async def test_a_replayed_update_changes_nothing(wuye: Wuye, botapi: StandInBotAPI) -> None:
    """Telegram delivers an update again after a timeout or a restart: the same update id is ignored."""
    owner = OWNER_HANS
    seen = await start_report(wuye, owner, "地下车库C排的灯坏了三盏，晚上很暗。")
    seen = await to_summary(wuye, owner, seen, privacy="everyone")
    summary = with_button(seen, "r:ok")
    submit = botapi.make_callback(owner, summary, button_data(summary, "r:ok"))
    await wuye.exchange(submit, owner, until=lambda m: bool(NUMBER.search(text_of(m))), pressed=summary)
    report_again = botapi.make_command(owner, "report")
    await wuye.exchange(report_again, owner, until="r:cat:")
    assert wuye.ticket_count() == 1 and wuye.seen(submit["update_id"])
    answers = len(botapi.calls_to("answerCallbackQuery"))

    mark = botapi.mark()
    if wuye.door.webhook:  # Telegram posts it again (e.g. our 200 got lost)
        # ... twice at once, as after a timeout Telegram may while the first is still in progress
        statuses = await asyncio.gather(
            wuye.deliver(submit), wuye.deliver(submit), wuye.deliver(report_again)
        )
        assert statuses == [200, 200, 200]
    else:  # the offset was not confirmed before a restart: getUpdates hands them out again
        await wuye.stop()
        botapi.push_raw(submit)
        botapi.push_raw(report_again)
        since = len(botapi.calls)
        await wuye.start()
        # The fresh process really asks for them: no dropped backlog, no offset past them.
        first_poll = next(c for c in botapi.calls[since:] if c.method == "getUpdates")
        assert int(first_poll.params.get("offset") or 0) <= submit["update_id"]
        assert not any(c.params.get("drop_pending_updates") for c in botapi.calls[since:])
    [help_answer] = await wuye.settle(owner)  # updates of a chat are handled in order
    assert "/report" in text_of(help_answer)
    assert new_in(botapi, mark, owner) == [help_answer], "a replayed update made the bot say something"
    assert wuye.ticket_count() == 1
    assert len(botapi.calls_to("answerCallbackQuery")) == answers
    if not wuye.door.webhook:  # ... and took them: the queue is confirmed empty
        await botapi.wait_until(lambda: not botapi.pending_updates(), what="the backlog to be taken")


# ---- the webhook door --------------------------------------------------------------------------------
@pytest.mark.parametrize("door", WEBHOOK_DOORS, ids=lambda d: d.id, indirect=True)
async def test_the_webhook_refuses_calls_without_the_right_secret(wuye: Wuye, botapi: StandInBotAPI) -> None:
    owner = OWNER_HANS
    update = botapi.make_command(owner, "report")
    mark = botapi.mark()
    assert await botapi.post_webhook(update, secret_token="") in (401, 403)  # no header at all
    assert await botapi.post_webhook(update, secret_token="forged-secret-0123456789") in (401, 403)
    hook = f"http://127.0.0.1:{wuye.port}/telegram/hook"
    async with aiohttp.ClientSession() as http:
        async with http.post(hook, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": "x"}) as r:
            assert r.status in (401, 403)  # the secret is checked before the body is even read
        async with http.get(f"http://127.0.0.1:{wuye.port}/healthz") as r:
            health = (r.status, await r.json())
    assert health == (200, {"ok": True, "database": "ok"})
    assert botapi.sent()[mark:] == [] and not wuye.seen(update["update_id"])
    with wuye.uow() as uow:
        assert uow.conversations.get(owner, owner) is None

    # The same update with the secret Telegram was given is taken.
    assert botapi.webhook()["secret_token"] == SECRET  # type: ignore[index]
    [prompt] = await wuye.exchange(update, owner, until="r:cat:")
    assert wuye.seen(update["update_id"]) and has_button(prompt, "r:cat:lift")


# ---- a form filled in where it stands -------------------------------------------------------------------
async def test_the_report_moves_on_in_the_pressed_message_and_is_sent_anew_when_that_is_gone(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    owner = OWNER_HANS
    seen = await start_report(wuye, owner, "地下车库C排的灯坏了三盏，晚上很暗。")
    photos = with_button(seen, "r:skip")
    [place] = await wuye.press(owner, photos, "r:skip", until="r:skip")
    assert place["message_id"] == photos["message_id"] and place["edits"]  # the same message, edited
    assert "具体在哪里" in text_of(place) and "照片" not in text_of(place)

    botapi.delete_as_user(owner, place["message_id"])  # deleted as the press went out
    mark = botapi.mark()
    [urgency] = await wuye.press(owner, place, "r:skip", until="r:urg:")
    assert urgency["message_id"] != place["message_id"] and "紧急" in text_of(urgency)
    assert new_in(botapi, mark, owner) == [urgency]
    with wuye.uow() as uow:
        state = uow.conversations.get(owner, owner)
        assert state is not None and state.step == "urgency"


@pytest.mark.parametrize("door", WEBHOOK_DOORS, ids=lambda d: d.id, indirect=True)
async def test_by_webhook_a_button_press_is_answered_in_the_reply_to_telegram(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    """One request fewer per press: answerCallbackQuery rides on the HTTP answer to Telegram's POST."""
    owner = OWNER_HANS
    seen = await wuye.command(owner, "report", until="r:cat:")
    since = len(botapi.calls)
    press = botapi.make_callback(owner, with_button(seen, "r:cat:"), "r:cat:lift")
    await wuye.exchange(press, owner, pressed=with_button(seen, "r:cat:"))
    [answer] = [c for c in botapi.calls[since:] if c.method == "answerCallbackQuery"]
    assert answer.content_type == "webhook-reply"
    assert answer.params == {"callback_query_id": press["callback_query"]["id"]}
    assert botapi.callback_answer(press["callback_query"]["id"]) is not None

    # An answer with words (an alert) goes the same way, words and all.
    alert = await wuye.tap(owner, with_button(seen, "r:cat:"), "zz:forged")
    assert alert.get("show_alert") is True and alert.get("text")
    answers = [c for c in botapi.calls[since:] if c.method == "answerCallbackQuery"]
    assert [c.content_type for c in answers] == ["webhook-reply", "webhook-reply"]


# ---- bad input ---------------------------------------------------------------------------------------
async def test_bad_input_gets_a_clear_answer_and_nothing_crashes(wuye: Wuye, botapi: StandInBotAPI) -> None:
    owner = OWNER_HANS
    seen = await wuye.command(owner, "report", until="r:cat:")
    seen += await wuye.press(owner, with_button(seen, "r:cat:"), "r:cat:lift")
    description_prompt = seen[-1]

    # A sticker, a voice note, a location and a contact where the description is expected.
    answers = []
    for update in (
        botapi.make_sticker(owner),
        botapi.make_voice(owner),
        botapi.make_location(owner, 24.48, 118.09),
        botapi.make_contact(owner, "+8613800000000"),
    ):
        [answer] = await wuye.exchange(update, owner)
        answers.append(text_of(answer))
    assert len(set(answers)) == 1 and answers[0] and answers[0] != text_of(description_prompt)
    with wuye.uow() as uow:
        state = uow.conversations.get(owner, owner)
        assert state is not None and (state.flow, state.step) == ("report", "description")

    # An edited message, a message from another bot and a channel post are not ours to answer.
    typed = botapi.make_message(owner, "电梯坏了")
    mark = botapi.mark()
    await wuye.deliver(botapi.make_edited_message(owner, typed["message"]["message_id"], "电梯又坏了"))
    await wuye.deliver(botapi.make_message(399001, "/report", is_bot=True, first_name="OtherBot"))
    await wuye.deliver(botapi.make_channel_post(-1009001, "/report 小区停水通知"))
    [help_answer] = await wuye.settle(owner)
    assert new_in(botapi, mark, owner, 399001, -1009001) == [help_answer]
    with wuye.uow() as uow:
        state = uow.conversations.get(owner, owner)
        assert state is not None and state.step == "description" and "description" not in state.data

    # The description still works after all that.
    await wuye.say(owner, "3号楼B梯停在8楼不动，按钮没反应。", until="r:skip")

    # An unknown command: told so, with the commands that exist.
    said = await wuye.command(owner, "frobnicate", until=lambda m: "/report" in text_of(m))
    assert len(said) == 2 and "/frobnicate" not in text_of(said[0])

    # /report before joining, and an unknown invite code: each explains how to join; nothing is created.
    [before_joining] = await wuye.command(STRANGER, "report")
    [unknown_code] = await wuye.command(STRANGER, "start", "NOSUCHCODE")
    assert "/join" in text_of(before_joining) or "/start" in text_of(before_joining)
    assert text_of(unknown_code) != text_of(before_joining) and not buttons(unknown_code)
    with wuye.uow() as uow:
        stranger = uow.people.by_telegram_id(STRANGER)
        assert stranger is not None and uow.roles.of_person(stranger.id or 0) == []
    assert wuye.ticket_count() == 0
    assert [c for c in botapi.calls if c.status >= 400] == []


# ---- restart -----------------------------------------------------------------------------------------
async def test_a_restart_mid_conversation_continues_where_the_owner_was(
    wuye: Wuye, botapi: StandInBotAPI, door: Door, tmp_path: Path
) -> None:
    owner = OWNER_EN
    await start_report(wuye, owner, "The entrance door of building 8 does not lock any more.")
    await wuye.stop()

    fresh = Wuye(botapi, door, tmp_path)  # a new process on the same database
    await fresh.start()
    try:
        seen = await fresh.photo(owner, until="r:done")
        seen += await fresh.press(owner, with_button(seen, "r:done"), "r:done", until="r:skip")
        seen += await fresh.say(owner, "Building 8, main entrance", until="r:urg:")
        seen += await fresh.press(owner, with_button(seen, "r:urg:"), "r:urg:ordinary", until="r:prv:")
        seen += await fresh.press(owner, with_button(seen, "r:prv:"), "r:prv:nobody", until="r:ok")
        summary = with_button(seen, "r:ok")
        assert "does not lock" in text_of(summary)  # the description typed before the restart
        await fresh.press(owner, summary, "r:ok", until=lambda m: bool(NUMBER.search(text_of(m))))
        [ticket] = fresh.tickets()
        assert ticket.description == "The entrance door of building 8 does not lock any more."
        assert ticket.location == "Building 8, main entrance" and ticket.privacy == "nobody"
    finally:
        await fresh.stop()
        fresh.close()


# ---- where the core runs ------------------------------------------------------------------------------
async def finish_report(wuye: Wuye, owner: int, seen: list[dict[str, Any]]) -> None:
    """From the photo step to the report's number (skip photos and place, ordinary, nobody)."""
    seen = await to_summary(wuye, owner, seen, privacy="nobody")
    numbered = lambda m: bool(NUMBER.search(text_of(m)))  # noqa: E731
    await wuye.press(owner, with_button(seen, "r:ok"), "r:ok", until=numbered)


def core_process() -> multiprocessing.process.BaseProcess:
    [child] = [p for p in multiprocessing.active_children() if p.name.startswith("wuye-core-")]
    return child


async def test_a_killed_core_process_is_started_again_and_the_owner_goes_on(
    botapi: StandInBotAPI, door: Door, tmp_path: Path, example_database: Path
) -> None:
    wuye = Wuye(botapi, door, tmp_path, core_processes=1)  # on every door, whatever the door's default
    wuye.load_example(example_database)
    await wuye.start()
    try:
        owner = OWNER_EN
        seen = await start_report(wuye, owner, "The lift in building 3 smells of burning.")
        first = core_process()
        os.kill(first.pid or 0, signal.SIGKILL)
        await asyncio.to_thread(first.join, 10)
        await finish_report(wuye, owner, seen)  # the next update waits for the new process, then is answered
        assert core_process().pid != first.pid
        [ticket] = wuye.tickets()
        assert ticket.description == "The lift in building 3 smells of burning."
        # the outbox's database work goes to the new process too: the assignee gets the card
        await wuye.wait_sent(wuye.assignee(ticket.number), lambda m: ticket.number in text_of(m))
    finally:
        await wuye.stop()
        wuye.close()


async def test_with_the_core_on_a_thread_of_the_bot_process_the_loop_works_the_same(
    botapi: StandInBotAPI, door: Door, tmp_path: Path, example_database: Path
) -> None:
    app = Wuye(botapi, door, tmp_path, core_processes=0)  # WUYE_CORE_PROCESSES=0
    app.load_example(example_database)
    await app.start()
    try:
        assert not [p for p in multiprocessing.active_children() if p.name.startswith("wuye-core-")]
        owner = OWNER_HANS
        await finish_report(app, owner, await start_report(app, owner, "地下车库C排的灯坏了三盏。"))
        [ticket] = app.tickets()
        await app.wait_sent(app.assignee(ticket.number), lambda m: ticket.number in text_of(m))
    finally:
        await app.stop()
        app.close()


async def test_more_than_one_core_process_on_sqlite_is_refused_with_a_one_line_reason(
    botapi: StandInBotAPI, tmp_path: Path, example_database: Path
) -> None:
    app = Wuye(botapi, DOORS[0], tmp_path, core_processes=2)
    app.load_example(example_database)
    with pytest.raises(StartError, match=r"^WUYE_CORE_PROCESSES=2: SQLite takes one writer"):
        await app.start()
    app.close()


# ---- groups ------------------------------------------------------------------------------------------
GROUP, UNKNOWN_GROUP, PUBLIC_GROUP = -1001500, -1001600, -1001700


async def test_a_bound_group_gets_the_cards_and_checks_who_presses(wuye: Wuye, botapi: StandInBotAPI) -> None:
    # The manager adds the bot to the estate's staff group: a greeting that explains /bind.
    added = botapi.make_my_chat_member(
        MANAGER,
        GROUP,
        new_status="administrator",
        old_status="left",
        title="海滨花园物业工作群",
        chat_type="supergroup",
    )
    [greeting] = await wuye.exchange(added, GROUP)
    assert "/bind" in text_of(greeting)

    # An owner may not bind it; the manager may.
    [refused] = await wuye.command(OWNER_HANT, "bind", chat_id=GROUP)
    with wuye.uow() as uow:
        assert uow.groups.get(GROUP) is None
    [bound] = await wuye.command(MANAGER, "bind", chat_id=GROUP)
    assert "海滨花园" in text_of(bound) and text_of(bound) != text_of(refused)
    with wuye.uow() as uow:
        binding = uow.groups.get(GROUP)
        assert binding is not None and binding.estate_id == uow.estates.by_key("haibin").id  # type: ignore[union-attr]

    # A report at the estate: the card goes to the assignee and to the group.
    message, _ = await report(wuye, OWNER_HANS, "2栋地下室积水，已经漫到电梯井。", None, photo=False)
    number = number_in(message)
    card = await wuye.wait_sent(GROUP, card_of(number, "ak:"))

    # An owner pressing Acknowledge in the group is refused; the assignee pressing it acts as themself.
    refusal = await wuye.tap(OWNER_HANT, card, button_data(card, "ak:"))
    assert refusal.get("show_alert") and refusal.get("text")
    assert wuye.ticket(number).status == "assigned"
    answer = await wuye.tap(wuye.assignee(number), card, button_data(card, "ak:"))
    assert not answer.get("show_alert")
    assert wuye.ticket(number).status == "acknowledged"

    # /unbind by an owner is refused; by the manager it stops the cards.
    await wuye.command(OWNER_HANT, "unbind", chat_id=GROUP)
    with wuye.uow() as uow:
        assert uow.groups.get(GROUP) is not None
    await wuye.command(MANAGER, "unbind", chat_id=GROUP)
    with wuye.uow() as uow:
        assert uow.groups.get(GROUP) is None
    message, _ = await report(wuye, OWNER_HANS, "1栋大堂的门禁坏了，刷卡没反应。", None, photo=False)
    second = number_in(message)
    # What is owed is written with the ticket, in one transaction: nothing for the group this time.
    assert group_rows(wuye, number) and not group_rows(wuye, second)
    assert not [m for m in botapi.sent(GROUP) if second in text_of(m)]

    # Bound again, then the bot is removed from the group: the binding is forgotten, nothing is sent.
    await wuye.command(MANAGER, "bind", chat_id=GROUP)
    mark = botapi.mark()
    await wuye.handled(
        botapi.make_my_chat_member(MANAGER, GROUP, new_status="kicked", old_status="administrator")
    )
    with wuye.uow() as uow:
        assert uow.groups.get(GROUP) is None
    assert new_in(botapi, mark, GROUP) == []

    # A stranger adds the bot to a group nobody knows: the same greeting; their /bind is refused.
    [hello] = await wuye.exchange(
        botapi.make_my_chat_member(
            STRANGER, UNKNOWN_GROUP, new_status="member", title="Random chat", chat_type="group"
        ),
        UNKNOWN_GROUP,
    )
    assert "/bind" in text_of(hello)
    [no] = await wuye.command(STRANGER, "bind", chat_id=UNKNOWN_GROUP)
    with wuye.uow() as uow:
        assert uow.groups.get(UNKNOWN_GROUP) is None
    assert text_of(no) != text_of(hello)
    assert [c for c in botapi.calls if c.status >= 400] == []


async def test_a_public_group_is_never_bound_and_group_cards_never_name_the_reporter(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    # A group anyone can find (it has a @username) is refused, even for the project manager.
    botapi.add_chat(PUBLIC_GROUP, "海滨花园业主交流群", type="supergroup", username="haibin_owners")
    [refused] = await wuye.command(MANAGER, "bind", chat_id=PUBLIC_GROUP)
    assert "@" in text_of(refused)
    with wuye.uow() as uow:
        assert uow.groups.get(PUBLIC_GROUP) is None
    # The company's own private group: the card there says "an owner", the assignee's card names her.
    await wuye.command(MANAGER, "bind", chat_id=GROUP)
    message, _ = await report(wuye, OWNER_HANS, "7栋的电梯按钮全部失灵了。", None, photo=False)
    number = number_in(message)
    in_group = await wuye.wait_sent(GROUP, card_of(number, "ak:"))
    assert "张女士" not in text_of(in_group) and "3栋2单元501" not in text_of(in_group)
    # An official pressing Timeline in the group gets the group's view, not their own.
    mark = botapi.mark()
    official = await wuye.tap(COMMUNITY, in_group, button_data(in_group, "tl:"))
    assert not official.get("show_alert")
    await botapi.wait_until(lambda: bool(new_in(botapi, mark, GROUP)), what="the timeline in the group")
    [timeline] = new_in(botapi, mark, GROUP)
    assert number in text_of(timeline) and "张女士" not in text_of(timeline)
    # The same official in their own chat sees her name, as she allowed the government side.
    listing = await wuye.command(COMMUNITY, "area", until="cd:")
    tid = wuye.ticket(number).id
    opened = await wuye.press(
        COMMUNITY, with_button(listing, f"cd:{tid}"), f"cd:{tid}", until=lambda m: "张女士" in text_of(m)
    )
    assert any("张女士" in text_of(m) for m in opened)


def group_rows(wuye: Wuye, number: str) -> list[Any]:
    """The notifications owed to the group for the ticket ``number``."""
    ticket_id = wuye.ticket(number).id
    with wuye.uow() as uow:
        return [n for n in uow.notifications.all() if n.ticket_id == ticket_id and n.chat_id == GROUP]


# ---- a user who blocked the bot ----------------------------------------------------------------------
async def test_a_blocked_chat_crashes_nothing_and_staff_messages_go_one_up(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    # Both repair technicians blocked the bot (Telegram tells the bot; the outbox learns it on sending).
    for technician in (REPAIR_LI, REPAIR_ZHAO):
        await wuye.deliver(botapi.make_my_chat_member(technician, new_status="kicked", old_status="member"))
    message, _ = await report(wuye, OWNER_HANS, "5栋电梯按钮失灵，电梯上不去。", "5栋电梯", photo=False)
    number = number_in(message)
    ticket = wuye.ticket(number)

    # The card meant for the assignee reaches the project manager instead.
    rerouted = await wuye.wait_sent(MANAGER, lambda m: number in text_of(m))
    assert rerouted["chat"]["id"] == MANAGER
    assert not botapi.sent(REPAIR_LI) and not botapi.sent(REPAIR_ZHAO)
    with wuye.uow() as uow:
        assignee = uow.people.get(ticket.assignee_id)
        assert assignee is not None and assignee.unreachable
        rows = [n for n in uow.notifications.all() if n.ticket_id == ticket.id and n.person_id == assignee.id]
        assert rows and {n.outcome for n in rows} >= {"rerouted"}

    # The owner blocks the bot too; the manager acknowledges: the owner's notice fails, nothing crashes.
    await wuye.deliver(botapi.make_my_chat_member(OWNER_HANS, new_status="kicked", old_status="member"))
    await wuye.settle(MANAGER)
    card = await wuye.wait_sent(MANAGER, card_of(number, "ak:"))
    await wuye.tap(MANAGER, card, button_data(card, "ak:"))
    with wuye.uow() as uow:
        owner_id = uow.people.by_telegram_id(OWNER_HANS).id  # type: ignore[union-attr]

    def owner_notice_blocked() -> bool:
        with wuye.uow() as uow:
            return any(
                n.outcome == "blocked"
                for n in uow.notifications.all()
                if n.ticket_id == ticket.id and n.person_id == owner_id
            )

    await botapi.wait_until(owner_notice_blocked, what="the owner's notice to be marked blocked")
    assert wuye.ticket(number).status == "acknowledged"

    # The bot carries on for everyone else, on every framework.
    [help_answer] = await wuye.settle(OWNER_EN)
    assert "/report" in text_of(help_answer)


# ---- replies under pressure (issue #15) ---------------------------------------------------------------
async def test_a_429_on_a_reply_in_the_middle_of_a_report_delays_the_question_and_loses_nothing(
    wuye: Wuye, botapi: StandInBotAPI
) -> None:
    seen = await wuye.command(OWNER_HANS, "report", until="r:cat:")
    # Telegram turns the next two replies away (too many requests): the bot waits and sends them.
    await wuye.settle(OWNER_HANS)  # nothing else on its way meanwhile: the refusals hit the reply
    mark, mark_calls = botapi.mark(), len(botapi.calls)
    botapi.fail_next(2, 429, methods=["sendMessage", "editMessageText"], retry_after=1, chat_id=OWNER_HANS)
    card = with_button(seen, "r:cat:")
    shown = await wuye.press(OWNER_HANS, card, "r:cat:lift", until=lambda m: "描述" in text_of(m))
    assert any("描述" in text_of(m) for m in shown)  # the question arrived (into the pressed message)
    assert not [m for m in new_in(botapi, mark, OWNER_HANS) if "描述" in text_of(m)][1:]  # and once
    refused = [c for c in botapi.calls[mark_calls:] if c.status == 429]
    assert [str(c.params.get("chat_id")) for c in refused] == [str(OWNER_HANS)] * 2  # turned away twice
    # and the report goes on to the end
    seen = await wuye.say(OWNER_HANS, "3栋电梯门关不上，一直响警报", until="r:skip")
    assert seen
