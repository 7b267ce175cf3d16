"""What an owner meets after reporting, end to end through `wuye run` on python-telegram-bot and on
aiogram: a case that climbs every rung is told to its owner in the owner's language, naming the office
the setup file names (or saying it could not be reached); an owner who ignored the "fixed?" message
finishes the case from /my.

The tickets are opened through the use cases before `wuye run` starts, on a clock 30 days back, so
that at start every rung of their ladder is due (`wuye run` reads the real clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.wiring import App, build_app
from handlers.clock import FixedClock
from handlers.conversations.buttons import unversioned
from handlers.conversations.notice_rendering import AboutOffice
from handlers.conversations.ticket_notices import RENDERERS
from handlers.rules.categories import Category, Urgency
from handlers.services import tickets
from handlers.services.tickets import TicketDraft, open_ticket
from handlers.text import Lang
from tests.e2e.harness import (
    DOORS,
    OWNER_EN,
    OWNER_HANS,
    OWNER_HANT,
    Door,
    Wuye,
    buttons,
    text_of,
    with_button,
)
from tests.support.botapi import StandInBotAPI
from tests.support.processes import days_ago
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

# One door per framework: what is tested here is the owner's side, not the door.
FRAMEWORKS = [d for d in DOORS if not d.webhook]
OWNERS: dict[int, Lang] = {OWNER_HANS: "zh_Hans", OWNER_HANT: "zh_Hant", OWNER_EN: "en"}
BUREAU = "思明区建设局（物业整治工作专班）"
# The offices each owner's estate climbs to, as examples/setup.yaml names them; False: nobody there
# has a Telegram id, so the owner must not be told that they were informed.
CLIMB: dict[int, list[tuple[str, str, bool]]] = {
    OWNER_HANS: [
        ("chased", "莲花社区居委会", True),
        ("chased", "嘉莲街道办事处", True),
        ("supervised", BUREAU, True),
    ],
    OWNER_HANT: [
        ("chased", "莲花社区居委会", True),
        ("chased", "嘉莲街道办事处", True),
        ("supervised", BUREAU, True),
    ],
    OWNER_EN: [
        ("chased", "前埔社区居委会", False),
        ("chased", "莲前街道办事处", False),
        ("supervised", BUREAU, True),
    ],
}
# The owner's notices as the catalogs hold them (msgids; each language's text is looked up).
CHASED, SUPERVISED = RENDERERS["ticket.chased"], RENDERERS["ticket.supervised"]
assert isinstance(CHASED, AboutOffice) and isinstance(SUPERVISED, AboutOffice)
NOTICE = {
    ("chased", True): CHASED.message,
    ("chased", False): CHASED.unreached,
    ("supervised", True): SUPERVISED.message,
}


@pytest.fixture(params=FRAMEWORKS, ids=lambda d: d.id)
def door(request: pytest.FixtureRequest) -> Door:
    door: Door = request.param
    return door


@pytest.fixture
async def seeded(
    botapi: StandInBotAPI, door: Door, tmp_path: Path
) -> AsyncIterator[tuple[Wuye, App, FixedClock]]:
    """The example loaded; the use cases on a clock 30 days back, for seeding tickets; `start` is up
    to the test."""
    wuye = Wuye(botapi, door, tmp_path)
    wuye.load_example()
    clock = FixedClock(days_ago(30))
    app = build_app(load_settings(database_url=wuye.database_url), clock=clock)
    try:
        yield wuye, app, clock
    finally:
        await wuye.stop()
        app.engine.dispose()
        wuye.close()


def person_id(app: App, telegram_id: int) -> int:
    with app.ctx.uow() as uow:
        person = uow.people.by_telegram_id(telegram_id)
    assert person is not None and person.id is not None
    return person.id


def report(app: App, owner: int) -> tuple[int, str]:
    ticket = open_ticket(
        app.ctx, person_id(app, owner), TicketDraft(Category.LIFT, Urgency.URGENT, "电梯门关不上，困人风险")
    )
    return ticket.id or 0, ticket.number


async def test_the_owner_of_a_case_that_climbs_every_rung_is_told_each_step_in_their_language(
    seeded: tuple[Wuye, App, FixedClock], botapi: StandInBotAPI
) -> None:
    wuye, app, _ = seeded
    numbers = {owner: report(app, owner)[1] for owner in OWNERS}
    await wuye.start()
    translations = shared_translations()
    for owner, lang in OWNERS.items():
        tr = translations.for_lang(lang)
        number = numbers[owner]
        expected = [
            tr.gettext(NOTICE[(kind, reached)]).format(number=number, office=office)
            for kind, office, reached in CLIMB[owner]
        ]
        for text in expected:
            await wuye.wait_sent(owner, lambda m, text=text: text_of(m) == text, timeout=20)
        about = [text_of(m) for m in botapi.sent(owner) if number in text_of(m)]
        climbing = [t for t in about if t in expected]
        assert climbing == expected, f"{lang}: each rung once, in order"
        others = [o for o in OWNERS if o != owner]
        assert not [t for t in about if any(numbers[o] in t for o in others)]


async def test_an_owner_who_ignored_fixed_confirms_and_rates_from_my(
    seeded: tuple[Wuye, App, FixedClock], botapi: StandInBotAPI
) -> None:
    wuye, app, clock = seeded
    clock.set(days_ago(0.01))  # reported and fixed a quarter of an hour ago
    tid, number = report(app, OWNER_HANS)
    with app.ctx.uow() as uow:
        handler = (uow.tickets.get(tid) or pytest.fail("no ticket")).assignee_id or 0
    tickets.acknowledge(app.ctx, handler, tid)
    tickets.resolve(app.ctx, handler, tid, "已更换门机控制板")
    await wuye.start()
    # The "fixed?" message arrives; the owner never presses it.
    fixed = await wuye.wait_sent(OWNER_HANS, lambda m: number in text_of(m) and _has(m, f"cf:{tid}"))

    mine = await wuye.command(OWNER_HANS, "my", until=lambda m: _has(m, f"mt:{tid}"))
    view = await wuye.press(OWNER_HANS, with_button(mine, f"mt:{tid}"), f"mt:{tid}", until=f"cf:{tid}")
    seen = await wuye.press(OWNER_HANS, with_button(view, f"cf:{tid}"), f"cf:{tid}", until=f"rt:{tid}:")
    assert wuye.ticket(number).status == "closed"
    stars = with_button(seen, f"rt:{tid}:")
    await wuye.press(OWNER_HANS, stars, f"rt:{tid}:4", until=f"rc:{tid}")
    assert wuye.ticket(number).rating == 4  # stored with the stars, before any comment
    await wuye.say(OWNER_HANS, "师傅很负责")
    await botapi.wait_until(lambda: wuye.ticket(number).rating_comment == "师傅很负责", what="the comment")
    # The message that asked is still there, unpressed; the case is closed and rated all the same.
    assert fixed in botapi.sent(OWNER_HANS) and wuye.ticket(number).status == "closed"


def _has(message: dict[str, Any], prefix: str) -> bool:
    return any(unversioned(b.get("callback_data", "")).startswith(prefix) for b in buttons(message))
