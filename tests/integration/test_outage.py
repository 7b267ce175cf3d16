"""The database out of reach for a while (PostgreSQL restarting, the network): an owner's update that
arrives meanwhile is neither lost nor handled twice; it is answered once the database is back.

A database of its own on the test server, made unreachable for real: connections to it are refused
(ALLOW_CONNECTIONS false) and the open ones are ended, as a restart would."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.config import load_settings
from bot.processes.core_process import CoreProcesses
from bot.serve import make_runtime
from bot.telegram.runtime import Runtime
from bot.wiring import App
from handlers.conversations.core import Core, TurnBroken
from handlers.conversations.io import Incoming, Kind, Output, Send
from handlers.ports import UnitOfWork
from storage.engine import make_engine, try_later
from tests.support import processes as P
from tests.support.translations import shared_translations

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop


@pytest.fixture
def own_database(postgres_server: str) -> Iterator[tuple[str, Engine]]:
    """(url, admin engine) of a fresh database on the test server, dropped afterwards."""
    name = f"wuye_outage_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False), admin
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


async def retries(caplog: pytest.LogCaptureFixture, count: int) -> None:
    """Until the runtime has said `count` times that it will try the turn again (after 1 s, 2 s, ...)."""
    caplog.set_level(logging.WARNING, logger="wuye.runtime")

    def said() -> bool:
        return sum("trying again" in r.getMessage() for r in caplog.records) >= count

    await P.wait_for(said, 60, f"{count} tries to fail")


def report(update_id: int) -> Incoming:
    """The owner's /report."""
    return Incoming(
        chat_id=P.OWNER,
        user_id=P.OWNER,
        user_name="张女士",
        kind=Kind.COMMAND,
        command="report",
        text="",
        language_code="zh-hans",
        update_id=update_id,
        bot_id=1,
    )


def outage(admin: Engine, url: str, on: bool) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if on else "true"}'))
        if on:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )


@pytest.mark.postgres
@pytest.mark.parametrize("core_processes", [1, 0], ids=["core-process", "core-thread"])
async def test_an_update_during_a_database_outage_waits_and_is_answered_once_it_is_back(
    own_database: tuple[str, Engine], core_processes: int, caplog: pytest.LogCaptureFixture
) -> None:
    url, admin = own_database
    app, _ = P.world_app(url, P.days_ago(0))  # migrated, the example world in it
    app.engine.dispose()
    settings = load_settings(database_url=url)
    runtime = make_runtime(settings)
    if core_processes:
        runtime.processes = CoreProcesses(settings, core_processes)
        await runtime.processes.start()
    answers: list[Output] = []

    async def perform(outputs: list[Output]) -> None:
        answers.extend(outputs)

    try:
        outage(admin, url, on=True)
        turn = asyncio.create_task(runtime.handle(report(update_id=41), perform))
        await retries(caplog, 2)  # a first try and a second have failed
        assert not turn.done() and answers == []  # waiting, not given up
        outage(admin, url, on=False)
        await asyncio.wait_for(turn, 60)
        [menu] = [a for a in answers if isinstance(a, Send)]
        assert "r:cat:" in str(menu.buttons)  # the category question: /report went through
        assert P.scalar(runtime.engine, "SELECT count(*) FROM processed_update WHERE update_id = 41") == 1
        await runtime.handle(report(update_id=41), perform)  # Telegram delivering it again changes nothing
        assert len([a for a in answers if isinstance(a, Send)]) == 1
    finally:
        await runtime.stop_processes()
        if runtime.engine is not None:
            runtime.engine.dispose()


def failing_at(uow: Callable[[], UnitOfWork], n: int) -> Callable[[], UnitOfWork]:
    """The context's units of work, the `n`-th of which finds the database gone (SQLite's file locked
    past its timeout, as SQLAlchemy reports it)."""
    opened = itertools.count(1)

    def make() -> UnitOfWork:
        if next(opened) == n:
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
        return uow()

    return make


def test_a_turn_that_finds_the_database_gone_before_it_began_may_be_tried_again(tmp_path: Path) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))
    core = Core(replace(app.ctx, uow=failing_at(app.ctx.uow, 1)), shared_translations())
    with pytest.raises(OperationalError) as failed:
        core.handle(report(update_id=7))
    assert try_later(failed.value)  # nothing happened yet: the runtime tries it again
    assert Core(app.ctx, shared_translations()).handle(report(update_id=7))  # and then it goes through
    app.engine.dispose()


def test_a_turn_that_fails_after_its_flow_began_is_answered_and_not_tried_again(tmp_path: Path) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))
    core = Core(replace(app.ctx, uow=failing_at(app.ctx.uow, 2)), shared_translations())
    outputs = core.handle(report(update_id=7))
    # part of the flow may be committed (a report filed): trying it again could do it twice, so the
    # update counts as handled, and the owner is told it did not work rather than left waiting
    assert [o.text for o in outputs if isinstance(o, Send)] == [
        shared_translations()
        .for_lang("zh_Hans")
        .gettext("Sorry, that did not work on our side. Please try again in a moment.")
    ]
    with app.ctx.uow() as uow:
        assert uow.updates.seen(1, 7)
    app.engine.dispose()


def test_a_turn_whose_bookkeeping_fails_after_its_flow_is_not_tried_again_by_itself(tmp_path: Path) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))
    core = Core(replace(app.ctx, uow=failing_at(app.ctx.uow, 3)), shared_translations())
    with pytest.raises(TurnBroken) as failed:
        core.handle(report(update_id=7))
    assert not try_later(failed.value) and isinstance(failed.value.__cause__, OperationalError)
    app.engine.dispose()


def runtime_on(app: App, uow: Callable[[], UnitOfWork]) -> Runtime:
    """`wuye run`'s runtime with the core on its database thread, over `uow`."""
    ctx, translations = replace(app.ctx, uow=uow), shared_translations()
    return Runtime(ctx, Core(ctx, translations), translations.for_lang, engine=app.engine)


async def test_the_runtime_tries_a_turn_again_when_the_database_was_away_and_answers_it(
    tmp_path: Path,
) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))
    runtime, answers = runtime_on(app, failing_at(app.ctx.uow, 1)), []

    async def perform(outputs: list[Output]) -> None:
        answers.extend(outputs)

    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(runtime.handle(report(update_id=9), perform), 30)
    assert asyncio.get_running_loop().time() - started >= 1.0  # the first try failed, the next a second later
    assert any(isinstance(a, Send) and "r:cat:" in str(a.buttons) for a in answers)
    app.engine.dispose()


async def test_the_runtime_does_not_try_again_a_turn_that_broke_after_its_flow_began(tmp_path: Path) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))
    runtime, answers = runtime_on(app, failing_at(app.ctx.uow, 3)), []  # the turn's last bookkeeping

    async def perform(outputs: list[Output]) -> None:
        answers.extend(outputs)

    await asyncio.wait_for(runtime.handle(report(update_id=9), perform), 0.9)  # no pause: given up at once
    assert answers == []
    app.engine.dispose()


async def test_stopping_ends_the_wait_of_a_turn_the_database_cannot_take(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = P.world_app(f"sqlite:///{tmp_path / 'wuye.db'}", P.days_ago(0))

    def away() -> UnitOfWork:  # the database stays away
        raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

    runtime, answers = runtime_on(app, away), []

    async def perform(outputs: list[Output]) -> None:
        answers.extend(outputs)

    turn = asyncio.create_task(runtime.handle(report(update_id=9), perform))
    await retries(caplog, 1)
    assert not turn.done()  # still trying
    runtime.stopping()  # `wuye run` is told to stop
    await asyncio.wait_for(turn, 2)  # the pause ends at once; the turn gives up, with no answer
    assert answers == []
    app.engine.dispose()
