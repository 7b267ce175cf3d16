"""`wuye run` killed with SIGKILL mid-sweep and mid-dispatch, then restarted: nothing lost, nothing doubled.

The bot runs as a real subprocess (the `wuye` console script) on a temporary SQLite file, talking to
the stand-in Bot API that this test's event loop serves. `wuye run` reads the real clock, so the
world is seeded with tickets reported 30 days ago: at start every rung of their ladder is due.

What may be doubled is only what README ("The ladder and the outbox") documents: a message Telegram
accepted in the moment before the process died, before its progress was committed. A private chat
is sent to one message at a time, so at most one message per chat per kill, and it must be one
that was in flight when the process died.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from handlers.rules.policy import RUNG_ORDER, Rung
from storage.engine import make_engine
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUNGS = [r.value for r in RUNG_ORDER if r is not Rung.ASSIGNEE]
IN_FLIGHT = 1.0  # seconds before a kill in which an answered send may not have been committed yet


def _at_least(server: StandInBotAPI, count: int) -> bool:
    return len(server.sent()) >= count


def check_exactly_once(engine: Engine, server: StandInBotAPI, tickets: list[int], kills: list[float]) -> int:
    """Every rung of every ticket escalated once; every owed message delivered once, apart from at
    most one in-flight message per chat per kill. Returns how many were doubled."""
    assert P.escalations(engine) == {(t, r): 1 for t in tickets for r in RUNGS}
    outcomes = dict(P.rows(engine, "SELECT outcome, count(*) FROM notification GROUP BY outcome"))
    assert set(outcomes) == {"sent"}, outcomes  # nothing waiting, failed, blocked or uncertain
    # Per chat: the messages the stand-in accepted against the parts the outbox committed as sent.
    # (A resent card is rendered afresh and may read differently, so copies are counted, not matched.)
    committed = P.committed_parts_by_chat(engine)
    received: dict[int, int] = {}
    for chat, _text in P.delivered_messages(server):
        received[chat] = received.get(chat, 0) + 1
    assert set(received) == set(committed)
    extra = {chat: received[chat] - committed[chat] for chat in committed}
    assert all(n >= 0 for n in extra.values()), f"lost: {extra}"  # nothing lost
    assert all(n <= len(kills) for n in extra.values()), f"doubled more than in flight: {extra}"
    for chat in [c for c, n in extra.items() if n]:
        # an extra copy in this chat means a send to it was in flight when the process was killed
        times = [at for at, to, _ in server.stats.deliveries if to == chat]
        assert any(kill - IN_FLIGHT <= at <= kill + 10 for at in times for kill in kills), chat
    return sum(extra.values())


async def test_killed_mid_sweep_the_restarted_bot_escalates_each_rung_once_and_delivers_everything(
    botapi: StandInBotAPI, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(30))
    tickets = P.open_tickets(app, 40)
    app.engine.dispose()
    engine = make_engine(url)
    P.know_everyone(botapi)
    everything = len(tickets) * len(RUNGS)

    first = P.start_wuye(url, botapi, tmp_path)
    with P.reaped(first):
        # The sweep commits ticket by ticket: kill it when some tickets are escalated and others not.
        await P.wait_for(lambda: P.escalations(engine), 60, "the first escalations", first, tmp_path)
        done_at_kill = sum(P.escalations(engine).values())
        kill_at = time.monotonic()
        await P.kill(first)
    swept_before = sum(P.escalations(engine).values())
    assert 0 < swept_before < everything, (
        f"the kill was meant to land mid-sweep but {swept_before} of {everything} escalations were done"
    )
    assert done_at_kill <= swept_before
    # a dead sweep leaves no ticket half-escalated: each ticket has all its rungs or none
    per_ticket: dict[int, int] = {}
    for (ticket, _rung), n in P.escalations(engine).items():
        per_ticket[ticket] = per_ticket.get(ticket, 0) + n
    assert set(per_ticket.values()) == {len(RUNGS)}

    second = P.start_wuye(url, botapi, tmp_path)
    with P.reaped(second):
        await P.wait_for(
            lambda: sum(P.escalations(engine).values()) == everything,
            60,
            "the rest of the sweep",
            second,
            tmp_path,
        )
        await P.wait_for(lambda: P.undelivered(engine) == 0, 240, "the outbox to drain", second, tmp_path)
        assert await P.stop(second) == 0
    doubled = check_exactly_once(engine, botapi, tickets, [kill_at])
    print(f"mid-sweep kill: {swept_before}/{everything} escalations before the kill, {doubled} doubled")
    engine.dispose()


async def test_killed_twice_mid_dispatch_the_outbox_resumes_and_sends_each_message_once(
    botapi: StandInBotAPI, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(30))
    tickets = P.open_tickets(app, 12)
    app.engine.dispose()
    engine = make_engine(url)
    P.know_everyone(botapi)
    botapi.delay(0.3, methods=P.SEND_METHODS)  # a slow Telegram: every send takes 0.3 s to answer
    kills: list[float] = []
    for round_ in range(2):
        proc = P.start_wuye(url, botapi, tmp_path, framework="aiogram")
        with P.reaped(proc):
            target = len(botapi.sent()) + 15
            await P.wait_for(
                partial(_at_least, botapi, target),
                90,
                f"15 more deliveries (round {round_})",
                proc,
                tmp_path,
            )
            in_flight = [c for c in botapi.calls if c.method in P.SEND_METHODS and c.status == 0]
            kills.append(time.monotonic())
            await P.kill(proc)
        assert P.undelivered(engine) > 0, "the backlog was meant to outlive the kill"
        print(f"kill {round_ + 1}: {len(in_flight)} sends in flight")

    last = P.start_wuye(url, botapi, tmp_path, framework="aiogram")
    with P.reaped(last):
        await P.wait_for(lambda: P.undelivered(engine) == 0, 240, "the outbox to drain", last, tmp_path)
        assert await P.stop(last) == 0
    doubled = check_exactly_once(engine, botapi, tickets, kills)
    print(f"mid-dispatch kills: {doubled} doubled of {len(botapi.sent())} messages")
    engine.dispose()
