"""/stats through the conversation core on a real database (SQLite and PostgreSQL): what each reader
is shown (an official's area by the level below, a manager's company, a committee member's estate and
its open tickets), the rankings with the minimum sample, the chart, the pages, who is refused, and bad
input answered without anything changing."""

from __future__ import annotations

import pytest

from bot.documents.revenue_files import RevenueDocuments
from handlers.conversations import stats_text
from handlers.conversations.buttons import decode
from handlers.conversations.io import Edit, Output, Send
from handlers.conversations.menus import menu_commands
from handlers.rules.categories import Category
from handlers.services.access import load_actor
from tests.service.talk import Talk
from tests.service.test_figures import a_month_of_tickets
from tests.service.world import (
    FENG_CHENGGUAN,
    LI_REPAIR,
    LIN_MANAGER,
    LIU_COMMUNITY,
    WANG_MANAGER,
    WU_STREET,
    ZHANG_OWNER,
    ZHENG_BUREAU,
    ZHOU_COMMITTEE,
    World,
    sh,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def december(world: World) -> Talk:
    """December 2026 handled (tests/service/test_figures.py), read on 5 January 2027 with charts drawn."""
    a_month_of_tickets(world)
    world.clock.set(sh(2027, 1, 5, 10))
    world.ctx.documents = RevenueDocuments()
    return Talk(world.ctx)


def sent(outputs: list[Output]) -> list[Send]:
    return [o for o in outputs if isinstance(o, Send)]


def texts(outputs: list[Output]) -> str:
    return "\n".join(o.text for o in outputs if isinstance(o, Send | Edit))


def report(outputs: list[Output]) -> Send:
    """The report's message (the one that opens with the title)."""
    return next(o for o in sent(outputs) if o.text.startswith("📊") and o.image is None)


def datas(message: Send | Edit) -> list[str]:
    return [b.data for row in message.buttons for b in row]


async def test_a_street_official_gets_the_figures_by_community_and_the_rankings_then_the_chart(
    december: Talk,
) -> None:
    await december.outbox.drain()  # what December left owed goes out first
    mark = len(december.seen)
    out = await december.command(WU_STREET, "stats")  # no period: December, the last complete month
    text = report(out)
    assert not any(o.image or o.chart for o in sent(out))  # the answer does not wait on the drawing
    shown = [s for s in december.since(mark) if s.chat_id == WU_STREET]
    assert [s.image is not None for s in shown] == [False, True]  # the figures, then the chart (owed)
    chart = shown[1]
    assert chart.image is not None and chart.image.startswith(PNG)
    assert chart.text == "嘉莲街道办事处2026年12月各小区三率"
    body = text.text
    assert body.startswith("📊 嘉莲街道办事处2026年12月统计")
    assert "受理 4 件" in body and "按时办结：60%（3/5）" in body  # 海滨花园's December, as figures define it
    assert "按时响应：2/4（样本数少于 5，不参与排名）" in body  # under the minimum sample: no percentage
    assert (
        "按社区：" in body and "• 莲花社区居委会：受理 4 件" in body and "• 上都社区居委会：受理 0 件" in body
    )
    # 海滨花园 is ranked on 5 cases; 上都嘉园 has none and is shown, never ranked
    assert "小区按按时办结率排名：\n1. 海滨花园：60%（3/5）\n– 上都嘉园：—" in body
    assert "前埔" not in body  # another street's estate
    # ranked by another rate: the same report, edited in place
    by_response = next(d for d in datas(text) if d.endswith(":a:1"))
    again = await december.press(WU_STREET, by_response)
    edited = next(o for o in again if isinstance(o, Edit))
    assert "小区按响应率排名：\n– 海滨花园：2/4（样本数少于 5，不参与排名）" in edited.text


async def test_a_chart_that_cannot_be_drawn_fails_its_notice_once_and_the_figures_stand(
    december: Talk, world: World
) -> None:
    async def broken(spec: object) -> bytes:
        raise RuntimeError("no font")

    await december.outbox.drain()
    december.outbox.draw = broken
    mark = len(december.seen)
    out = await december.command(WU_STREET, "stats")
    assert report(out).text.startswith("📊 嘉莲街道办事处2026年12月统计")
    assert [s.image for s in december.since(mark) if s.chat_id == WU_STREET] == [None]  # the figures only
    owed = [n for n in world.notifications() if n.kind == "stats.chart"]
    assert [(n.outcome, n.failed_at is not None) for n in owed] == [("failed", True)]
    await december.outbox.drain()  # not tried again
    assert [s.image for s in december.since(mark) if s.chat_id == WU_STREET] == [None]


async def test_the_bureau_sees_streets_and_both_companies_and_asks_for_a_quarter_in_chinese(
    december: Talk,
) -> None:
    out = await december.command(ZHENG_BUREAU, "stats", "2026年第四季度")
    body = report(out).text
    assert body.startswith("📊 思明区建设局（物业整治工作专班）2026年第四季度统计")
    assert "按街道：" in body and "• 嘉莲街道办事处：" in body and "• 莲前街道办事处：" in body
    assert (
        "物业公司按按时办结率排名：\n1. 厦门海欣物业服务有限公司：60%（3/5）\n– 鹭江物业管理有限公司：0/1"
        in body
    )
    assert report(await december.command(ZHENG_BUREAU, "stats", "2026Q4")).text == body


async def test_a_manager_reads_their_companys_estates_and_a_committee_member_their_estate_with_open_tickets(
    december: Talk, world: World
) -> None:
    manager = report(await december.command(WANG_MANAGER, "stats", "2026-12")).text
    assert manager.startswith("📊 厦门海欣物业服务有限公司2026年12月统计")
    assert "按小区：" in manager and "• 上都嘉园：" in manager and "• 海滨花园：" in manager
    assert "前埔" not in manager  # 鹭江's estate

    out = await december.command(ZHOU_COMMITTEE, "stats", "2026-12")
    assert report(out).text.startswith("📊 海滨花园2026年12月统计")
    assert "按按时办结率排名" not in report(out).text  # one estate: nothing to rank it against
    listing = next(o for o in sent(out) if o.text.startswith("📋"))
    assert listing.text.startswith("📋 海滨花园未办结工单：2 件")
    opened = [decode(d) for d in datas(listing)]
    assert {p.action for p in opened if p} == {"cd"}
    card = await december.press(ZHOU_COMMITTEE, datas(listing)[0])
    assert "海滨花园" in texts(card)


async def test_readers_asking_for_what_they_do_not_govern_are_refused_and_others_have_no_figures(
    december: Talk,
) -> None:
    refusal = "您无权查看这些数据：只能查看本辖区、本公司的小区或本小区的数据。"
    for who, args in (
        (LIU_COMMUNITY, "2026-12 前埔阳光城"),  # another street's estate
        (LIU_COMMUNITY, "2026-12 嘉莲街道办事处"),  # the street above the community
        (WANG_MANAGER, "鹭江物业管理有限公司"),  # another company
        (ZHOU_COMMITTEE, "上都嘉园"),  # another estate
        (LIN_MANAGER, "海滨花园"),
    ):
        out = await december.command(who, "stats", args)
        assert texts(out) == refusal, (who, args)
        assert not any(o.image for o in sent(out))
    nobody = "统计数据仅供社区、街道和区里的工作人员、物业项目经理及业委会成员查看。"
    assert texts(await december.command(ZHANG_OWNER, "stats")) == nobody
    assert texts(await december.command(LI_REPAIR, "stats")) == nobody
    # a forged press for a scope the presser does not govern: refused the same way, nothing drawn
    with december.ctx.uow() as uow:
        qianpu = uow.estates.by_key("qianpu")
        assert qianpu is not None
    out = await december.press(LIU_COMMUNITY, f"ss:e:{qianpu.id}:2026-12:r:1")
    assert not any(isinstance(o, Send | Edit) for o in out)
    assert any(getattr(o, "text", "") == refusal for o in out)


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("2026-13", "无法识别「2026-13」这个期间"),
        ("2026-00", "无法识别「2026-00」这个期间"),
        ("2027-02", "2027-02 尚未开始，暂无数据可统计。"),
        ("2027Q2", "2027Q2 尚未开始，暂无数据可统计。"),
        ("blah", "没有名为「blah」的小区、物业公司、社区、街道或区。"),
        ("2026-12 nowhere", "没有名为「nowhere」的小区、物业公司、社区、街道或区。"),
    ],
)
async def test_bad_input_is_answered_in_the_readers_language_and_changes_nothing(
    december: Talk, world: World, args: str, answer: str
) -> None:
    await december.outbox.drain()  # what December left owed goes out first
    before = [n.key for n in world.notifications()]
    out = await december.command(WU_STREET, "stats", args)
    assert answer in texts(out)
    assert len(sent(out)) == 1 and sent(out)[0].image is None
    assert [n.key for n in world.notifications()] == before and december.state(WU_STREET) is None


async def test_a_month_not_over_yet_is_shown_as_the_figures_so_far(december: Talk) -> None:
    body = report(await december.command(WU_STREET, "stats", "2027-01")).text
    assert "该期间尚未结束：以下为截至目前的数据。" in body


async def test_a_committee_members_long_list_of_open_tickets_pages_without_losing_one(world: World) -> None:
    world.clock.set(sh(2026, 12, 1, 10))
    for n in range(37):
        world.report(ZHANG_OWNER, category=Category.CLEANING, description=f"楼道垃圾没人清理 {n}")
    world.clock.set(sh(2027, 1, 5, 10))
    talk = Talk(world.ctx)
    out = await talk.command(ZHOU_COMMITTEE, "stats", "2026-12")
    listing = next(o for o in sent(out) if o.text.startswith("📋"))
    assert "37 件" in listing.text and "第 1 页，共 3 页" in listing.text
    seen = [d for d in datas(listing) if d.startswith("1/cd:")]
    page: Send | Edit = listing
    for number in (2, 3):
        following = next(d for d in datas(page) if d.startswith("1/so:") and d.endswith(f":{number}"))
        page = next(o for o in await talk.press(ZHOU_COMMITTEE, following) if isinstance(o, Edit))
        assert f"第 {number} 页，共 3 页" in page.text
        seen += [d for d in datas(page) if d.startswith("1/cd:")]
    assert len(seen) == len(set(seen)) == 37  # every ticket once, none cut
    assert not any(d.startswith("1/so:") and d.endswith(":4") for d in datas(page))
    # another estate's committee list cannot be paged to
    with world.ctx.uow() as uow:
        shangdu = uow.estates.by_key("shangdu")
        assert shangdu is not None
    refused = await talk.press(ZHOU_COMMITTEE, f"so:{shangdu.id}:1")
    assert not any(isinstance(o, Send | Edit) for o in refused)


def test_a_long_report_is_cut_into_pages_that_keep_every_line() -> None:
    head = ["📊 title", "", "figures"]
    body = ["", "By estate:", *(f"• estate {n}: " + "x" * 150 for n in range(120))]
    pages = stats_text.pages(head, body)
    assert len(pages) > 1
    assert all(len(p) <= stats_text.PAGE_CHARS for p in pages)
    joined = "\n".join(pages)
    assert all(f"• estate {n}: " in joined for n in range(120))
    assert sum(p.count("• estate ") for p in pages) == 120  # none twice


async def test_the_report_of_a_big_area_pages_with_buttons(
    december: Talk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats_text, "PAGE_LINES", 12)  # the example has three estates: a small page
    out = await december.command(ZHENG_BUREAU, "stats", "2026-12")
    first = report(out)
    assert "第 1 页，共 2 页" in first.text
    following = next(d for d in datas(first) if d.startswith("1/ss:") and d.endswith(":r:2"))
    second = next(o for o in await december.press(ZHENG_BUREAU, following) if isinstance(o, Edit))
    assert "第 2 页，共 2 页" in second.text
    assert "物业公司按按时办结率排名" in first.text + second.text
    assert any(d.endswith(":r:1") for d in datas(second))  # and back


async def test_a_department_official_governs_no_area_so_is_offered_no_figures_or_ledger(
    december: Talk,
) -> None:
    """城管局 acts on the cases handed to it (/area lists them): its menu and /help have no /stats or
    /ledger, which would only refuse it; typed anyway, /stats says who the figures are for."""

    def commands(telegram_id: int) -> list[str]:
        with december.ctx.uow() as uow:
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None and person.id is not None
            return [name for name, _ in menu_commands(load_actor(uow, person.id))]

    department = commands(FENG_CHENGGUAN)
    assert "area" in department and "stats" not in department and "ledger" not in department
    assert {"stats", "ledger"} <= set(commands(WU_STREET)) and "stats" in commands(ZHOU_COMMITTEE)
    shown = texts(await december.command(FENG_CHENGGUAN, "help"))
    assert "/area" in shown and "/stats" not in shown and "/ledger" not in shown
    nobody = "统计数据仅供社区、街道和区里的工作人员、物业项目经理及业委会成员查看。"
    assert texts(await december.command(FENG_CHENGGUAN, "stats")) == nobody
