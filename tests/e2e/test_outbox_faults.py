"""The outbox (bot/delivery/outbox.py) delivering through the real front ends to a misbehaving Bot API.

python-telegram-bot and aiogram are pointed at the stand-in server, which answers 5xx, 429, 403 or
answers too late when told to. The database is a real SQLite file; the use-case clock is a
FixedClock the test moves (it decides when a backed-off notification is due again), while the rate
limiter waits in real time — so spacing is asserted on the stand-in's own arrival timestamps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.delivery.pace import Pace, RateLimiter
from bot.telegram.front_aiogram import AiogramFrontEnd
from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.runtime import Runtime
from bot.wiring import App
from handlers.clock import FixedClock
from handlers.conversations.core import Core
from handlers.domain.notifications import GroupBinding, Notification
from handlers.domain.people import Person, Role, RoleKind
from handlers.rules.policy import Rung
from handlers.services.ladder import sweep
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

FRONTS = pytest.mark.parametrize("front", ["ptb", "aiogram"])
# Monday 23 November 2026, 10:00 in Shanghai: a working day, inside office hours.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SENDS = ("sendMessage",)
JITTER = 0.25


@asynccontextmanager
async def outbox_on(
    front: str, server: StandInBotAPI, app: App, limiter: Pace | None = None
) -> AsyncIterator[Outbox]:
    """An outbox whose way out is the real front end's `deliver`, pointed at the stand-in; at a pace of
    milliseconds unless `limiter` is given (Telegram's, for the tests about the pace)."""
    pace = limiter or P.fast_pace()
    translations = shared_translations(tz=app.settings.zone)
    runtime = Runtime(app.ctx, Core(app.ctx, translations), translations.for_lang, engine=app.engine)
    if front == "ptb":
        ptb = PtbFrontEnd(runtime, server.token, server.url)
        await ptb.application.initialize()
        try:
            yield Outbox(app.ctx, translations.for_lang, ptb.deliver, limiter=pace)
        finally:
            await ptb.application.shutdown()
    else:
        aio = AiogramFrontEnd(runtime, server.token, server.url)
        aio.bot.session.timeout = 1.5  # the client gives up on an answer after 1.5 s
        try:
            yield Outbox(app.ctx, translations.for_lang, aio.deliver, limiter=pace)
        finally:
            await aio.bot.session.close()


def world(tmp_path: Path, server: StandInBotAPI) -> tuple[App, FixedClock]:
    app, clock = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", MONDAY)
    P.know_everyone(server)
    return app, clock


def notifications(app: App) -> list[Notification]:
    with app.ctx.uow() as uow:
        return [n for n in uow.notifications.pending(MONDAY + timedelta(days=3650), 10_000)] + [
            n for n in _finished(app)
        ]


def _finished(app: App) -> list[Notification]:
    ids = [
        i
        for (i,) in P.rows(
            app.engine,
            "SELECT id FROM notification WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL ORDER BY id",
        )
    ]
    with app.ctx.uow() as uow:
        return [n for i in ids if (n := uow.notifications.get(i)) is not None]


def one(app: App, **where: Any) -> Notification:
    found = [n for n in notifications(app) if all(getattr(n, k) == v for k, v in where.items())]
    assert len(found) == 1, found
    return found[0]


def telegram_id(app: App, person_id: int) -> int:
    with app.ctx.uow() as uow:
        person = uow.people.get(person_id)
    assert person is not None and person.telegram_id is not None
    return person.telegram_id


def send_calls(server: StandInBotAPI, chat: int | None = None) -> list[Any]:
    return [
        c for c in server.calls if c.method in SENDS and (chat is None or int(c.params["chat_id"]) == chat)
    ]


@FRONTS
async def test_5xx_is_retried_with_growing_backoff_then_delivered_once(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    [ticket] = P.open_tickets(app, 1)
    assigned = one(app, kind="ticket.assigned")
    chat = telegram_id(app, assigned.person_id)
    botapi.fail_next(2, 502, methods=SENDS)
    async with outbox_on(front, botapi, app) as outbox:
        waits = []
        for attempt in (1, 2):
            assert await outbox.drain() == 0
            row = one(app, id=assigned.id)
            assert row.attempts == attempt and row.sent_at is None and row.failed_at is None
            assert row.not_before is not None
            wait = (row.not_before - clock.now()).total_seconds()
            # capped exponential backoff with jitter: 2**attempts seconds, times 0.5 to 1
            assert 2.0**attempt * 0.5 <= wait <= 2.0**attempt, wait
            waits.append(wait)
            assert await outbox.drain() == 0  # not due yet: nothing is sent before the backoff is over
            assert len(send_calls(botapi)) == attempt
            clock.advance(timedelta(seconds=wait))
        assert await outbox.drain() == 1
    assert [c.status for c in send_calls(botapi)] == [502, 502, 200]
    assert len(botapi.sent(chat)) == 1 and one(app, id=assigned.id).outcome == "sent"
    assert outbox.stats.retried == 2 and outbox.stats.sent == 1
    assert ticket


@FRONTS
async def test_an_outage_of_502s_delays_every_message_and_loses_or_doubles_none(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    P.open_tickets(app, 6)
    owed = len(notifications(app))
    async with outbox_on(front, botapi, app) as outbox:
        # The outage begins once the front end is up (its start-up can take longer than the outage on a
        # busy machine, and then no send would meet it).
        botapi.fail_with(502, for_seconds=1.0, methods=SENDS)
        rounds = 0
        while P.undelivered(app.engine) and rounds < 40:
            await outbox.drain()
            clock.advance(timedelta(seconds=30))
            # The outage is a second of real time: a tenth of it passes between rounds (the backoff's
            # thirty seconds on the test's clock), so it ends within the forty rounds at any pace.
            await asyncio.sleep(0.1)
            rounds += 1
    assert P.undelivered(app.engine) == 0
    assert outbox.stats.retried >= 1  # the outage was felt
    assert {n.outcome for n in notifications(app)} == {"sent"}
    assert len(botapi.sent()) == owed and not P.doubled(botapi)


@FRONTS
async def test_429_waits_at_least_retry_after_then_delivers_once(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    P.open_tickets(app, 1)
    assigned = one(app, kind="ticket.assigned")
    chat = telegram_id(app, assigned.person_id)
    botapi.fail_next(1, 429, methods=SENDS, retry_after=2)
    async with outbox_on(front, botapi, app) as outbox:
        assert await outbox.drain() == 0
        row = one(app, id=assigned.id)
        assert row.not_before == clock.now() + timedelta(seconds=2)
        assert await outbox.drain() == 0 and len(send_calls(botapi)) == 1  # not before retry_after
        clock.advance(timedelta(seconds=2))
        assert await outbox.drain() == 1
    refused, accepted = send_calls(botapi)
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 2.0 - 0.01  # the stand-in's own clock: retry_after was honoured
    assert len(botapi.sent(chat)) == 1 and outbox.stats.rate_limited == 1


@FRONTS
async def test_a_blocked_assignee_is_marked_unreachable_and_the_ladder_goes_on_without_them(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    [ticket_id] = P.open_tickets(app, 1)
    assigned = one(app, kind="ticket.assigned")
    assignee = telegram_id(app, assigned.person_id)
    botapi.block(assignee)
    with app.ctx.uow() as uow:
        ticket = uow.tickets.get(ticket_id)
        assert ticket is not None
        managers = sorted(
            telegram_id(app, p)
            for p in [r.person_id for r in uow.roles.at_estate(ticket.estate_id, _manager())]
        )
        assert assignee not in managers and managers
    async with outbox_on(front, botapi, app) as outbox:
        await outbox.drain()
        row = one(app, id=assigned.id)
        assert (row.outcome, row.sent_at) == ("rerouted", None) and row.failed_at is not None
        with app.ctx.uow() as uow:
            person = uow.people.get(assigned.person_id)
            assert person is not None and person.unreachable
        stand_ins = [n for n in notifications(app) if n.params.get("instead_of") == assigned.person_id]
        assert sorted(telegram_id(app, n.person_id) for n in stand_ins) == managers
        assert {n.outcome for n in stand_ins} == {"sent"}
        for manager in managers:
            assert len(botapi.sent(manager)) == 1
        assert botapi.sent(assignee) == []

        # The ladder does not stall on them: past the deadline, reminders meant for the assignee are
        # rerouted too, and every rung is escalated and delivered.
        clock.advance(timedelta(days=30))
        report = sweep(app.ctx)
        assert report.failed == 0 and report.steps
        for _ in range(5):
            await outbox.drain()
    assert P.undelivered(app.engine) == 0
    done = notifications(app)
    assert {n.outcome for n in done} <= {"sent", "rerouted"}
    for blocked in [n for n in done if n.outcome == "rerouted"]:
        assert any(n.params.get("instead_of") == blocked.person_id and n.outcome == "sent" for n in done)
    rungs = {e[1] for e in P.escalations(app.engine) if e[0] == ticket_id}
    assert rungs == {r.value for r in (Rung.MANAGER, Rung.COMMUNITY, Rung.STREET, Rung.BUREAU)}
    assert (
        botapi.sent(assignee) == [] and len([c for c in send_calls(botapi, assignee) if c.status == 403]) >= 2
    )


def _manager() -> RoleKind:

    return RoleKind.MANAGER


@FRONTS
async def test_a_send_that_times_out_is_counted_uncertain_and_not_sent_again(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    P.open_tickets(app, 1)
    assigned = one(app, kind="ticket.assigned")
    chat = telegram_id(app, assigned.person_id)
    # Longer than the client waits (PTB's default read timeout is 5 s; aiogram's set to 1.5 s above);
    # the stand-in then delivers it anyway, as Telegram does.
    botapi.delay(6.0 if front == "ptb" else 2.5, methods=SENDS)
    async with outbox_on(front, botapi, app) as outbox:
        assert await outbox.drain() == 1
        assert outbox.stats.uncertain == 1
        row = one(app, id=assigned.id)
        assert row.outcome == "uncertain" and row.sent_at is not None and row.parts_sent == 1
        assert "may have been delivered" in (row.last_error or "")
        await botapi.wait_for_messages(chat, 1, timeout=10)  # the late request did arrive
        botapi.delay(0)
        clock.advance(timedelta(hours=1))
        assert await outbox.drain() == 0  # and it is not resent
    assert len(send_calls(botapi)) == 1 and len(botapi.sent(chat)) == 1
    with app.ctx.uow() as uow:
        assert uow.notifications.counts(clock.now()).get("uncertain") == 1


@FRONTS
@pytest.mark.slow  # Telegram's own pace, in real time: seconds per chat
async def test_rate_limits_per_private_chat_per_group_and_overall(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    [ticket_id] = P.open_tickets(app, 1)
    group = -1001234567890
    botapi.add_chat(group, "海滨花园物业群", type="supergroup")
    now = clock.now()
    with app.ctx.uow() as uow:
        manager = uow.people.by_telegram_id(100001)
        assert manager is not None and manager.id is not None
        crowd = []
        estate = uow.estates.by_key("haibin")
        assert estate is not None
        for i in range(45):  # 45 people, one message each: more than 30 a second would be owed
            person = uow.people.add(
                Person(f"业主{i}", telegram_id=300000 + i, language="zh_Hans", created_at=now)
            )
            # committee members: people the ticket may be shown to (a message is drawn for who may read it)
            uow.roles.add(Role(person.id or 0, RoleKind.COMMITTEE, estate_id=estate.id))
            crowd.append(person)
            botapi.add_user(300000 + i, f"u{i}")
        uow.groups.put(GroupBinding(group, manager.id, now, estate_id=estate.id))  # the company's group
        owed: list[tuple[int, int | None, str]] = [(p.id or 0, None, f"c{p.id}") for p in crowd]
        owed += [(manager.id, None, f"m{i}") for i in range(4)]  # four to one private chat
        owed += [(manager.id, group, f"g{i}") for i in range(3)]  # three to one group
        for person_id, chat_id, tag in owed:
            assert uow.notifications.add(
                Notification(
                    key=f"ticket.comment:t{ticket_id}:{tag}",
                    person_id=person_id,
                    kind="ticket.comment",
                    params={"comment": f"评论 {tag}"},
                    created_at=now,
                    ticket_id=ticket_id,
                    chat_id=chat_id,
                )
            )
        uow.commit()
    async with outbox_on(front, botapi, app, RateLimiter()) as outbox:
        while P.undelivered(app.engine):
            assert await outbox.drain() > 0
    # The limiter books slots on its own clock; the stand-in stamps each request when it arrives. The
    # two share this test's event loop (and PTB's connection pool), which can bunch arrivals by a
    # fraction of a second, so every bound below allows JITTER seconds of it (and no more).
    arrivals = sorted((c.at, int(c.params["chat_id"])) for c in send_calls(botapi) if c.status == 200)
    assert len(arrivals) == len(owed) + 1  # and the ticket's own assignment card
    per_chat: dict[int, list[float]] = {}
    for at, chat in arrivals:
        per_chat.setdefault(chat, []).append(at)

    def gaps(chat: int) -> list[float]:
        times = per_chat[chat]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    # one message a second per private chat
    assert len(per_chat[100001]) == 4
    assert all(g >= 1.0 - JITTER for chat in per_chat if chat > 0 for g in gaps(chat)), per_chat
    # twenty a minute per group: one every three seconds
    assert len(per_chat[group]) == 3 and all(g >= 3.0 - JITTER for g in gaps(group)), gaps(group)
    # about thirty a second overall: any n consecutive sends span at least (n - 1) / 30 s
    times = [at for at, _ in arrivals]
    worst = min(
        (times[j] - times[i]) - (j - i) / 30.0 for i in range(len(times)) for j in range(i + 1, len(times))
    )
    assert worst >= -JITTER, worst
    assert not P.doubled(botapi)


@FRONTS
async def test_a_429_lets_the_chats_other_messages_go_at_once_and_all_follow_within_seconds(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    app, clock = world(tmp_path, botapi)
    [ticket_id] = P.open_tickets(app, 1)
    now = clock.now()
    with app.ctx.uow() as uow:
        official = uow.people.by_telegram_id(100051)  # a street official: a busy chat
        assert official is not None and official.id is not None
        for i in range(3):
            uow.notifications.add(
                Notification(
                    key=f"ticket.comment:t{ticket_id}:w{i}", person_id=official.id, kind="ticket.comment",
                    params={"comment": f"第{i + 1}条"}, created_at=now, ticket_id=ticket_id,
                )
            )  # fmt: skip
        uow.commit()
    botapi.fail_next(1, 429, methods=SENDS, retry_after=1, chat_id=100051)
    async with outbox_on(front, botapi, app) as outbox:
        await outbox.drain()
        with app.ctx.uow() as uow:
            mine = (n for n in uow.notifications.all() if n.person_id == official.id)
            rows = [n for n in mine if n.key.endswith(("w0", "w1", "w2"))]
        first, *rest = sorted(rows, key=lambda n: n.id or 0)
        assert first.sent_at is None and first.not_before is not None
        # The others are not held under a two-minute lease: free at once, due when the first is.
        assert all(n.claimed_until is None and n.not_before == first.not_before for n in rest)
        clock.advance(timedelta(seconds=1))
        started = asyncio.get_running_loop().time()
        while P.undelivered(app.engine):
            assert await outbox.drain() > 0
        assert asyncio.get_running_loop().time() - started < 5
    texts = [c.params.get("text", "") for c in send_calls(botapi, 100051) if c.status == 200]
    ours = [t for t in texts if "条" in t]
    assert len(ours) == 3 and ["第1条" in ours[0], "第2条" in ours[1], "第3条" in ours[2]] == [True] * 3


@FRONTS
async def test_a_stop_lets_the_send_on_its_way_be_answered_and_recorded_and_sends_nothing_more(
    front: str, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    """Cut off after Telegram took it, a send would go out again after the restart: a stop waits for
    the answer and records it, starts no other send, and lets go of what it had claimed."""
    app, _ = world(tmp_path, botapi)
    P.open_tickets(app, 3)  # cards and notices for several people
    owed = P.undelivered(app.engine)
    botapi.delay(0.8, methods=SENDS)  # Telegram is slow to answer
    async with outbox_on(front, botapi, app) as outbox:
        # two sends a second: a send started after the stop would reach the stand-in half a second on
        outbox.limiter = RateLimiter(per_second=2.0)
        wake = asyncio.Event()
        running = asyncio.create_task(outbox.run_forever(wake))
        wake.set()
        await P.wait_for(lambda: send_calls(botapi), 10, "a send on its way")
        outbox.stopping.set()
        stopped_at = time.monotonic()
        wake.set()
        await asyncio.wait_for(running, 5)
        held = outbox.held()
        assert outbox.rows.release(held) == len(held)
    answered = [c for c in send_calls(botapi) if c.status == 200]
    assert answered and len(answered) == len(send_calls(botapi))  # none cut off
    # none started after the stop (the first may be a moment behind the stop on a busy machine)
    assert all(c.at <= stopped_at + 0.25 for c in send_calls(botapi))
    with app.ctx.uow() as uow:
        done = [n for n in uow.notifications.all() if n.sent_at is not None]
        claimed = [n for n in uow.notifications.all() if n.claimed_until is not None]
    assert len(done) == len(answered)  # each answered send recorded
    assert not claimed  # nothing left waiting for a lease to run out
    assert P.undelivered(app.engine) == owed - len(done) > 0
