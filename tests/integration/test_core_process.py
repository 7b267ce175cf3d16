"""The core's child process on its own (bot/core_process.py): database work by name, and what a restart
after the child died does with the outbox's leases. The turns themselves are covered end to end in
tests/e2e/test_loop.py, through `wuye run` on both frameworks and doors."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core_process import CoreProcesses, TurnFailed
from bot.outbox import LEASE
from handlers.conversations.io import Incoming, Kind
from handlers.services.context import Context
from tests.support import processes as P


async def test_a_restarted_core_process_on_sqlite_releases_the_leases_its_dead_predecessor_held(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    P.open_tickets(app, 3)  # each queues the assignee's card
    now = app.ctx.clock.now()
    with app.ctx.uow() as uow:  # as the dead child's outbox had: claimed, leased for minutes
        claimed = uow.notifications.claim(now, 100, now + LEASE)
        uow.commit()
    assert claimed

    def leased() -> int:
        return int(P.scalar(app.engine, "SELECT count(*) FROM notification WHERE claimed_until IS NOT NULL"))

    processes = CoreProcesses(load_settings(database_url=url), 1)
    await processes.start()
    try:
        assert leased() == len(claimed)  # a first start leaves them: `wuye run` releases them itself
        child = processes.children[0]
        first = child.process
        assert first is not None and first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        for _ in range(600):  # the restart spawns a new interpreter
            if child.process is not first and child.ready is not None and child.ready.done():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the core process was not started again within 30 s")
        assert leased() == 0
        # and the new child does the outbox's work: claiming finds the released notifications at once
        outbox_claim = await processes.call(_claim_count, app.ctx, now + timedelta(seconds=1))
        assert outbox_claim == len(claimed)
    finally:
        await processes.stop()
        app.engine.dispose()


def _claim_count(ctx: Context, now: datetime) -> int:
    """Run in the child (by reference): what the outbox's claim would find now."""
    with ctx.uow() as uow:
        found = uow.notifications.claim(now, 100, now + LEASE)
        uow.commit()
    return len(found)


async def test_work_sent_while_the_dead_core_process_is_being_replaced_waits_for_the_new_one(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    processes = CoreProcesses(load_settings(database_url=url), 1)
    await processes.start()
    try:
        child = processes.children[0]
        first = child.process
        assert first is not None and first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        for _ in range(3000):  # until the front end is starting the next interpreter
            if child.process is not first:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the front end did not notice the core process died")
        now = app.ctx.clock.now()
        # sent in the gap: before the fix it went to the dead child's closed socket and was never answered
        claimed = await asyncio.wait_for(processes.call(_claim_count, app.ctx, now), 30)
        assert claimed == 0
        assert child.ready is not None and child.ready.done()
    finally:
        await processes.stop()
        app.engine.dispose()


async def test_a_turn_that_raises_in_the_core_process_fails_with_the_childs_exception_as_cause(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    processes = CoreProcesses(load_settings(database_url=url), 1)
    await processes.start()
    try:
        # No name for someone new: no front end sends that, and the core fails on it (a TypeError)
        broken = Incoming(chat_id=777, user_id=777, user_name=None, kind=Kind.TEXT, text="hi", update_id=1)  # type: ignore[arg-type]
        with pytest.raises(TurnFailed, match="TypeError") as failed:
            await processes.handle(broken)
        assert isinstance(failed.value.__cause__, TypeError)  # logged with its traceback in the child
        # the child lives on: the next turn is answered
        answer = await processes.handle(Incoming(chat_id=778, user_id=778, user_name="李先生", kind=Kind.TEXT,
                                                 text="/help", update_id=2))
        assert answer
    finally:
        await processes.stop()
        app.engine.dispose()
