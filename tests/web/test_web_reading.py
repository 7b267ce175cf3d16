"""The pages that only read run without a transaction, on PostgreSQL's reading engine (storage/engine.py
`reading_engine`): no BEGIN and no ROLLBACK sent for them, the database refusing any write that slipped
in, and what another process committed shown at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot.web.app import DEPS
from handlers.domain.people import Person
from handlers.services import tickets
from storage.engine import reading_engine
from storage.uow import SqlUnitOfWork, reading
from tests.service.world import ZHANG_OWNER, World
from tests.web.conftest import Browser

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@contextmanager
def transactions_sent(engine: Engine) -> Iterator[list[str]]:
    """BEGIN, COMMIT and ROLLBACK that reach the server through `engine` (an autocommit connection sends
    none, though SQLAlchemy still calls them)."""
    sent: list[str] = []

    def on(name: str) -> object:
        def record(conn: object, *_: object) -> None:
            if not conn.connection.dbapi_connection.autocommit:  # type: ignore[attr-defined]
                sent.append(name)

        return record

    listeners = [(name, on(name)) for name in ("begin", "commit", "rollback")]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield sent
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


@ON_POSTGRES
async def test_the_case_page_sends_no_transaction_to_the_database(browser: Browser, world: World) -> None:
    ticket = world.report(ZHANG_OWNER)
    await browser.sign_in_as(ZHANG_OWNER)
    with transactions_sent(world.engine) as on_main, transactions_sent(Engine) as anywhere:  # type: ignore[arg-type]
        response = await browser.client.get(f"/t/{ticket.number}")
        page = await response.text()
    assert response.status == 200 and ticket.number in page
    assert on_main == [] and anywhere == []


@ON_POSTGRES
async def test_the_overdue_page_sends_no_transaction_to_the_database(browser: Browser, world: World) -> None:
    from tests.service.world import WU_STREET

    await browser.sign_in_as(WU_STREET)
    with transactions_sent(Engine) as anywhere:  # type: ignore[arg-type]
        response = await browser.client.get("/area?list=overdue")
    assert response.status == 200
    assert anywhere == []


@ON_POSTGRES
def test_a_write_in_a_reading_unit_of_work_is_refused_by_the_database(world: World) -> None:
    reader = reading_engine(world.engine)
    assert reader is not None
    try:
        # repositories write through the connection: without a read-only default, autocommitted at once
        refused = pytest.raises(DBAPIError, match="read-only transaction")
        with reading(world.engine, reader), SqlUnitOfWork(world.engine) as uow, refused:
            uow.people.add(Person(display_name="不该写入", created_at=datetime.now(UTC)))
            uow.commit()
    finally:
        reader.dispose()
    with SqlUnitOfWork(world.engine) as uow:
        assert not [p for p in uow.people.all() if p.display_name == "不该写入"]


async def test_a_change_committed_elsewhere_shows_on_the_next_page(browser: Browser, world: World) -> None:
    """The bot's process writes too: a reading page reads what is committed when it asks, never a
    snapshot kept from an earlier request."""
    ticket = world.report(ZHANG_OWNER)
    pid = await browser.sign_in_as(ZHANG_OWNER)
    first = await (await browser.client.get(f"/t/{ticket.number}")).text()
    assert "已撤回" not in first and "Withdrawn" not in first
    tickets.withdraw(world.ctx, pid, ticket.id or 0)  # as the chat would, in a unit of work of its own
    again = await (await browser.client.get(f"/t/{ticket.number}")).text()
    assert "已撤回" in again or "Withdrawn" in again


@ON_POSTGRES
async def test_a_page_read_on_a_connection_the_server_dropped_is_read_again(
    browser: Browser, world: World
) -> None:
    """The reading engine pings no connection before use: one the server dropped (a restart) fails its
    first statement, and the page's reading work is done again on a fresh one instead of failing."""
    ticket = world.report(ZHANG_OWNER)
    await browser.sign_in_as(ZHANG_OWNER)
    assert (await browser.client.get(f"/t/{ticket.number}")).status == 200  # the pool now holds one
    pair = browser.client.server.app[DEPS].reader
    assert pair is not None
    pool = pair[1].pool
    held = [pool.connect() for _ in range(pool.checkedin())]  # type: ignore[attr-defined]
    pids = [c.dbapi_connection.info.backend_pid for c in held]  # type: ignore[union-attr]
    for c in held:
        c.close()  # back to the pool, to be dropped by the server under it
    assert pids
    with world.engine.connect() as c:
        for pid in pids:
            c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    response = await browser.client.get(f"/t/{ticket.number}")
    assert response.status == 200 and ticket.number in await response.text()
