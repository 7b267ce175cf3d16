"""The core's child process on its own (bot/processes/core_process.py): database work by name, and what a
restart after the child died does with the outbox's leases. The turns themselves are covered end to end in
tests/e2e/test_loop.py, through `wuye run` on both frameworks and doors."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.delivery.outbox import Outbox
from bot.delivery.outbox_rows import LEASE, MAX_ATTEMPTS, OutboxRows
from bot.delivery.sending import DeliveryError, Failure
from bot.processes.core_process import CoreProcesses, TurnFailed
from bot.wiring import App
from handlers.clock import FixedClock
from handlers.conversations.io import Edit, Incoming, Kind, Send
from handlers.domain.notifications import Notification, Outcome
from handlers.services.context import Context
from tests.support import processes as P
from tests.support.translations import shared_translations

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop


@contextlib.asynccontextmanager
async def core_processes(url: str, **settings: Any) -> AsyncIterator[tuple[App, CoreProcesses]]:
    """The example world in `url` and one core process on it (`settings`: more of wuye's), stopped
    afterwards."""
    app, _ = P.world_app(url, P.days_ago(0))
    processes = CoreProcesses(load_settings(database_url=url, **settings), 1)
    await processes.start()
    try:
        yield app, processes
    finally:
        await processes.stop()
        app.engine.dispose()


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[tuple[App, CoreProcesses]]:
    async with core_processes(f"sqlite:///{tmp_path / 'wuye.db'}") as running:
        yield running


async def never(part: Send | Edit) -> int | None:
    raise AssertionError(f"nothing is sent here: {part}")


async def test_the_core_process_claims_for_as_long_as_wuye_outbox_lease_says(tmp_path: Path) -> None:
    async with core_processes(f"sqlite:///{tmp_path / 'wuye.db'}", outbox_lease=30) as (app, processes):
        P.open_tickets(app, 1)  # the assignee's card
        outbox = Outbox(app.ctx, shared_translations().for_lang, deliver=never, run_db=processes.call)
        before = datetime.now(UTC)
        [claimed] = await processes.call(
            outbox.rows.claim, outbox.batch
        )  # the child's own rows claim, on its clock
        after = datetime.now(UTC)
    assert claimed.claimed_until is not None
    assert before + timedelta(seconds=30) <= claimed.claimed_until <= after + timedelta(seconds=30)


def kill_core(processes: CoreProcesses) -> tuple[Any, Any]:
    """(the child, its process), the process killed as the kernel's OOM killer would."""
    child = processes.children[0]
    first = child.process
    assert first is not None and first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    return child, first


async def test_the_outbox_keeps_its_leases_when_the_core_process_dies_and_delivers_without_waiting(
    database_url: str,
) -> None:
    """The outbox delivers from the bot's process and does its transactions in the core process; the
    leases it holds are known on its side, so a replaced core process renews them at once rather than
    leaving the notifications for minutes until the leases run out (as on PostgreSQL they did)."""
    async with core_processes(database_url) as (app, processes):
        P.open_tickets(app, 3)  # each queues the assignee's card
        child = processes.children[0]
        first = child.process
        assert first is not None and first.pid is not None
        killed, message_ids = False, itertools.count(1)

        async def deliver(part: Send | Edit) -> int:
            nonlocal killed
            if not killed:  # the first card goes out, then the core process dies before it is recorded
                killed = True
                os.kill(first.pid or 0, signal.SIGKILL)
                await asyncio.to_thread(first.join, 10)
            return next(message_ids)

        outbox = Outbox(
            app.ctx, shared_translations().for_lang, deliver, run_db=processes.call, limiter=P.fast_pace()
        )
        finished = await asyncio.wait_for(outbox.drain(), 60)  # one drain: nobody waits for a lease
        assert killed and child.process is not first
        assert finished == 3 and outbox.stats.sent == 3
        assert P.scalar(app.engine, "SELECT count(*) FROM notification WHERE sent_at IS NULL") == 0


def _claim_count(ctx: Context, now: datetime) -> int:
    """Run in the child (by reference): what the outbox's claim would find now."""
    with ctx.uow() as uow:
        found = uow.notifications.claim(now, 100, now + LEASE)
        uow.commit()
    return len(found)


def outbox_rows(database_url: str, tickets: int) -> tuple[App, FixedClock, OutboxRows]:
    """The example world on a clock fixed at now, with `tickets` new ones (their cards queued), and the
    outbox's transactions on it, as a core process runs them."""
    app, clock = P.world_app(database_url, P.days_ago(0))
    P.open_tickets(app, tickets)
    return app, clock, OutboxRows(app.ctx, shared_translations().for_lang)


def test_a_lease_renewal_sent_again_after_the_core_process_died_finds_the_lease_still_its_own(
    database_url: str,
) -> None:
    """A core process that dies between committing the outbox's renewal of a lease and answering it: the
    front end sends the same request to its successor, which finds the lease moved on from the one the
    outbox holds. It is still the outbox's own (nobody may take it before it ends), not "lost to
    another dispatcher", which left the notification unsent until the lease ran out (seen under load:
    the test above sent 2 of its 3)."""
    app, clock, rows = outbox_rows(database_url, tickets=1)
    [claimed] = rows.claim(10)
    assert claimed.id is not None and claimed.claimed_until is not None
    clock.advance(timedelta(seconds=2))
    _, parts, _ = rows.load(claimed.id, claimed.claimed_until)  # committed; the answer died with the process
    assert parts
    clock.advance(timedelta(seconds=3))
    n, parts, renewed = rows.load(claimed.id, claimed.claimed_until)  # the same request, to the successor
    assert n is not None and parts and renewed == clock.now() + LEASE
    app.engine.dispose()


def _notification(app: App, notification_id: int) -> Notification:
    with app.ctx.uow() as uow:
        found = uow.notifications.get(notification_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("error", "decided"),
    [
        (DeliveryError(Failure.TRANSIENT, "502 Bad Gateway"), (False, "retried")),
        (DeliveryError(Failure.RETRY_AFTER, "flood", retry_after=30), (False, "rate_limited")),
        (DeliveryError(Failure.BLOCKED, "bot was blocked by the user"), (True, Outcome.BLOCKED)),
    ],
)
def test_a_failure_sent_again_after_the_core_process_died_counts_the_attempt_once(
    database_url: str, error: DeliveryError, decided: tuple[bool, str]
) -> None:
    """A core process that dies between committing a failed send and answering it: the front end sends
    the same request to its successor, which must neither count the attempt again nor push the next try
    further, and answers what the first run decided (the caller never heard it: it counts the failure in
    its stats and pauses on a 429 by that answer)."""
    app, clock, rows = outbox_rows(database_url, tickets=1)
    [claimed] = rows.claim(10)
    assert claimed.id is not None
    _, parts, held = rows.load(claimed.id, claimed.claimed_until)
    assert parts and held is not None
    assert rows.failure(claimed.id, error, held) == decided  # committed; the answer died with the process
    first = _notification(app, claimed.id)
    clock.advance(timedelta(seconds=3))
    assert rows.failure(claimed.id, error, held) == decided  # the same request, to the successor
    again = _notification(app, claimed.id)
    assert (again.attempts, again.not_before, again.failed_at) == (1, first.not_before, first.failed_at)
    app.engine.dispose()


def test_a_failure_sent_again_one_attempt_before_the_last_does_not_give_up(database_url: str) -> None:
    app, clock, rows = outbox_rows(database_url, tickets=1)
    [claimed] = rows.claim(10)
    assert claimed.id is not None
    with app.ctx.uow() as uow:  # tried all but twice
        uow.notifications.save(replace(_notification(app, claimed.id), attempts=MAX_ATTEMPTS - 2))
        uow.commit()
    _, parts, held = rows.load(claimed.id, claimed.claimed_until)
    error = DeliveryError(Failure.TRANSIENT, "connection reset")
    assert rows.failure(claimed.id, error, held) == (False, "retried")
    clock.advance(timedelta(seconds=3))
    assert rows.failure(claimed.id, error, held) == (False, "retried")
    n = _notification(app, claimed.id)
    assert n.attempts == MAX_ATTEMPTS - 1 and n.failed_at is None
    app.engine.dispose()


def test_a_failure_after_the_lease_went_to_another_dispatcher_leaves_their_notification_alone(
    database_url: str,
) -> None:
    app, clock, rows = outbox_rows(database_url, tickets=1)
    [claimed] = rows.claim(10)
    assert claimed.id is not None
    clock.advance(LEASE + timedelta(seconds=1))  # ours ran out; another dispatcher takes it
    [theirs] = rows.claim(10)
    error = DeliveryError(Failure.TRANSIENT, "502 Bad Gateway")
    assert rows.failure(claimed.id, error, claimed.claimed_until) == (False, None)
    n = _notification(app, claimed.id)
    assert (n.attempts, n.not_before, n.claimed_until) == (0, None, theirs.claimed_until)
    app.engine.dispose()


def test_a_claim_sent_again_after_the_core_process_died_returns_what_the_lost_one_took(
    database_url: str,
) -> None:
    """A core process that dies between committing a claim and answering it: the outbox never learns of
    the notifications it leased, which waited a whole term (two minutes) for anyone to send them. The
    same claim, sent to the successor, hands them back."""
    app, clock, rows = outbox_rows(database_url, tickets=3)
    lost = rows.claim(10, None, "first")  # committed; the answer died with the process
    assert len(lost) == 3
    clock.advance(timedelta(seconds=3))
    again = rows.claim(10, None, "first")  # the same request, to the successor
    assert [(n.id, n.claimed_until) for n in again] == [(n.id, n.claimed_until) for n in lost]
    assert rows.claim(10, None, "another") == []  # still leased: nobody else's claim takes them
    app.engine.dispose()


def test_a_claim_does_not_hand_back_what_a_claim_with_another_token_took(database_url: str) -> None:
    """Two instances, or two claims on a clock that did not move, ask for the same lease's end: only the
    token names a claim."""
    app, clock, rows = outbox_rows(database_url, tickets=2)
    [first] = rows.claim(1, None, "one")
    [second] = rows.claim(1, None, "two")  # the same moment, the same lease's end
    assert first.id != second.id and first.claimed_until == second.claimed_until
    assert rows.claim(10, None, "three") == []
    app.engine.dispose()


def test_letting_go_leaves_alone_a_lease_that_ran_out_and_another_dispatcher_took(database_url: str) -> None:
    """At a stop (`release`) and behind a 429 (`hold_back`) the outbox lets go of what it claimed. A lease
    of ours that ran out meanwhile (a chat's queue outlasted it) and another dispatcher took is theirs:
    cleared, a third could claim it while they send it, and the message would go out twice."""
    app, clock, rows = outbox_rows(database_url, tickets=2)
    ours = {n.id or 0: n.claimed_until for n in rows.claim(10, None, "ours") if n.claimed_until}
    assert len(ours) >= 2
    clock.advance(LEASE + timedelta(seconds=1))  # ours ran out
    [theirs] = rows.claim(1, None, "theirs")  # another dispatcher takes one
    assert theirs.id in ours and theirs.claimed_until is not None
    held = {i: until for i, until in ours.items() if i != theirs.id}
    rows.hold_back(theirs.id or 0, {theirs.id or 0: ours[theirs.id or 0]})  # behind a 429 of ours
    assert rows.release(ours) == len(held)  # at our stop
    assert _notification(app, theirs.id or 0).claimed_until == theirs.claimed_until  # still theirs
    assert all(_notification(app, i).claimed_until is None for i in held)  # ours, let go
    assert rows.claim(10, None, "a third") == [_notification(app, i) for i in sorted(held)]
    app.engine.dispose()


def test_a_part_recorded_twice_keeps_its_card_message_once(database_url: str) -> None:
    app, _, rows = outbox_rows(database_url, tickets=1)
    [claimed] = rows.claim(10)
    n, parts, _ = rows.load(claimed.id or 0, claimed.claimed_until)
    assert n is not None and parts and isinstance(parts[0], Send) and parts[0].card_key
    rows.progress(n, 0, parts[0], 4242)
    rows.progress(n, 0, parts[0], 4242)  # the same request run again
    assert P.scalar(app.engine, "SELECT count(*) FROM card_message WHERE message_id = 4242") == 1
    assert _notification(app, n.id or 0).parts_sent == 1
    app.engine.dispose()


async def test_an_outbox_whose_every_database_request_runs_twice_sends_each_part_once(
    database_url: str,
) -> None:
    """The worst a dying core process can do to the outbox: every request committed, its answer lost,
    and the request sent again to the successor. Each part still goes out once, a failed send counts one
    attempt, and nothing waits for a lease that nobody knew was taken."""
    app, clock = P.world_app(database_url, P.days_ago(0))
    P.open_tickets(app, 3)

    async def twice(fn: Any, *args: Any) -> Any:
        await asyncio.to_thread(fn, *args)
        return await asyncio.to_thread(fn, *args)

    sent: list[Send | Edit] = []
    tries = itertools.count()

    async def deliver(part: Send | Edit) -> int:
        if next(tries) == 0:
            raise DeliveryError(Failure.TRANSIENT, "502 Bad Gateway")  # the very first send fails
        sent.append(part)
        return len(sent)

    outbox = Outbox(app.ctx, shared_translations().for_lang, deliver, run_db=twice, limiter=P.fast_pace())
    await outbox.drain()
    assert outbox.stats.retried == 1
    clock.advance(timedelta(minutes=10))  # past the retry's backoff
    await outbox.drain()
    assert outbox.stats.sent == 3 and outbox.stats.retried == 1
    assert len(sent) == P.scalar(app.engine, "SELECT sum(parts_sent) FROM notification")
    assert sorted(a for (a,) in P.rows(app.engine, "SELECT attempts FROM notification")) == [1, 1, 2]
    app.engine.dispose()


async def test_work_sent_while_the_dead_core_process_is_being_replaced_waits_for_the_new_one(
    core: tuple[App, CoreProcesses],
) -> None:
    app, processes = core
    child, _ = kill_core(processes)
    for _ in range(30000):  # until the front end closed the dead child's socket and spawns the next
        if processes._restarts and (not child.up or child.writer is None or child.writer.is_closing()):
            break
        await asyncio.sleep(0.001)
    else:
        raise AssertionError("the front end did not notice the core process died")
    # sent in the gap: before the fix it went to the dead child's closed socket and was never answered
    claimed = await asyncio.wait_for(processes.call(_claim_count, app.ctx, app.ctx.clock.now()), 30)
    assert claimed == 0
    assert child.ready is not None and child.ready.done()


async def test_a_turn_that_raises_in_the_core_process_fails_with_the_childs_exception_as_cause(
    core: tuple[App, CoreProcesses],
) -> None:
    _, processes = core
    # A user id no database column holds: no front end passes that on, and the core fails on it
    broken = Incoming(chat_id=777, user_id=2**70, user_name="某人", kind=Kind.TEXT, text="hi", update_id=1)
    with pytest.raises(TurnFailed, match="OverflowError") as failed:
        await processes.handle(broken)
    assert isinstance(failed.value.__cause__, OverflowError)  # logged with its traceback in the child
    # the child lives on: the next turn is answered
    answer = await processes.handle(
        Incoming(chat_id=778, user_id=778, user_name="李先生", kind=Kind.TEXT, text="/help", update_id=2)
    )
    assert answer


async def test_when_the_next_core_process_fails_to_start_the_work_waits_and_it_is_tried_again(
    core: tuple[App, CoreProcesses],
) -> None:
    app, processes = core
    child = processes.children[0]
    start, tries = child.start, []

    async def fails_once(on_exit: Any) -> None:  # as when the database is away for a moment
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise RuntimeError("the core process exited during start-up")
        await start(on_exit)

    child.start = fails_once  # type: ignore[method-assign]
    kill_core(processes)
    claimed = await asyncio.wait_for(processes.call(_claim_count, app.ctx, app.ctx.clock.now()), 60)
    assert claimed == 0 and len(tries) == 2  # answered by the second try, which came a second later
    assert tries[1] - tries[0] >= 1.0


def stop_signals_blocked(pid: int) -> dict[str, bool]:
    """Each thread of process `pid`: whether it has SIGINT or SIGTERM blocked (its SigBlk in /proc)."""
    stop = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("SigBlk:"):
                found[task.name] = bool(int(line.split()[1], 16) & stop)
    return found


async def test_a_stop_signal_while_the_core_process_starts_is_taken_by_both_processes_once_it_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM to the group (`systemctl stop`) in the milliseconds the front end forks the core process:
    the front end takes it as the fork is done, and the newborn core process, still importing, neither
    dies of it nor loses it: it asks the front end to stop once it is up. Before, both were ignoring it
    then, and wuye went on running."""
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    start = SpawnProcess.start

    def start_then_signal(process: SpawnProcess) -> None:  # the signal arrives within the start
        start(process)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(SpawnProcess, "start", start_then_signal)
    heard: list[str] = []
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, heard.append, "SIGTERM to the front end")
    processes = CoreProcesses(load_settings(database_url=url), 1, on_signal=heard.append)
    try:
        await processes.start()
        await P.wait_for(lambda: len(heard) == 2, 60, "the signal to be taken by both processes")
        assert sorted(heard) == ["SIGTERM to core process 1", "SIGTERM to the front end"]
        claimed = await asyncio.wait_for(processes.call(_claim_count, app.ctx, app.ctx.clock.now()), 30)
        assert claimed == 0  # the core process lives on, answering until the front end closes it
        child = processes.children[0].process
        assert child is not None and child.pid is not None
        # its main thread takes them again, and so does what it starts later (threads it started while
        # importing keep them blocked: numpy's OpenBLAS workers, which start nothing)
        assert not stop_signals_blocked(child.pid)[str(child.pid)]
        assert not {signal.SIGINT, signal.SIGTERM} & signal.pthread_sigmask(signal.SIG_BLOCK, [])  # as before
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        await processes.stop()
        app.engine.dispose()


BORN = """
import multiprocessing, sys, time
from bot.processes.core_process import _holding_stop_signals
with _holding_stop_signals():
    process = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(60,), daemon=True)
    process.start()
print(process.pid, flush=True)
sys.stdin.read()
process.kill()  # it holds SIGTERM back, which multiprocessing ends it with at exit
"""


def test_the_first_core_process_is_born_holding_the_stop_signals_back_too() -> None:
    """In a fresh `wuye run` the core process's start also starts multiprocessing's resource tracker,
    which unblocks SIGINT and SIGTERM in the starting thread: the core process is still born with them
    blocked (a process that never unblocks them here: time.sleep)."""
    with subprocess.Popen(
        [sys.executable, "-c", BORN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdin is not None and parent.stdout is not None
        try:
            child = int(parent.stdout.readline())
            assert stop_signals_blocked(child)[str(child)]
        finally:
            parent.stdin.close()
            parent.wait(60)
