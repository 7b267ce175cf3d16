"""The monthly ledger (台账) on a real database (SQLite and PostgreSQL): a hand-built November at the
example estates, the files opened with openpyxl and read cell by cell, per privacy tier; the kept version
sent again byte for byte; formulas; the GBK CSV; bad input."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.documents.revenue_files import RevenueDocuments
from bot.documents.setup_file import read_setup
from handlers.conversations.io import Send
from handlers.conversations.ledger_sheets import drawer
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import Event
from handlers.rules.periods import Period
from handlers.services import ladder, ledger, ledger_rows, people, supervision, tickets, typical_cases
from handlers.services.errors import UserError
from handlers.services.figures import figures_for
from handlers.services.setup import apply_setup
from tests.service.talk import Talk
from tests.service.world import (
    FENG_CHENGGUAN,
    HO_OWNER,
    LIU_COMMUNITY,
    SMITH_OWNER,
    WANG_MANAGER,
    WU_STREET,
    ZHANG_OWNER,
    ZHENG_BUREAU,
    World,
    sh,
)
from tests.support.translations import shared_translations

NOVEMBER = Period.month(2026, 11)
BUILT = sh(2026, 12, 5, 10)
ZH = shared_translations().for_lang("zh_Hans")
FORMULA = '=HYPERLINK("http://evil.example","点我")'
HEADER = [
    "编号", "小区", "物业服务企业", "社区", "街道", "类别", "紧急程度", "问题描述", "位置", "报事人",
    "反映时间", "承办人或部门", "签收时限", "签收时间", "办理时限", "处理完成时间", "延期情况", "办理状态",
    "关闭方式", "关闭时间", "最高督办层级", "挂牌督办", "重新打开次数", "满意度评价（星）",
]  # fmt: skip


def at(world: World, when: datetime) -> World:
    world.clock.set(when)
    return world


def report(world: World, when: datetime, owner: int = ZHANG_OWNER, **kw: Any) -> int:
    """A lift out: acknowledge within 1 hour, resolve within 12 (clock hours, so easy to count)."""
    world.clock.set(when)
    kw.setdefault("description", "电梯门关不上，一直响警报")
    return world.report(owner, category=Category.LIFT, urgency=Urgency.URGENT, **kw).id or 0


def staff(world: World, tid: int) -> int:
    return world.ticket(tid).assignee_id or 0


def name(world: World, person_id: int) -> str:
    with world.ctx.uow() as uow:
        person = uow.people.get(person_id)
        assert person is not None
        return person.display_name


def fixed(world: World, tid: int, acked: datetime, resolved: datetime) -> None:
    tickets.acknowledge(at(world, acked).ctx, staff(world, tid), tid)
    tickets.resolve(at(world, resolved).ctx, staff(world, tid), tid, "已更换门机控制板")


def november(world: World) -> dict[str, int]:
    """Tickets at 海滨花园 around November (and one at 前埔, another street), numbered in this order."""
    zhang, liu = world.pid(ZHANG_OWNER), world.pid(LIU_COMMUNITY)
    t: dict[str, int] = {}
    t["october"] = report(world, sh(2026, 10, 20, 10))  # HB-2026-000001: closed in October, left out
    fixed(world, t["october"], sh(2026, 10, 20, 10, 30), sh(2026, 10, 20, 12))
    tickets.confirm(at(world, sh(2026, 10, 20, 13)).ctx, zhang, t["october"])
    t["before"] = report(world, sh(2026, 10, 30, 10))  # 000002: reported in October, closed in November
    fixed(world, t["before"], sh(2026, 10, 30, 10, 30), sh(2026, 11, 2, 9))
    tickets.confirm(at(world, sh(2026, 11, 2, 10)).ctx, zhang, t["before"])
    tickets.rate(at(world, sh(2026, 11, 2, 10, 5)).ctx, zhang, t["before"], 4)
    t["model"] = report(world, sh(2026, 11, 2, 10), privacy=Privacy.EVERYONE)  # 000003
    fixed(world, t["model"], sh(2026, 11, 2, 10, 30), sh(2026, 11, 2, 15))
    tickets.confirm(at(world, sh(2026, 11, 2, 16)).ctx, zhang, t["model"])
    tickets.rate(world.ctx, zhang, t["model"], 5)
    # 000004: nobody may know who reported it; its text would be a formula; never acknowledged.
    t["hidden"] = report(
        world, sh(2026, 11, 3, 10), HO_OWNER, privacy=Privacy.NOBODY, description=FORMULA, location="@3栋大堂"
    )
    # 000005: more time granted by the community, resolved within it, closed without confirmation.
    t["extended"] = report(world, sh(2026, 11, 4, 10), description="-3楼车库漏水严重", location="+1层")
    tickets.acknowledge(at(world, sh(2026, 11, 4, 10, 20)).ctx, staff(world, t["extended"]), t["extended"])
    supervision.request_extension(
        at(world, sh(2026, 11, 4, 11)).ctx, staff(world, t["extended"]), t["extended"], 1
    )
    supervision.decide_extension(at(world, sh(2026, 11, 4, 11, 30)).ctx, liu, t["extended"], True)
    tickets.resolve(at(world, sh(2026, 11, 5, 12)).ctx, staff(world, t["extended"]), t["extended"], "已堵漏")
    t["transferred"] = report(world, sh(2026, 11, 10, 10))  # 000006: to city management
    tickets.transfer_department(
        at(world, sh(2026, 11, 10, 10, 20)).ctx, liu, t["transferred"], "siming-chengguan", "占道施工"
    )
    t["withdrawn"] = report(world, sh(2026, 11, 11, 10))  # 000007
    tickets.withdraw(at(world, sh(2026, 11, 11, 11)).ctx, zhang, t["withdrawn"])
    t["qianpu"] = report(world, sh(2026, 11, 12, 10), SMITH_OWNER, privacy=Privacy.EVERYONE)  # QP-2026-000001
    # The ladder climbs over the month: the hidden report reaches listed supervision, the extended one
    # closes unconfirmed after its quiet period.
    ladder.sweep(at(world, sh(2026, 11, 30, 12)).ctx)
    t["december"] = report(world, sh(2026, 12, 1, 10))  # 000008: December's, left out
    world.clock.set(BUILT)
    return t


def govern(world: World, telegram_id: int) -> ledger.LedgerScope:
    return ledger.governed_scope(world.ctx, world.pid(telegram_id), None)


def build(world: World, telegram_id: int, new: bool = False, month: Period = NOVEMBER) -> ledger.LedgerFile:
    documents = RevenueDocuments()
    return ledger.ledger(
        world.ctx, govern(world, telegram_id), month, drawer(documents, ZH), world.pid(telegram_id), new
    )


def sheets(data: bytes | None) -> dict[str, list[list[Any]]]:
    assert data is not None
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def rows(data: bytes | None) -> dict[str, list[Any]]:
    """问题台账's ticket rows by number (under the title, the note and the header)."""
    found = sheets(data)["问题台账"]
    assert found[2] == HEADER
    return {r[0]: r for r in found[3:]}


def every_text(data: bytes | None) -> str:
    return "\n".join(str(v) for sheet in sheets(data).values() for row in sheet for v in row if v is not None)


def test_the_street_ledger_has_a_row_per_ticket_open_or_closed_in_the_month_cell_by_cell(
    world: World,
) -> None:
    t = november(world)
    found = build(world, WU_STREET)
    assert (found.fresh, found.version.version, found.version.rows) == (True, 1, 6)
    assert found.filename() == "ledger-2026-11-jialian-street-v1.xlsx"
    book = rows(found.version.xlsx)
    assert list(book) == [f"HB-2026-00000{n}" for n in range(2, 8)]  # not October's, December's, 前埔's
    place = ["海滨花园", "厦门海欣物业服务有限公司", "莲花社区居委会", "嘉莲街道办事处", "电梯", "加急"]
    handler = {k: name(world, staff(world, v)) for k, v in t.items() if k != "transferred"}
    assert book["HB-2026-000002"] == [
        "HB-2026-000002", *place, "电梯门关不上，一直响警报", None, "张女士（3栋2单元501）",
        "2026-10-30 10:00", handler["before"], "2026-10-30 11:00", "2026-10-30 10:30",
        "2026-10-30 22:00", "2026-11-02 09:00", None, "业主已确认，已关闭", "业主确认已解决",
        "2026-11-02 10:00", None, "否", 0, 4,
    ]  # fmt: skip
    assert book["HB-2026-000003"] == [
        "HB-2026-000003", *place, "电梯门关不上，一直响警报", None, "张女士（3栋2单元501）",
        "2026-11-02 10:00", handler["model"], "2026-11-02 11:00", "2026-11-02 10:30",
        "2026-11-02 22:00", "2026-11-02 15:00", None, "业主已确认，已关闭", "业主确认已解决",
        "2026-11-02 16:00", None, "否", 0, 5,
    ]  # fmt: skip
    hidden = world.ticket(t["hidden"])
    assert hidden.supervised and hidden.due_at == sh(2026, 11, 3, 22)
    assert book["HB-2026-000004"] == [
        "HB-2026-000004", *place, FORMULA, "@3栋大堂", "某业主（应本人要求不显示姓名）",
        "2026-11-03 10:00", handler["hidden"], "2026-11-03 11:00", None,
        "2026-11-03 22:00", None, None, "已派单", None, None, "区住房局", "是", 0, None,
    ]  # fmt: skip
    extended = world.ticket(t["extended"])
    granted = next(e for e in world.events(t["extended"]) if e.event is Event.EXTENSION_GRANT)
    until = datetime.fromisoformat(granted.data["until"]).astimezone(sh(2026, 1, 1).tzinfo)
    assert extended.due_at is not None and extended.due_at.astimezone(until.tzinfo) == until
    assert extended.closed_at is not None
    closed = f"{extended.closed_at.astimezone(until.tzinfo):%Y-%m-%d %H:%M}"
    assert book["HB-2026-000005"] == [
        "HB-2026-000005", *place, "-3楼车库漏水严重", "+1层", "张女士（3栋2单元501）",
        "2026-11-04 10:00", handler["extended"], "2026-11-04 11:00", "2026-11-04 10:20",
        f"{until:%Y-%m-%d %H:%M}", "2026-11-05 12:00", f"获准延期至 {until:%Y-%m-%d %H:%M}",
        "未经业主确认已关闭", "未经业主确认已关闭", closed,
        None, "否", 0, None,
    ]  # fmt: skip
    transferred = book["HB-2026-000006"]
    assert (transferred[11], transferred[17]) == ("思明区城市管理局（已转交）", "已转交职能部门")
    withdrawn = book["HB-2026-000007"]
    assert (withdrawn[17], withdrawn[18], withdrawn[19]) == ("已撤回", "业主已撤回", "2026-11-11 11:00")
    title, note = sheets(found.version.xlsx)["问题台账"][:2]
    assert title[0] == "嘉莲街道办事处问题台账（2026年11月，第 1 版）"
    assert note[0].startswith("截至 2026-12-05 10:00（时间为 Asia/Shanghai）")


def test_the_results_sheet_holds_the_figures_of_the_scope_then_each_estate(
    world: World, tmp_path: Path
) -> None:
    november(world)
    found = build(world, WU_STREET)
    results = sheets(found.version.xlsx)["成果指标"]
    assert results[2] == [
        "范围", "受理数", "按时响应率", "按时办结率", "业主确认解决", "超时未确认关闭", "已撤回",
        "满意率（已评价中）", "当前超期", "已重新打开", "挂牌督办数", "已转交职能部门",
    ]  # fmt: skip
    few = "，样本数少于 5，不参与排名"
    # Reported in November: model, hidden, extended, transferred, withdrawn. Acknowledged in time: model
    # and extended; hidden's limit passed (transferred and withdrawn owed none by then). Resolved on time:
    # model, extended (by its extension); missed: hidden, transferred (October's "before" missed in
    # October). Confirmed: before, model; unconfirmed: extended. Rated 4 and 5. Overdue now and listed:
    # hidden, transferred.
    november_row = [5, f"2/3{few}", f"2/4{few}", 2, 1, 1, f"2/2{few}", 2, 0, 2, 1]
    assert results[3:] == [
        ["嘉莲街道办事处", *november_row],
        ["海滨花园", *november_row],
        ["上都嘉园", 0, f"0/0{few}", f"0/0{few}", 0, 0, 0, f"0/0{few}", 0, 0, 0, 0],
    ]
    whole = figures_for(world.ctx, govern(world, WU_STREET).scope, NOVEMBER)
    assert (whole.received, whole.responded_in_time.hits, whole.resolved_on_time.cases) == (5, 2, 4)
    path = tmp_path / "supervision.yaml"
    path.write_text("supervision: {min_sample: 3}\n", encoding="utf-8")
    apply_setup(world.ctx, read_setup(path))
    ranked = sheets(build(world, WU_STREET, new=True).version.xlsx)["成果指标"][3]
    assert ranked[2:4] == ["67%（2/3）", "50%（2/4）"] and ranked[7] == "2/2，样本数少于 3，不参与排名"


def test_a_company_reader_never_sees_a_reporter_who_chose_the_government_side_or_nobody(world: World) -> None:
    t = november(world)
    company = build(world, WANG_MANAGER)  # the project manager of 海滨花园: the company side
    street = build(world, WU_STREET)  # the government side
    assert company.scope.government is False and street.scope.government is True
    withheld = "某业主（应本人要求不显示姓名）"
    for number, key in (("HB-2026-000002", "before"), ("HB-2026-000005", "extended")):
        assert world.ticket(t[key]).privacy is Privacy.GOVERNMENT
        assert rows(company.version.xlsx)[number][9] == withheld
        assert rows(street.version.xlsx)[number][9] == "张女士（3栋2单元501）"
    assert rows(company.version.xlsx)["HB-2026-000003"][9] == "张女士（3栋2单元501）"  # chose everyone
    for found in (company, street):
        assert rows(found.version.xlsx)["HB-2026-000004"][9] == withheld  # chose nobody
        text = every_text(found.version.xlsx) + (found.version.csv or b"").decode("gbk")
        assert "何先生" not in text and "5栋1单元1203" not in text
    # Every column of the company's file, every sheet and the CSV: 张女士 only on the row she allowed.
    company_text = every_text(company.version.xlsx)
    assert company_text.count("张女士") == 1 and company_text.count("3栋2单元501") == 1
    assert (company.version.csv or b"").decode("gbk").count("张女士") == 1


def test_the_bureau_sees_every_street_and_names_where_the_tier_allows(world: World) -> None:
    november(world)
    found = build(world, ZHENG_BUREAU)
    book = rows(found.version.xlsx)
    assert "QP-2026-000001" in book and book["QP-2026-000001"][9] == "Mr Smith（8-2-702）"
    assert book["QP-2026-000001"][4] == "莲前街道办事处"


def test_a_kept_ledger_is_sent_again_byte_for_byte_and_a_correction_is_a_new_version(world: World) -> None:
    t = november(world)
    first = build(world, WU_STREET)
    world.clock.set(sh(2026, 12, 9, 15))
    tickets.acknowledge(world.ctx, staff(world, t["hidden"]), t["hidden"])  # the data changes meanwhile
    again = build(world, WU_STREET)
    assert (again.fresh, again.version.version) == (False, 1)
    assert again.version.xlsx == first.version.xlsx and again.version.csv == first.version.csv
    assert again.version.built_at == BUILT
    corrected = build(world, WU_STREET, new=True)
    assert (corrected.fresh, corrected.version.version) == (True, 2)
    assert corrected.version.xlsx != first.version.xlsx
    assert rows(corrected.version.xlsx)["HB-2026-000004"][13] == "2026-12-09 15:00"
    assert build(world, WU_STREET).version.xlsx == corrected.version.xlsx  # the newest is the one sent


def test_the_workbook_carries_its_build_time_so_the_same_data_gives_the_same_bytes(world: World) -> None:
    november(world)
    governed = govern(world, WU_STREET)
    draw = drawer(RevenueDocuments(), ZH)

    def made() -> bytes:
        with world.ctx.uow() as uow:
            return draw(ledger.ledger_data(world.ctx, uow, governed, NOVEMBER, BUILT, 1)).xlsx

    first = made()
    assert made() == first
    book = openpyxl.load_workbook(io.BytesIO(first))
    utc = datetime(2026, 12, 5, 2, 0)  # BUILT, 10:00 in Shanghai
    assert book.properties.created == book.properties.modified == utc
    entries = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert entries and {e.date_time for e in entries} == {(2026, 12, 5, 2, 0, 0)}


def test_the_rows_are_the_same_whatever_the_page_size_and_however_few_names_are_held(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are read a page at a time with the events they show and their people's names, and names
    are forgotten past NAMES_HELD: pages of 2 tickets and 1 name held give the very same files."""
    november(world)
    governed = govern(world, WU_STREET)
    draw = drawer(RevenueDocuments(), ZH)

    def made() -> tuple[bytes, bytes, int]:
        with world.ctx.uow() as uow:
            files = draw(ledger.ledger_data(world.ctx, uow, governed, NOVEMBER, BUILT, 1))
            return files.xlsx, files.csv, files.rows

    whole = made()
    monkeypatch.setattr(ledger_rows, "PAGE", 2)
    monkeypatch.setattr(ledger_rows, "NAMES_HELD", 1)
    assert made() == whole and whole[2] == 6


def test_the_events_a_row_shows_are_read_with_the_one_value_asked_of_each(world: World) -> None:
    t = november(world)
    wanted = {Event.OPEN: "ack_due_at", Event.EXTENSION_GRANT: "until", Event.ACKNOWLEDGE: None}
    with world.ctx.uow() as uow:
        marks = uow.events.marks([t["extended"], t["model"]], wanted)
    history = {k: [e for e in world.events(t[k]) if e.event in wanted] for k in ("model", "extended")}
    expected = [
        (e.ticket_id, e.event, e.at, e.data.get(wanted[e.event] or "")) for k in ("model", "extended")
        for e in history[k]
    ]  # fmt: skip
    assert [(m.ticket_id, m.event, m.at, m.value) for m in marks] == expected
    assert [m.event for m in marks if m.ticket_id == t["extended"]] == [
        Event.OPEN, Event.ACKNOWLEDGE, Event.EXTENSION_GRANT
    ]  # fmt: skip
    assert all(m.value for m in marks if m.event is not Event.ACKNOWLEDGE)


def test_text_that_looks_like_a_formula_stays_text(world: World) -> None:
    november(world)
    data = build(world, WU_STREET).version.xlsx
    assert data is not None
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert {FORMULA, "@3栋大堂", "-3楼车库漏水严重", "+1层"} <= texts
    csv_text = (build(world, WU_STREET).version.csv or b"").decode("gbk")
    assert "'=HYPERLINK" in csv_text and ",'@3栋大堂," in csv_text and ",'-3楼车库漏水严重,'+1层," in csv_text


def test_the_csv_is_the_first_sheet_in_gbk(world: World) -> None:
    november(world)
    found = build(world, WU_STREET)
    assert found.version.csv is not None
    text = found.version.csv.decode("gbk")
    lines = text.split("\r\n")
    assert lines[0].split(",") == HEADER
    assert len([line for line in lines[1:] if line]) == 6
    assert found.filename(csv=True) == "ledger-2026-11-jialian-street-v1.csv"


def test_an_empty_month_has_its_headers_and_a_line_saying_there_were_no_cases(world: World) -> None:
    found = build(world, WU_STREET, month=Period.month(2026, 9))
    problems = sheets(found.version.xlsx)["问题台账"]
    assert problems[2] == HEADER and problems[3][0] == "本月没有案件。" and len(problems) == 4
    assert sheets(found.version.xlsx)["典型案例"][1:] == [
        ["编号", "小区", "基本情况", "处理过程", "处理结果"],
        ["本月没有标记为典型案例的工单。", None, None, None, None],
    ]
    assert (found.version.csv or b"").decode("gbk").split("\r\n")[1] == "本月没有案件。"


def test_typical_cases_fill_their_sheet(world: World) -> None:
    t = november(world)
    for tid, texts in (
        (t["hidden"], ("电梯困人隐患", "街道约谈物业", "已更换控制板")),
        (t["model"], ("=a", "b", "c")),
    ):
        typical_cases.mark(world.ctx, world.pid(WU_STREET), tid, typical_cases.Texts(*texts))
    found = build(world, WU_STREET)
    assert sheets(found.version.xlsx)["典型案例"][2:] == [
        ["HB-2026-000003", "海滨花园", "=a", "b", "c"],
        ["HB-2026-000004", "海滨花园", "电梯困人隐患", "街道约谈物业", "已更换控制板"],
    ]


def test_bad_months_and_scopes_are_refused_and_nothing_is_kept(world: World) -> None:
    world.clock.set(BUILT)
    today = BUILT.date()
    for text, code in (
        ("2026-13", "ledger_month"),
        ("2026Q5", "ledger_month"),
        ("2026-11-01..2026-11-15", "ledger_month"),  # a run of days is no ledger's period
        ("2026-12", "ledger_month_open"),
        ("2026Q4", "ledger_month_open"),  # the quarter is not over
        ("2027Q1", "ledger_month_open"),
    ):
        with pytest.raises(UserError) as refused:
            ledger.ledger_period(text, today)
        assert refused.value.code == code
    with pytest.raises(UserError) as future:
        ledger.ledger_period("2027-01", today)
    assert future.value.code == "ledger_month_open"
    for telegram_id, code in ((ZHANG_OWNER, "ledger_nobody"), (FENG_CHENGGUAN, "ledger_nobody")):
        with pytest.raises(UserError) as nobody:
            govern(world, telegram_id)
        assert nobody.value.code == code
    street = govern(world, WU_STREET)
    with pytest.raises(UserError) as not_theirs:
        ledger.governed_scope(world.ctx, world.pid(LIU_COMMUNITY), street.token)
    assert not_theirs.value.code == "ledger_not_yours"
    with world.ctx.uow() as uow:
        assert uow.ledgers.latest(street.scope.kind.value, street.scope.id, "2026-11") is None


def test_erasing_a_person_a_kept_ledger_names_drops_its_files_and_the_next_is_a_new_version(
    world: World,
) -> None:
    november(world)
    first = build(world, WU_STREET)
    assert "张女士" in every_text(first.version.xlsx)
    people.delete_my_data(world.ctx, world.pid(ZHANG_OWNER))
    with world.ctx.uow() as uow:
        kept = uow.ledgers.latest("street", first.version.scope_id, "2026-11")
        assert kept is not None and (kept.erased, kept.xlsx, kept.csv) == (True, None, None)
    rebuilt = build(world, WU_STREET)
    assert (rebuilt.fresh, rebuilt.version.version) == (True, 2)
    assert "张女士" not in every_text(rebuilt.version.xlsx)
    assert rows(rebuilt.version.xlsx)["HB-2026-000002"][9] == "某业主（资料已删除）"


async def test_an_official_asks_in_the_chat_and_gets_the_file_then_the_same_file_again(world: World) -> None:
    november(world)
    world.ctx.documents = RevenueDocuments()
    talk = Talk(world.ctx)
    first = [o for o in await talk.command(WU_STREET, "ledger", "2026-11") if isinstance(o, Send)]
    assert len(first) == 1 and first[0].document is not None
    assert first[0].filename == "ledger-2026-11-jialian-street-v1.xlsx"
    assert "第 1 版" in first[0].text and "现已生成并存档" in first[0].text
    again = [o for o in await talk.command(WU_STREET, "ledger", "2026年11月") if isinstance(o, Send)]
    assert again[0].document == first[0].document and "与当时发送的文件相同" in again[0].text
    as_csv = [o for o in await talk.command(WU_STREET, "ledger", "2026-11 csv") if isinstance(o, Send)]
    assert as_csv[0].filename == "ledger-2026-11-jialian-street-v1.csv"
    assert (as_csv[0].document or b"").decode("gbk").startswith("编号,")
    quarter = [o for o in await talk.command(WU_STREET, "ledger", "2026Q3") if isinstance(o, Send)]
    assert quarter[0].filename == "ledger-2026Q3-jialian-street-v1.xlsx"
    assert "2026年第三季度" in quarter[0].text and quarter[0].document != first[0].document
    for spelling in ("2026-Q3", "2026q3", "2026年第三季度"):
        same = [o for o in await talk.command(WU_STREET, "ledger", spelling) if isinstance(o, Send)]
        assert same[0].document == quarter[0].document, spelling
    for args, expected in (
        ("2026-13", "“2026-13”不是月份或季度"),
        ("2026Q5", "“2026Q5”不是月份或季度"),
        ("2026-12", "2026年12月尚未结束：2027年1月1日起可以生成台账。"),
        ("2026Q4", "2026年第四季度尚未结束：2027年1月1日起可以生成台账。"),
        ("2027Q1", "2027年第一季度尚未结束：2027年4月1日起可以生成台账。"),
        ("", "哪个月份或季度？"),
    ):
        said = [o for o in await talk.command(WU_STREET, "ledger", args) if isinstance(o, Send)]
        assert said[0].document is None and said[0].text.startswith(expected), said[0].text
    refused = [o for o in await talk.command(ZHANG_OWNER, "ledger", "2026-11") if isinstance(o, Send)]
    assert refused[0].document is None and "项目经理" in refused[0].text
    with world.ctx.uow() as uow:
        street = govern(world, WU_STREET)
        kept = uow.ledgers.latest(street.scope.kind.value, street.scope.id, "2026-11")
        assert kept is not None and kept.version == 1


async def test_someone_with_several_ledgers_chooses_one_by_its_button(world: World) -> None:
    world.ctx.documents = RevenueDocuments()
    world.clock.set(BUILT)
    talk = Talk(world.ctx)
    # 王建国 also becomes the 莲花 community's official: two ledgers to choose from.
    with world.ctx.uow() as uow:
        from handlers.domain.people import Role, RoleKind

        office = uow.offices.by_key("lianhua-community")
        assert office is not None
        uow.roles.add(Role(person_id=world.pid(WANG_MANAGER), kind=RoleKind.OFFICIAL, office_id=office.id))
        uow.commit()
    said = [o for o in await talk.command(WANG_MANAGER, "ledger", "2026-11 new") if isinstance(o, Send)]
    assert said[0].document is None
    choices = talk.buttons(WANG_MANAGER, "lx:")
    assert len(choices) == 2
    outputs = await talk.press(WANG_MANAGER, choices[1][0])
    sent = [o for o in outputs if isinstance(o, Send) and o.document]
    assert sent and sent[0].filename == "ledger-2026-11-haibin-v1.xlsx"
    # the quarter's, by its own buttons
    await talk.command(WANG_MANAGER, "ledger", "2026Q3")
    quarters = talk.buttons(WANG_MANAGER, "lx:", limit=2)  # newest first
    assert all(":2026Q3:x" in data for data, _ in quarters)
    outputs = await talk.press(WANG_MANAGER, quarters[0][0])
    sent = [o for o in outputs if isinstance(o, Send) and o.document]
    assert sent and sent[0].filename == "ledger-2026Q3-lianhua-community-v1.xlsx"
    # A forged press for a scope that is not theirs changes nothing.
    forged = await talk.press(ZHANG_OWNER, choices[1][0])
    assert not [o for o in forged if isinstance(o, Send) and o.document]
