"""Two `wuye run` processes on one PostgreSQL database share the work and do nothing twice; on SQLite a
second `wuye run` refuses to start.

Real processes (the `wuye` console script), a fresh PostgreSQL schema per test (as tests/conftest.py
makes), and the stand-in Bot API on this test's event loop. The world is seeded with tickets reported
30 days ago, so at start every rung of every ticket is due and both sweeps race for them.
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from handlers.rules.policy import RUNG_ORDER, Rung
from storage.engine import make_engine
from storage.pacing import SharedPace
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop

RUNGS = [r.value for r in RUNG_ORDER if r is not Rung.ASSIGNEE]
OTHER_TOKEN = "654321:AAsecond-instance-token-0123456789abcd"


def _started(workdir: Path) -> bool:
    return "running as" in P.output_of(workdir)


@pytest.mark.postgres
async def test_two_processes_on_postgresql_never_escalate_a_ticket_twice_nor_send_a_message_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    app, _ = P.world_app(postgres_url, P.days_ago(30))
    engine = make_engine(postgres_url, poolclass=NullPool)
    async with StandInBotAPI() as server:
        P.know_everyone(server)
        # One bot, two processes behind a (notional) webhook load balancer, one on each framework.
        # Messages to one chat a fifth of a second apart (not Telegram's second: the test would take
        # minutes), kept by the pace both share in the database.
        paced = {"WUYE_CHAT_INTERVAL": "0.2", "WUYE_GROUP_INTERVAL": "0.6", "WUYE_SEND_RATE": "28.5"}
        first = P.start_wuye(
            postgres_url,
            server,
            tmp_path / "a",
            framework="ptb",
            **P.webhook_settings(P.free_port()),
            **paced,
        )
        second = P.start_wuye(
            postgres_url,
            server,
            tmp_path / "b",
            framework="aiogram",
            **P.webhook_settings(P.free_port()),
            **paced,
        )
        with P.reaped(first, second):
            for proc, where in ((first, tmp_path / "a"), (second, tmp_path / "b")):
                await P.wait_for(partial(_started, where), 60, "start-up", proc, where)
            # Both are sweeping and dispatching now; tickets that are 30 days overdue arrive while they do.
            tickets: list[int] = []
            for _ in range(6):
                tickets += await asyncio.to_thread(P.open_tickets, app, 5)
                await asyncio.sleep(1.5)
            app.engine.dispose()
            await P.wait_for(
                lambda: sum(P.escalations(engine).values()) == len(tickets) * len(RUNGS),
                90,
                "every rung of every ticket",
                first,
                tmp_path / "a",
            )
            await P.wait_for(
                lambda: P.undelivered(engine) == 0, 240, "the outbox to drain", second, tmp_path / "b"
            )
            assert await P.stop(first) == 0, P.output_of(tmp_path / "a")
            assert await P.stop(second) == 0, P.output_of(tmp_path / "b")

        # each due rung of each ticket escalated exactly once, though both sweeps saw it due
        assert P.escalations(engine) == {(t, r): 1 for t in tickets for r in RUNGS}
        outcomes = dict(P.rows(engine, "SELECT outcome, count(*) FROM notification GROUP BY outcome"))
        assert set(outcomes) == {"sent"}, outcomes
        # each message the outbox owed arrived exactly once, from one bot or the other
        committed = P.committed_parts_by_chat(engine)
        received: dict[int, int] = {}
        for chat, _ in P.delivered_messages(server):
            received[chat] = received.get(chat, 0) + 1
        assert received == committed
        assert not P.doubled(server)
        # Both processes were up the whole time (each printed its start line and stopped cleanly).
        # Telegram's limits are the bot's, so the two together kept one chat's pace (storage/pacing.py):
        # no two messages to one chat much closer than the interval (less what a busy machine adds
        # between a slot and its arrival), whoever sent them. Each with its own limiter: 0.013 s.
        gaps: list[float] = []
        last: dict[int, float] = {}
        for at, chat, _ in sorted(server.stats.deliveries):
            if chat in last:
                gaps.append(at - last[chat])
            last[chat] = at
        assert min(gaps) > 0.1, f"two messages to one chat {min(gaps):.3f} s apart"
        print(f"two instances: {sum(committed.values())} messages, closest two to one chat {min(gaps):.3f} s")
    engine.dispose()


class _Recorded(SharedPace):
    """The shared pace, noting the slot each message goes out in (the database's clock)."""

    def __init__(self, engine: Engine, slots: list[tuple[int, datetime]]) -> None:
        super().__init__(engine, per_second=28.5, private_interval=0.2, group_interval=0.6)
        self.slots = slots

    def _sent_at(self, chat_id: int, slot: datetime) -> None:
        self.slots.append((chat_id, slot))


@pytest.mark.postgres
async def test_two_instances_sending_to_one_chat_behind_a_fan_out_keep_its_pace(postgres_url: str) -> None:
    """What the pace promises: the slots two instances send one chat's messages in are its interval
    apart, though a fan-out to other chats holds each of them back in the overall pace. (Arrivals at a
    stand-in server are not what it promises: a busy machine delays one message's arrival after its
    slot and not the next one's.) Before, an instance took the chat's next slot while the other's
    message was still waiting for an overall slot, which then came later than its chat slot: the two
    went out an overall slot (0.035 s) apart."""
    app, _ = P.world_app(postgres_url, P.days_ago(0))
    app.engine.dispose()
    engine = make_engine(postgres_url, poolclass=NullPool)
    slots: list[tuple[int, datetime]] = []
    first, second = _Recorded(engine, slots), _Recorded(engine, slots)
    chat = 4242

    async def messages_to_the_chat(pace: SharedPace) -> None:  # one after another, as an outbox does
        for _ in range(4):
            await pace.wait(chat)

    async def fan_out(pace: SharedPace, chats: range) -> None:
        await asyncio.gather(*(pace.wait(other) for other in chats))

    await asyncio.gather(
        fan_out(first, range(10_000, 10_030)),
        messages_to_the_chat(first),
        fan_out(second, range(20_000, 20_030)),
        messages_to_the_chat(second),
    )
    engine.dispose()
    ours = sorted(slot for to, slot in slots if to == chat)
    assert len(ours) == 8 and len(slots) == 68
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(ours, ours[1:], strict=False)]
    assert min(gaps) >= 0.2, f"two messages to one chat {min(gaps):.3f} s apart: {gaps}"


async def test_a_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    app.engine.dispose()
    async with StandInBotAPI() as server:
        first = P.start_wuye(url, server, tmp_path / "a")
        with P.reaped(first):
            await P.wait_for(
                lambda: "running as" in P.output_of(tmp_path / "a"),
                60,
                "the first to start",
                first,
                tmp_path / "a",
            )
            env = P.wuye_env(url, server, token=OTHER_TOKEN)
            second = await asyncio.to_thread(
                subprocess.run,
                [str(P.WUYE), "run"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert first.poll() is None  # the first one is unharmed
            assert await P.stop(first) == 0
    assert second.returncode == 2
    [line] = second.stderr.strip().splitlines()
    assert line == (
        f"wuye: another wuye process (pid {first.pid}) is running on this SQLite database; SQLite allows "
        "one process — stop it, or use PostgreSQL (WUYE_DATABASE_URL) to run several"
    )
    assert "running as" not in second.stdout
    assert server.calls_to("getMe", token=OTHER_TOKEN) == []  # refused before it touched Telegram


def test_a_dispatcher_whose_lease_ran_out_leaves_the_rest_to_the_one_that_took_it_over(
    database_url: str,
) -> None:
    """A chat's queue can outlast the two-minute lease (one message a second per chat); when another
    dispatcher re-claims what is left, the first must not send it too."""
    from datetime import timedelta

    from bot.delivery.outbox import Outbox
    from bot.delivery.outbox_rows import LEASE
    from tests.support.translations import shared_translations

    app, clock = P.world_app(database_url, P.days_ago(0))
    P.open_tickets(app, 3)
    translators = shared_translations().for_lang

    async def never(part: object) -> int:
        raise AssertionError("nothing is sent in this test")

    first, second = Outbox(app.ctx, translators, never), Outbox(app.ctx, translators, never)
    taken = first.rows.claim(first.batch)
    assert len(taken) == 3
    held = {n.id: n.claimed_until for n in taken}  # the leases the first holds
    [one, *rest] = taken
    clock.advance(LEASE - timedelta(seconds=10))  # a long queue: the first is still busy...
    n, parts, renewed = first.rows.load(one.id or 0, held[one.id])  # ... and starts on this one, renewing it
    assert n is not None and parts and renewed == clock.now() + LEASE
    clock.advance(timedelta(seconds=11))  # the leases it took at the start have now run out
    retaken = second.rows.claim(second.batch)
    assert {r.id for r in retaken} == {r.id for r in rest}  # the renewed one is still the first's
    theirs = {n.id: n.claimed_until for n in retaken}
    for item in rest:
        n, parts, renewed = first.rows.load(item.id or 0, held[item.id])
        assert n is not None and parts is None and renewed is None  # lost: the first leaves it alone
        n, parts, renewed = second.rows.load(item.id or 0, theirs[item.id])
        assert n is not None and parts and renewed  # the second sends it
    app.engine.dispose()
