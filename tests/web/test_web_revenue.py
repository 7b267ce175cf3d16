"""Owners read their estate's public revenue on the web (SQLite and PostgreSQL): four quarters side by
side in one table, each quarter's statement with the chat's chart and its revisions, a question on a
line becoming a ticket; and the chat's rule on who may read which estate's figures, on every page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from bot.demo.revenue_examples import example_rows
from bot.documents.revenue_files import read_grid, write_csv
from handlers.ports import Grid
from handlers.rules.categories import Category
from handlers.services import revenue
from handlers.text import NullTranslator
from storage.tables import TicketRow
from tests.service.world import SMITH_OWNER, WANG_MANAGER, ZHANG_OWNER, World
from tests.web.conftest import Browser

QUARTERS = ("2025Q4", "2026Q1", "2026Q2", "2026Q3")


def grid(quarter: str, ads_lift: str | None = None, closing: str | None = None) -> Grid:
    rows = [list(r) for r in example_rows(NullTranslator(), quarter)]
    for row in rows:
        if row and row[0] == "ads_lift" and ads_lift is not None:
            row[3] = ads_lift
        if row and row[0] == "Closing balance [closing]" and closing is not None:
            row[1] = closing
    return read_grid(write_csv(rows, "utf-8"), "q.csv")


def publish_year(world: World) -> tuple[int, dict[str, int]]:
    """Four quarters of 海滨花园, and a correction of the last; (estate id, quarter -> disclosure id)."""
    manager = world.pid(WANG_MANAGER)
    with world.ctx.uow() as uow:
        estate = uow.estates.by_key("haibin")
        assert estate is not None and estate.id is not None
    ids = {}
    for quarter in QUARTERS:
        draft = revenue.import_draft(world.ctx, manager, estate.id, grid(quarter))
        ids[quarter] = revenue.publish(world.ctx, manager, draft.stored.id or 0).disclosure.id or 0
    world.clock.advance(timedelta(days=1))
    fixed = revenue.import_draft(world.ctx, manager, estate.id, grid("2026Q3", "36500.00", "279120.00"))
    ids["2026Q3r2"] = (
        revenue.publish(world.ctx, manager, fixed.stored.id or 0, "电梯广告合同补充协议漏记").disclosure.id
        or 0
    )
    return estate.id, ids


async def get(browser: Browser, path: str) -> tuple[int, str]:
    response = await browser.client.get(path, allow_redirects=True)
    return response.status, await response.text()


async def test_an_owner_compares_four_quarters_side_by_side_and_reads_each_with_its_chart_and_revisions(
    browser: Browser, world: World
) -> None:
    estate_id, ids = publish_year(world)
    await browser.sign_in_as(ZHANG_OWNER)
    status, page = await get(browser, "/revenue")  # one estate: straight to it
    assert status == 200 and "海滨花园" in page
    table = page[page.index('<table class="money">') :]
    headers = re.findall(r'<th scope="col"><a href="/revenue/d/(\d+)">([^<]+)</a>', table)
    assert [int(i) for i, _ in headers] == [ids["2025Q4"], ids["2026Q1"], ids["2026Q2"], ids["2026Q3r2"]]
    assert [label for _, label in headers] == [
        "2025年第四季度",
        "2026年第一季度",
        "2026年第二季度",
        "2026年第三季度",
    ]
    lift = re.search(r'<th scope="row">电梯广告</th>((?:<td>[^<]*</td>){4})', table)
    assert lift, "the lift advertising row, one amount a quarter"
    assert re.findall(r"<td>([^<]*)</td>", lift.group(1))[-1] == "¥36,500.00"  # the corrected figure
    assert "期初余额" in table and "期末余额" in table and "净收益" in table

    status, page = await get(browser, f"/revenue/d/{ids['2026Q3r2']}")
    assert status == 200 and f'src="/revenue/d/{ids["2026Q3r2"]}/chart.png"' in page
    assert "电梯广告合同补充协议漏记" in page and "¥36,000.00 → ¥36,500.00" in page
    assert f'href="/revenue/d/{ids["2026Q3"]}"' in page  # the first revision, kept as it was
    chart = await browser.client.get(f"/revenue/d/{ids['2026Q3r2']}/chart.png")
    assert chart.status == 200 and chart.content_type == "image/png"
    assert (await chart.read())[:8] == b"\x89PNG\r\n\x1a\n"
    status, page = await get(browser, f"/revenue/d/{ids['2026Q3']}")
    assert status == 200 and "已被更正" in page and f'href="/revenue/d/{ids["2026Q3r2"]}"' in page


async def test_an_owner_questions_a_line_on_the_page_and_it_becomes_a_ticket(
    browser: Browser, world: World
) -> None:
    _, ids = publish_year(world)
    await browser.sign_in_as(ZHANG_OWNER)
    status, page = await get(browser, f"/revenue/d/{ids['2026Q3r2']}")
    line = re.search(r'action="/revenue/line/(\d+)/question"', page)
    assert line
    status, page = await browser.post(
        f"/revenue/line/{line.group(1)}/question",
        {"text": "电梯广告收入为什么比上季度多？"},
        form_on=f"/revenue/d/{ids['2026Q3r2']}",
    )
    assert status == 200
    with Session(world.engine) as session:
        ticket = session.exec(select(TicketRow)).one()
    assert ticket.category == Category.REVENUE_DISCLOSURE.value and ticket.number in page


async def test_another_estates_owner_sees_neither_the_figures_nor_the_chart_and_drafts_are_not_found(
    browser: Browser, world: World
) -> None:
    estate_id, ids = publish_year(world)
    draft = revenue.import_draft(
        world.ctx, world.pid(WANG_MANAGER), estate_id, grid("2026Q3", "37000.00", "279620.00")
    )
    await browser.sign_in_as(SMITH_OWNER)  # an owner of 前埔阳光城
    for path in (f"/revenue/d/{ids['2026Q3r2']}", f"/revenue/d/{ids['2026Q3r2']}/chart.png"):
        status, page = await get(browser, path)
        assert status == 404 and "¥" not in page, path
    status, page = await get(browser, f"/revenue/e/{estate_id}")
    assert status == 403 and "¥" not in page
    await browser.sign_in_as(ZHANG_OWNER)
    status, _ = await get(browser, f"/revenue/d/{draft.stored.id}")  # a draft of their own estate
    assert status == 404
    status, _ = await get(browser, "/revenue/d/99999")
    assert status == 404
