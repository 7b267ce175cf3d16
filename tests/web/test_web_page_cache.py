"""The page cache (bot/web/page_cache.py): a reading page asked again by the same session is served
from memory without a statement to the database, and never after anything that may change it: a
commit by another process (on SQLite its file says so; on PostgreSQL the tables' triggers do), time
passing, the listening connection lost. Nobody is ever served another session's page."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from bot.web.app import DEPS
from bot.web.page_cache import PageCache, PostgresChanges
from handlers.domain.ticket import Ticket
from storage.engine import make_engine
from tests.service.world import HO_OWNER, WU_STREET, ZHANG_OWNER, World
from tests.web.conftest import Browser

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


NEW = "换了新的描述"


def pages_of(browser: Browser) -> PageCache:
    found = browser.client.server.app[DEPS].pages
    assert found is not None
    return found


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent meanwhile, on any engine."""
    run: list[str] = []

    def before(_c: object, _cursor: object, statement: str, *_: object) -> None:
        run.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield run
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def commit_elsewhere(database_url: str, *statements: tuple[str, dict[str, object]]) -> None:
    """Each statement committed on its own, through an engine that is not the web's (whose own commits
    count at once): as the bot's core process commits."""
    elsewhere = make_engine(database_url)
    try:
        for statement, params in statements:
            with elsewhere.begin() as c:
                c.execute(text(statement), params)
    finally:
        elsewhere.dispose()


async def case_page_seen(browser: Browser, world: World) -> tuple[Ticket, PageCache, str]:
    """An owner's report, its page asked once by them (now kept), once the cache has heard all that."""
    ticket = world.report(ZHANG_OWNER)
    await browser.sign_in_as(ZHANG_OWNER)
    pages = pages_of(browser)
    await until_quiet(pages)
    path = f"/t/{ticket.number}"
    await browser.client.get(path)
    return ticket, pages, path


async def until_quiet(pages: PageCache) -> None:
    """Until the cache listens and has heard of the test's own commits so far: on PostgreSQL a commit's
    notice arrives a moment after it, and would otherwise count as a change between two requests."""
    last = None
    for _ in range(100):
        now = pages.changes.generation()
        if now is not None and now == last:
            return
        last = now
        await asyncio.sleep(0.1)
    raise AssertionError("the page cache never heard from the database, or never stopped hearing")


async def test_a_page_asked_again_is_served_without_a_statement(browser: Browser, world: World) -> None:
    ticket = world.report(ZHANG_OWNER)
    world.clock.advance(timedelta(days=30))
    await browser.sign_in_as(ZHANG_OWNER)
    pages = pages_of(browser)
    await until_quiet(pages)
    first = await (await browser.client.get(f"/t/{ticket.number}")).text()
    with statements() as run:
        again = await browser.client.get(f"/t/{ticket.number}")
        body = await again.text()
    assert run == [] and pages.served == 1
    assert body == first and again.status == 200
    assert again.headers["Cache-Control"] == "no-store"  # kept by wuye, never by a browser or a proxy
    assert "Content-Security-Policy" in again.headers


async def test_another_session_is_never_served_my_page(
    browser: Browser, other_browser: Browser, world: World
) -> None:
    mine = world.report(ZHANG_OWNER, description="我家厨房漏水")
    await browser.sign_in_as(ZHANG_OWNER)
    await other_browser.sign_in_as(HO_OWNER)
    await until_quiet(pages_of(browser))
    for _ in range(2):
        assert mine.number in await (await browser.client.get("/my")).text()
        theirs = await (await other_browser.client.get("/my")).text()
        assert mine.number not in theirs and "厨房漏水" not in theirs


async def test_a_page_is_drawn_again_when_time_has_passed(browser: Browser, world: World) -> None:
    world.report(ZHANG_OWNER)
    await browser.sign_in_as(WU_STREET)
    pages = pages_of(browser)
    await until_quiet(pages)
    await browser.client.get("/area?list=overdue")
    await browser.client.get("/area?list=overdue")
    assert pages.served == 1
    world.clock.advance(timedelta(seconds=16))  # the cache keeps a page 15 s (tests/web/conftest.py)
    with statements() as run:
        await browser.client.get("/area?list=overdue")
    assert run and pages.served == 1


async def test_a_change_another_process_commits_shows_on_the_next_page(
    browser: Browser, world: World, database_url: str
) -> None:
    """Not through the web's engine (as the bot's core process writes): on SQLite its file's
    data_version moves, on PostgreSQL the ticket table's trigger sends a notice the web hears."""
    ticket, pages, path = await case_page_seen(browser, world)
    assert NEW not in await (await browser.client.get(path)).text()
    assert pages.served == 1
    change: tuple[str, dict[str, object]] = (
        "UPDATE ticket SET description = :d WHERE id = :id",
        {"d": NEW, "id": ticket.id},
    )
    commit_elsewhere(database_url, change)
    for _ in range(60):  # PostgreSQL's notice arrives after the commit, within milliseconds
        if NEW in await (await browser.client.get(path)).text():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the page was served from memory after another process changed its ticket")


@ON_POSTGRES
async def test_nothing_heard_while_the_listening_connection_was_lost_is_served(
    browser: Browser, world: World, database_url: str
) -> None:
    ticket, pages, path = await case_page_seen(browser, world)
    before = pages.changes.generation()
    assert isinstance(pages.changes, PostgresChanges) and pages.changes.conn is not None
    listening = pages.changes.conn.info.backend_pid
    commit_elsewhere(
        database_url,
        # the server drops the listening connection (a restart)...
        ("SELECT pg_terminate_backend(:pid)", {"pid": listening}),
        # ...and a change is committed that nobody hears of
        ("UPDATE ticket SET description = '断线时改的' WHERE id = :id", {"id": ticket.id}),
    )
    for _ in range(100):
        now = pages.changes.generation()
        if now is not None and now != before:
            break
        await asyncio.sleep(0.05)
    assert "断线时改的" in await (await browser.client.get(path)).text()


@ON_POSTGRES
def test_every_table_a_page_may_show_tells_of_its_changes(world: World) -> None:
    """A table a later migration adds must be watched by it, or named as one no page shows."""
    unwatched = set(importlib.import_module("storage.migrations.versions.0022_change_notices").UNWATCHED)
    with world.engine.connect() as c:
        tables = set(
            c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        )
        watched = set(
            c.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE t.tgname = 'wuye_changed' AND n.nspname = current_schema()"
                )
            ).scalars()
        )
    assert tables - unwatched == watched, tables - unwatched ^ watched
    assert "ticket" in watched and "ticket_event" in watched and "role" in watched
