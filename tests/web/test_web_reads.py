"""What the two busiest pages read (bench/web.py measures them under load): an official's overdue list
and an owner's case page read who is asking once per request, work out the official's area from two
columns of the estates (not every estate decoded whole), and draw the case from one read of each thing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.web.pages_lists import estate_options
from tests.service.world import WU_STREET, ZHANG_OWNER, World
from tests.web.conftest import Browser


@contextmanager
def selects(world: World) -> Iterator[list[str]]:
    """Every SELECT run meanwhile, its whitespace folded, with its parameters, on any engine: the pages
    read through the web's reading engine on PostgreSQL (storage/engine.py), the world's on SQLite."""
    run: list[str] = []

    def before(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if statement.lstrip().startswith("SELECT"):
            run.append(" ".join(statement.split()) + f" -- {params!r}")

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield run
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def reads_of(run: list[str], table: str) -> list[str]:
    return [s for s in run if f" FROM {table} " in f"{s} "]


async def test_the_overdue_page_reads_the_official_once_and_their_area_from_two_columns(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    world.clock.advance(timedelta(days=30))
    await browser.sign_in_as(WU_STREET)
    with selects(world) as run:
        response = await browser.client.get("/area?list=overdue")
        page = await response.text()
    assert response.status == 200 and ticket.number in page
    # the estate filter: the street's estates by name, and no other
    assert "海滨花园" in page and "前埔阳光城" not in page
    assert len(reads_of(run, "person")) == 1, reads_of(run, "person")
    assert len(reads_of(run, "role")) == 1, reads_of(run, "role")
    whole = [s for s in reads_of(run, "estate") if "estate.on_call" in s]
    assert not whole, whole  # a district has hundreds: two columns of them, not every estate decoded


async def test_the_case_page_reads_each_thing_once_and_walks_no_office_chain_for_an_owner(
    browser: Browser, world: World
) -> None:
    ticket = world.report(ZHANG_OWNER)
    await browser.sign_in_as(ZHANG_OWNER)
    with selects(world) as run:
        response = await browser.client.get(f"/t/{ticket.number}")
        page = await response.text()
    assert response.status == 200 and ticket.number in page
    people = reads_of(run, "person")  # the owner, and who handles the case
    assert len(people) == len(set(people)), people
    for table in ("role", "ticket", "ticket_event", "attachment"):
        assert len(reads_of(run, table)) == 1, (table, reads_of(run, table))
    assert not reads_of(run, "office"), reads_of(run, "office")  # an owner governs no area


def test_the_estate_filter_escapes_every_name_and_marks_the_chosen_one() -> None:
    """Its options are kept by what they are drawn from; what is kept is escaped like the rest."""
    drawn = estate_options(((7, '<script>alert("x")</script>'), (8, "海滨 & 花园")), 8)
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
    assert "海滨 &amp; 花园" in drawn
    assert '<option value="8" selected>' in drawn and '<option value="7">' in drawn
    assert estate_options(((7, "a"),), None) != estate_options(((7, "b"),), None)  # drawn again when renamed
