"""The report calendar's quarterly ledgers and its catch-up, on a real database (SQLite and PostgreSQL) and
a controlled clock: a street's ledger of 2026年第一季度 due on 5 April (清明: moved to Friday the 3rd, its
draft on the 1st, the first working day after the quarter), confirmed by one street and sent by itself
for the other, and /reports 2026Q1 for the bureau; then a bot down across several due days sends each
missed report once, oldest first, while an office new to the calendar gets no backlog."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.report_jobs import sweep_reports
from bot.revenue_files import RevenueDocuments
from handlers.conversations.io import Send
from handlers.rules.report_calendar import Cadence, ReportKind, Schedule
from handlers.services import people
from handlers.services.settings import put_report_calendar
from tests.service.talk import Talk
from tests.service.world import LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU, World, build_world, sh

QUARTERLY = Schedule("street", ReportKind.LEDGER, 5, Cadence.QUARTER)


@pytest.fixture
def world(engine: Engine) -> World:
    """The example world loaded on 5 January 2026 with two cases at 海滨花园 (嘉莲街道); the street and
    bureau officials read English."""
    w = build_world(engine, sh(2026, 1, 5, 10))
    w.ctx = replace(w.ctx, documents=RevenueDocuments())
    w.report(description="3栋电梯门关不上，一直响警报")
    w.clock.set(sh(2026, 2, 12, 10))
    w.report(description="地下车库入口积水严重")
    for official in (WU_STREET, ZHENG_BUREAU):
        people.set_language(w.ctx, w.pid(official), "en")
    return w


def calendar(world: World, *schedules: Schedule, now: Any = None) -> None:
    with world.ctx.uow() as uow:
        put_report_calendar(uow, list(schedules), now)
        uow.commit()


def office_id(world: World, key: str) -> int:
    with world.ctx.uow() as uow:
        office = uow.offices.by_key(key)
        assert office is not None and office.id is not None
        return office.id


def record(world: World, key: str, period: str) -> Any:
    with world.ctx.uow() as uow:
        return uow.reports.of(office_id(world, key), "ledger", period)


async def said(talk: Talk, user: int, command: str, args: str = "") -> str:
    [reply] = [out for out in await talk.command(user, command, args) if isinstance(out, Send)]
    return reply.text


# ---- the quarter's ledger -------------------------------------------------------------------------------
async def test_a_quarterly_ledger_is_drafted_confirmed_sent_by_itself_and_shown_like_a_months(
    world: World,
) -> None:
    calendar(world, QUARTERLY)
    street, other = office_id(world, "jialian-street"), office_id(world, "lianqian-street")
    world.clock.set(sh(2026, 3, 31, 18))  # the quarter is not over: no draft
    assert sweep_reports(world.ctx).drafted == []
    world.clock.set(sh(2026, 4, 1, 9))
    done = sweep_reports(world.ctx)
    assert sorted(done.drafted) == sorted([(street, "2026Q1"), (other, "2026Q1")]) and done.sent == []
    [draft] = [n for n in world.notifications() if n.kind == "report.draft"]
    assert (draft.params["period"], draft.params["due_on"], draft.params["received"]) == (
        "2026Q1",
        "2026-04-03",
        2,
    )
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    [draft_file] = [s for s in talk.seen if s.chat_id == WU_STREET and s.document is not None]
    assert "Draft ledger of 嘉莲街道办事处, Q1 2026" in draft_file.text
    [ask] = [s for s in talk.seen if s.chat_id == WU_STREET and s.buttons]
    assert ask.text.startswith(
        "📒 The quarterly ledger (台账) of 嘉莲街道办事处 for Q1 2026 is due to "
        "思明区建设局（物业整治工作专班） on 3 Apr 2026."
    )
    assert "/ledger 2026Q1 new" in ask.text

    world.clock.set(sh(2026, 4, 2, 10))
    mark = len(talk.seen)
    await talk.press(WU_STREET, ask.buttons[0], message_id=ask.message_id)
    mine = [s.text for s in talk.since(mark) if s.chat_id == WU_STREET]
    assert any(
        t.startswith("✅ Sent: the quarterly ledger (台账) of 嘉莲街道办事处 for Q1 2026") for t in mine
    )
    with world.ctx.uow() as uow:
        kept = uow.ledgers.latest("street", street, "2026Q1")
    assert kept is not None
    [up] = [s for s in talk.since(mark) if s.chat_id == ZHENG_BUREAU and s.document is not None]
    assert (
        up.document == kept.xlsx and "嘉莲街道办事处 sent its quarterly ledger (台账) for Q1 2026" in up.text
    )

    world.clock.set(sh(2026, 4, 3, 17, 59))
    assert sweep_reports(world.ctx).sent == []
    world.clock.set(sh(2026, 4, 3, 18))  # the due day's close: the other street's goes by itself
    assert sweep_reports(world.ctx).sent == [(other, "2026Q1")]
    assert sweep_reports(world.ctx).sent == []
    assert record(world, "lianqian-street", "2026Q1").automatic is True
    assert record(world, "jialian-street", "2026Q1").sent_by == world.pid(WU_STREET)

    world.clock.set(sh(2026, 4, 7, 10))
    assert await said(talk, ZHENG_BUREAU, "reports", "2026-Q1") == "\n".join(
        [
            "📋 Quarterly ledgers (台账) of Q1 2026: 2 of 2 sent",
            "",
            "✅ 嘉莲街道办事处: sent by 吴科长（嘉莲街道） at 2 Apr 2026, 10:00",
            "🤖 莲前街道办事处: sent automatically at 3 Apr 2026, 18:00",
        ]
    )
    # the months are another calendar: none is on this one
    assert (await said(talk, ZHENG_BUREAU, "reports", "2026-03")).startswith("No report of 3/2026")
    for lang, head in (
        ("zh_Hans", "📋 2026年第一季度台账：2 份中已报送 2 份"),
        ("zh_Hant", "📋 2026年第一季度台帳："),
    ):
        people.set_language(world.ctx, world.pid(ZHENG_BUREAU), lang)
        assert (await said(talk, ZHENG_BUREAU, "reports", "2026q1")).startswith(head)


@pytest.mark.parametrize(
    ("moment", "args", "expected"),
    [
        (sh(2026, 4, 7, 10), "2026Q5", "“2026Q5” is not a month or a quarter."),
        (sh(2026, 3, 31, 10), "2026Q1", "Q1 2026 is not over yet"),
        (sh(2026, 4, 7, 10), "2026Q3", "Q3 2026 is not over yet"),
    ],
)
async def test_a_quarter_that_is_not_one_or_not_over_is_refused_and_nothing_changes(
    world: World, moment: Any, args: str, expected: str
) -> None:
    calendar(world, QUARTERLY)
    world.clock.set(moment)
    before = [n.key for n in world.notifications()]
    talk = Talk(world.ctx)
    assert (await said(talk, ZHENG_BUREAU, "reports", args)).startswith(expected)
    assert (await said(talk, WU_STREET, "ledger", args)).startswith(expected)
    assert [n.key for n in world.notifications()] == before
    with world.ctx.uow() as uow:
        assert uow.ledgers.latest("street", office_id(world, "jialian-street"), args.upper()) is None


# ---- catching up ----------------------------------------------------------------------------------------
def sent_in_order(world: World, key: str) -> list[str]:
    """The periods of the office's reports as they went up, in the order they were queued."""
    office = office_id(world, key)
    return [
        n.params["period"]
        for n in world.notifications()
        if n.kind in ("report.received", "report.auto_sent") and n.params["office_id"] == office
        if n.kind == "report.auto_sent" or n.person_id == world.pid(ZHENG_BUREAU)
    ]


def test_a_bot_down_across_several_due_days_sends_each_missed_report_once_oldest_first(world: World) -> None:
    world.clock.set(sh(2026, 2, 14, 18))  # January's went up on its due day; then the bot was down
    assert len(sweep_reports(world.ctx).sent) == 3
    world.clock.set(sh(2026, 5, 25, 10))  # back after February's, March's and April's due days
    done = sweep_reports(world.ctx)
    assert done.failed == 0 and done.drafted == []
    streets = [p for o, p in done.sent if o == office_id(world, "jialian-street")]
    assert streets == ["2026-02", "2026-03", "2026-04"]
    assert [p for _, p in done.sent] == sorted(p for _, p in done.sent)  # oldest first, every office
    assert len(done.sent) == 9
    for period in ("2026-02", "2026-03", "2026-04"):
        r = record(world, "jialian-street", period)
        assert (r.automatic, r.sent_by, r.sent_at) == (True, None, sh(2026, 5, 25, 10))
    # the bureau receives them in that order, each once
    received = [
        n.params["period"]
        for n in world.notifications()
        if n.kind == "report.received" and n.params["office_id"] == office_id(world, "jialian-street")
    ]
    assert received == ["2026-01", "2026-02", "2026-03", "2026-04"]
    before = [n.key for n in world.notifications()]
    for moment in (sh(2026, 5, 25, 10, 5), sh(2026, 6, 1, 9)):
        world.clock.set(moment)
        again = sweep_reports(world.ctx)
        assert (again.sent, again.drafted) == ([], [])
    assert [n.key for n in world.notifications()] == before


async def test_a_line_added_to_the_calendar_owes_nothing_due_before_it_was_loaded(world: World) -> None:
    world.clock.set(sh(2026, 2, 14, 18))
    sweep_reports(world.ctx)
    world.clock.set(sh(2026, 5, 25, 10))  # communities by the 10th, added in May: April's was due on 11 May
    calendar(world, Schedule("community", ReportKind.LEDGER, 10), now=world.clock.now())
    done = sweep_reports(world.ctx)
    assert done.sent == [] and done.drafted == []
    talk = Talk(world.ctx)  # nor is April's shown as owed by the community
    assert "莲花社区" not in await said(talk, LIU_COMMUNITY, "reports", "2026-04")
    world.clock.set(sh(2026, 6, 10, 18))  # May's, the first due since: sent by itself, one per community
    done = sweep_reports(world.ctx)
    assert {p for _, p in done.sent} == {"2026-05"} and len(done.sent) == 3
    assert "🤖 莲花社区居委会" in await said(talk, LIU_COMMUNITY, "reports", "2026-05")


def test_a_line_whose_first_due_days_passed_while_down_sends_each_of_them(world: World) -> None:
    """Loaded in January with a quarterly line, down from February to August: the first and second
    quarters' reports both go up when it is back, though it never drafted one before."""
    calendar(world, Schedule("street", ReportKind.LEDGER, 15, Cadence.QUARTER), now=sh(2026, 1, 5, 10))
    world.clock.set(sh(2026, 8, 3, 10))
    done = sweep_reports(world.ctx)
    street = office_id(world, "jialian-street")
    assert [p for o, p in done.sent if o == street] == ["2026Q1", "2026Q2"]


def test_a_quarter_missed_while_down_goes_up_with_the_next_oldest_first(world: World) -> None:
    calendar(world, Schedule("street", ReportKind.LEDGER, 15, Cadence.QUARTER))
    world.clock.set(sh(2026, 4, 15, 18))
    assert sorted(p for _, p in sweep_reports(world.ctx).sent) == ["2026Q1", "2026Q1"]
    world.clock.set(sh(2026, 10, 20, 9))  # down from April until after the third quarter's due day
    done = sweep_reports(world.ctx)
    street = office_id(world, "jialian-street")
    assert [p for o, p in done.sent if o == street] == ["2026Q2", "2026Q3"]
    assert sweep_reports(world.ctx).sent == []


async def test_a_quarterly_draft_pressed_after_a_correction_is_offered_again_with_the_quarters_due_time(
    world: World,
) -> None:
    """The street owes a monthly ledger by the 20th and a quarterly one by the 5th: the correction's new
    draft keeps the quarter's line (due 3 April), not the month's."""
    calendar(world, Schedule("street", ReportKind.LEDGER, 20), QUARTERLY)
    world.clock.set(sh(2026, 4, 1, 9))
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    [(old, message)] = talk.buttons(WU_STREET, "ru")
    world.clock.set(sh(2026, 4, 2, 9))
    await talk.command(WU_STREET, "ledger", "2026Q1 new")  # version 2
    mark = len(talk.seen)
    await talk.press(WU_STREET, old, message_id=message)
    [ask] = [s for s in talk.since(mark) if s.buttons]
    assert "for Q1 2026 is due to" in ask.text and "on 3 Apr 2026" in ask.text
    assert "goes up automatically at 3 Apr 2026, 18:00" in ask.text, ask.text
    assert record(world, "jialian-street", "2026Q1").sent_at is None
