"""Thousands of seeded inputs through the conversation core, as a careless crowd and an attacker would
send them: every role, in private chats and bound groups, in whatever state their conversations are;
random and adversarial text up to 100k characters, forged and stale buttons, files where text is
expected and the reverse, replays, out-of-order presses, /cancel mid-flow, the bot added to and removed
from groups; the ladder and the outbox running in between.

Nothing may escape or be logged as a failure, every input is answered (a press always, so the client
stops spinning) or deliberately ignored (a replay, a group's own talk), /cancel always leads back, and
every ticket's history is a valid walk through the lifecycle table. Reproducible: WUYE_FUZZ_SEED picks
the seed (the failure message names it), WUYE_FUZZ_INPUTS how many inputs (default 10,000).

The ten thousand are a slow test (the whole suite runs them); the daily loop runs the same crowd on
three fixed seeds of its own, 400 inputs each, on SQLite (and the whole suite on PostgreSQL too)."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from handlers.conversations.buttons import LAYOUTS, encode
from handlers.conversations.io import Answer, Edit, Incoming, Kind, Output, Send
from handlers.rules.categories import Privacy
from handlers.rules.lifecycle import Status, next_status
from handlers.services import ladder
from handlers.services.errors import UserError
from storage.tables import TicketRow
from tests.service.talk import Talk
from tests.service.world import (
    CHEN_SERVICE,
    FENG_CHENGGUAN,
    HO_OWNER,
    HUANG_MANAGER,
    LI_REPAIR,
    LIU_COMMUNITY,
    SMITH_OWNER,
    WANG_MANAGER,
    WU_STREET,
    XU_REPAIR,
    ZHANG_OWNER,
    ZHAO_REPAIR,
    ZHENG_BUREAU,
    ZHOU_COMMITTEE,
    World,
)
from tests.support.databases import slow_on_postgresql

SEED = int(os.environ.get("WUYE_FUZZ_SEED", "20261206"))
INPUTS = int(os.environ.get("WUYE_FUZZ_INPUTS", "10000"))
# The daily loop's short runs (each also acknowledges the reports it files from their cards, so tickets
# move whatever the seed; before, seeds were picked whose 400 inputs moved one: seed 3's did not: the last
# check below refuses such a run).
SHORT_SEEDS, SHORT_INPUTS = (1, 2, 3), 400
STRANGERS = (300901, 300902)
PEOPLE = (
    ZHANG_OWNER, HO_OWNER, SMITH_OWNER, WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, HUANG_MANAGER,
    XU_REPAIR, ZHOU_COMMITTEE, LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU, FENG_CHENGGUAN, *STRANGERS,
)  # fmt: skip
GROUPS = (-1009001, -1009002)
EVERY_STATUS = frozenset(Status)
COMMANDS = (
    "start", "help", "cancel", "language", "join", "report", "my", "privacy", "tasks", "team", "area",
    "supervision", "overdue", "revenue", "revenue_template", "disclosure", "reports", "bind", "unbind",
    "nosuch",
)  # fmt: skip
TEXTS = (
    "3栋电梯门关不上，一直响警报，老人下不了楼",
    "地下车库漏水，已经漫到电梯井了",
    "好的",
    "12栋3单元1602",
    "EHB7QK4M9W",
    "",
    "   ",
    "²³①⑨",
    "{number}{0}%s%d{}",
    "'; DROP TABLE ticket; --",
    "\u202e\u200b\u0000\ufeff",
    "🛗🔥🚒" * 50,
    "a" * 4001,
)


def noise(rng: random.Random) -> str:
    """Text of any length and any script, up to 100k characters."""
    size = rng.choice((1, 5, 40, 300, 2000, 4000, 4001, 20000, 100_000))
    alphabet = rng.choice(
        (string.printable, "电梯漏水停电物业业主投诉", "²³①⑨٣۴߂", "\u0000\u202e\u200b\ufeff")
    )
    return "".join(rng.choice(alphabet) for _ in range(min(size, 2000))) * max(1, size // 2000)


def forged(rng: random.Random, ticket_ids: list[int]) -> str:
    """Button data a hostile client could send: our layouts with wrong or hostile values, and garbage."""
    action = rng.choice(list(LAYOUTS))
    values = [
        str(rng.choice(ticket_ids))
        if ticket_ids and rng.random() < 0.5
        else rng.choice(
            (
                "0",
                "-1",
                "99999999999999999999",
                "²",
                "①",
                "1e3",
                "0x10",
                " 1",
                "1 ",
                "",
                "zh_Hans",
                "e1",
                "o1",
            )
        )
        for _ in range(rng.randint(0, 3))
    ]
    pick = rng.random()
    if pick < 0.6:
        return ":".join([action, *values])
    if pick < 0.75:
        return "1/" + ":".join([action, *values])
    if pick < 0.85:
        return "9/" + ":".join([action, *values])
    return rng.choice(("", ":", "::::", "x" * 65, "ak:" + "9" * 60, "лг:en", "ak:1\n", "rv:ql:0", "r:cat:"))


@contextmanager
def failures_logged() -> Iterator[list[logging.LogRecord]]:
    """Every ERROR the bot logs while the fuzz runs (a caught crash is still a crash)."""
    found: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                found.append(record)

    handler = Catch()
    logger = logging.getLogger("wuye")
    logger.addHandler(handler)
    try:
        yield found
    finally:
        logger.removeHandler(handler)


def answered(inc: Incoming, outputs: list[Output]) -> bool:
    if inc.kind is Kind.BUTTON:
        return any(isinstance(o, Answer) for o in outputs)
    return any(isinstance(o, Send | Edit) for o in outputs)


@pytest.mark.slow  # ten thousand inputs (on SQLite; a fifth of them on PostgreSQL)
async def test_thousands_of_careless_and_hostile_inputs(world: World) -> None:
    await crowd(world, SEED, INPUTS if world.engine.dialect.name == "sqlite" else INPUTS // 5)


@slow_on_postgresql
@pytest.mark.parametrize("seed", SHORT_SEEDS)
async def test_a_few_hundred_careless_and_hostile_inputs(world: World, seed: int) -> None:
    await crowd(world, seed, SHORT_INPUTS)


async def crowd(world: World, seed: int, inputs: int) -> None:
    """`inputs` of the crowd's, drawn from `seed`, and the checks after them."""
    rng = random.Random(seed)
    talk = Talk(world.ctx)
    sent: list[Incoming] = []
    problems: list[str] = []
    await talk.command(WANG_MANAGER, "bind", chat=GROUPS[0])
    await talk.command(WU_STREET, "bind", chat=GROUPS[1])
    with failures_logged() as errors:
        for n in range(inputs):
            inc = make_input(rng, talk, world, n)
            outputs = talk.core.handle(inc)
            talk._show(outputs, inc.user_id)
            sent.append(inc)
            ignored = inc.chat_id < 0 and inc.kind is not Kind.BUTTON  # a group's own talk may go unanswered
            if not answered(inc, outputs) and not ignored:
                problems.append(f"input {n} not answered: {describe(inc)}")
            if inc.command == "cancel" and talk.state(inc.user_id, inc.chat_id) is not None:
                problems.append(f"input {n}: /cancel left a conversation: {describe(inc)}")
            if rng.random() < 0.02:  # a replay: Telegram delivers the same update again
                again = rng.choice(sent)
                if talk.core.handle(again) != []:
                    problems.append(f"input {n}: a replay of update {again.update_id} was handled again")
            if n % 100 == 0:  # the crowd also files real reports, so there is something to press on
                owner = rng.choice((ZHANG_OWNER, HO_OWNER, SMITH_OWNER))
                filed = None
                with contextlib.suppress(UserError, AssertionError):  # they may have deleted their data
                    filed = world.report(
                        owner, description=rng.choice(TEXTS[:2]), privacy=rng.choice(list(Privacy))
                    )
                if filed is not None:
                    await talk.outbox.drain()
                    await acknowledge_from_card(talk, filed.id or 0, problems)
            if n % 25 == 0:
                if rng.random() < 0.3:
                    world.clock.advance(timedelta(hours=rng.choice((1, 5, 30))))
                ladder.sweep(world.ctx)
                await talk.outbox.drain()
            if len(problems) > 20:
                break
    traceback = logging.Formatter().formatException
    failed = [f"{r.name}: {r.getMessage()}\n{traceback(r.exc_info) if r.exc_info else ''}" for r in errors]
    replay = f"WUYE_FUZZ_SEED={seed} WUYE_FUZZ_INPUTS={inputs} and the big run to replay"
    assert (problems, failed) == ([], []), f"seed {seed}, {inputs} inputs ({replay})"
    # Every ticket's history is a walk through the lifecycle table, ending where the ticket stands.
    with world.ctx.uow() as uow:
        for ticket in uow.tickets.of_estates([e.id or 0 for e in uow.estates.all()], EVERY_STATUS):
            events = uow.events.of_ticket(ticket.id or 0)
            at = None
            for e in events:
                assert e.from_status == at or e.from_status is None and at is None, (seed, ticket.number, e)
                assert (
                    e.to_status == next_status(e.from_status or e.to_status, e.event) or e.from_status is None
                )
                at = e.to_status
            assert at == ticket.status, (seed, ticket.number)
    assert len(sent) == inputs
    # The crowd got somewhere: reports were filed and moved on, presses acted (so the checks above saw
    # real conversations, not ten thousand refusals).
    with world.ctx.uow() as uow:
        every = uow.tickets.of_estates([e.id or 0 for e in uow.estates.all()], EVERY_STATUS)
        moved = [t for t in every if t.status not in (Status.NEW, Status.ASSIGNED)]
    assert len(every) >= 3 and moved, (seed, len(every), len(moved))


async def acknowledge_from_card(talk: Talk, ticket_id: int, problems: list[str]) -> None:
    """Whoever got the new ticket's card presses its 签收, as staff do: the crowd's random presses alone
    may never hit a live ticket's button (which seeds do changes with every new button layout), and the
    checks after the crowd are about tickets that moved."""
    data = f"1/ak:{ticket_id}"
    cards = [s for s in talk.seen if f"ak:{ticket_id}" in s.buttons]
    if not cards:  # at night an ordinary ticket's card waits for the morning
        return
    card = cards[-1]
    outputs = await talk.press(card.chat_id, data, message_id=card.message_id)
    if not any(isinstance(o, Answer) for o in outputs):
        problems.append(f"ticket {ticket_id}: 签收 on its card was not answered")


def describe(inc: Incoming) -> str:
    what = f"{inc.command or ''} {inc.text[:40]!r} {inc.data!r}"
    return f"{inc.kind.value} from {inc.user_id} in {inc.chat_id}: {what}"


def ticket_ids(world: World) -> list[int]:
    """Every ticket's id, in the order of the repository's lists (due first, then the rest): read as ids
    alone, since a twelfth of the crowd's inputs ask and loading every ticket made half the test's time."""
    order = (col(TicketRow.due_at).nulls_last(), col(TicketRow.id))
    with world.engine.connect() as connection:
        return list(connection.scalars(select(TicketRow.id).order_by(*order)))


def make_input(rng: random.Random, talk: Talk, world: World, n: int) -> Incoming:
    user = rng.choice(PEOPLE)
    chat = user if rng.random() < 0.85 else rng.choice(GROUPS)
    base = Incoming(
        chat_id=chat,
        user_id=user,
        user_name=rng.choice(("张", "", "x" * 300, str(user))),
        kind=Kind.TEXT,
        chat_type="private" if chat > 0 else "supergroup",
        chat_title=None if chat > 0 else "物业群",
        language_code=rng.choice((None, "zh-hans", "zh-hant", "en", "fr", "")),
        update_id=10_000 + n,
    )
    roll = rng.random()
    shown = talk.buttons(chat, limit=30)  # the newest thirty: what a press below picks from
    if roll < 0.3 and shown:  # a button this chat was shown, pressed now (maybe long after)
        data, message = rng.choice(shown[:30])
        return replace(
            base, kind=Kind.BUTTON, data=encode_again(data), callback_id=f"c{n}", message_id=message
        )
    if roll < 0.42:
        return replace(
            base,
            kind=Kind.BUTTON,
            data=forged(rng, ticket_ids(world)),
            callback_id=f"c{n}",
            message_id=rng.randint(1, 10**6),
        )
    if roll < 0.62:
        args = rng.choice(("", "EHB7QK4M9W", "SNOPE", noise(rng)[:100], "2026Q3"))
        return replace(base, kind=Kind.COMMAND, command=rng.choice(COMMANDS), text=args)
    if roll < 0.85:
        return replace(base, text=rng.choice(TEXTS) if rng.random() < 0.7 else noise(rng))
    if roll < 0.92:
        return replace(
            base, kind=Kind.PHOTO, file_id=f"p{n}", file_unique_id=f"u{n}",
            file_size=rng.choice((None, 1000, 25 * 2**20)), text=rng.choice(("", "caption")),
        )  # fmt: skip
    if roll < 0.97:
        return replace(
            base, kind=Kind.DOCUMENT, file_id=f"d{n}", file_unique_id=f"u{n}",
            file_size=rng.choice((None, 10, 25 * 2**20)),
            mime_type=rng.choice(("application/pdf", "text/csv", "application/x-msdownload", None)),
            file_name=rng.choice(("x.xlsx", "a.csv", "virus.exe", "../../etc/passwd", None)),
            fetch=lambda: rng.choice((b"", b"PK\x03\x04garbage", "季度,2026Q3\n".encode(), b"\x00" * 100)),
        )  # fmt: skip
    if chat < 0:
        return replace(base, kind=Kind.MEMBERSHIP, text=rng.choice(("added", "removed")))
    return replace(base, kind=Kind.OTHER, other=rng.choice(("sticker", "voice", "location", "contact")))


def encode_again(data: str) -> str:
    """Buttons are recorded without their version prefix; press them as Telegram would send them,
    with it (or, now and then, as a button from before the prefix)."""
    action, *args = data.split(":")
    try:
        return encode(action, *[int(a) if a.lstrip("-").isdigit() else a for a in args])
    except ValueError:
        return data
