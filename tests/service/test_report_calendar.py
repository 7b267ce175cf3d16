"""The report calendar on a real database (SQLite and PostgreSQL) and a controlled clock, in January and
February 2026, when the Spring Festival (15–23 February) takes both default due days (the streets' 20th,
the bureau's 23rd) back to the make-up working Saturday the 14th: the draft on the 11th, Confirm and send
by the street official (the bureau official gets the very bytes kept), a second press, a press by someone
not of the office, a correction built after the draft, the automatic sending at the due day's close, and
/reports for the bureau, in three languages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.report_jobs import sweep_reports
from bot.revenue_files import RevenueDocuments
from handlers.conversations.io import Send
from handlers.rules.report_calendar import ReportKind, Schedule
from handlers.services import people
from handlers.services.settings import put_report_calendar
from tests.service.talk import Talk
from tests.service.world import LIU_COMMUNITY, SMITH_OWNER, WU_STREET, ZHENG_BUREAU, World, build_world, sh

DRAFT_DAY, DUE_DAY = sh(2026, 2, 11, 9, 0), sh(2026, 2, 14, 18, 0)


@pytest.fixture
def world(engine: Engine) -> World:
    """The example world, loaded on 5 January 2026, with two January cases at 海滨花园 (嘉莲街道) and one
    at 前埔阳光城 (莲前街道, a street without an official in the bot); the street and bureau officials
    read English."""
    w = build_world(engine, sh(2026, 1, 5, 10))
    w.ctx = replace(w.ctx, documents=RevenueDocuments())
    w.report(description="3栋电梯门关不上，一直响警报")
    w.report(description="地下车库入口积水严重")
    w.clock.set(sh(2026, 1, 12, 10))
    w.report(SMITH_OWNER, description="Corridor lights out on floor 5")
    for official in (WU_STREET, ZHENG_BUREAU):
        people.set_language(w.ctx, w.pid(official), "en")
    return w


def office_id(world: World, key: str) -> int:
    with world.ctx.uow() as uow:
        office = uow.offices.by_key(key)
        assert office is not None and office.id is not None
        return office.id


def reports(world: World) -> list[Any]:
    """The report calendar's messages queued, oldest first."""
    return [n for n in world.notifications() if n.kind.startswith("report.")]


def record(world: World, key: str, period: str = "2026-01") -> Any:
    with world.ctx.uow() as uow:
        return uow.reports.of(office_id(world, key), "ledger", period)


def test_the_draft_comes_three_working_days_before_the_due_day_moved_off_the_spring_festival(
    world: World,
) -> None:
    world.clock.set(sh(2026, 2, 10, 18))
    assert sweep_reports(world.ctx).drafted == []
    world.clock.set(sh(2026, 2, 11, 8, 59))
    assert sweep_reports(world.ctx).drafted == []
    world.clock.set(DRAFT_DAY)
    done = sweep_reports(world.ctx)
    assert done.failed == 0 and done.sent == []
    drafted = {o for o, period in done.drafted if period == "2026-01"}
    assert drafted == {office_id(world, k) for k in ("jialian-street", "lianqian-street", "siming-bureau")}
    drafts = [n for n in reports(world) if n.kind == "report.draft"]
    # to each official of each office that owes one: 吴科长 and 郑处长 (莲前街道 has none in the bot)
    assert sorted(n.person_id for n in drafts) == sorted([world.pid(WU_STREET), world.pid(ZHENG_BUREAU)])
    street = next(n.params for n in drafts if n.person_id == world.pid(WU_STREET))
    assert (street["due_on"], street["period"], street["received"]) == ("2026-02-14", "2026-01", 2)
    assert record(world, "jialian-street").drafted_at is not None
    # Later runs that day and up to the due day queue nothing more.
    before = [n.key for n in world.notifications()]
    for moment in (sh(2026, 2, 11, 15), sh(2026, 2, 13, 9), sh(2026, 2, 14, 17, 59)):
        world.clock.set(moment)
        assert sweep_reports(world.ctx).drafted == [] and sweep_reports(world.ctx).sent == []
    assert [n.key for n in world.notifications()] == before


async def test_confirm_and_send_delivers_the_kept_bytes_to_the_bureau_once(world: World) -> None:
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    mine = [s for s in talk.seen if s.chat_id == WU_STREET]
    [draft_file] = [s for s in mine if s.document is not None]
    assert "Draft ledger of 嘉莲街道办事处" in draft_file.text
    [ask] = [s for s in mine if s.buttons]
    assert "due to 思明区建设局（物业整治工作专班） on" in ask.text and "Received 2 ·" in ask.text
    assert "Confirm and send" in ask.text
    with world.ctx.uow() as uow:
        kept = uow.ledgers.latest("street", office_id(world, "jialian-street"), "2026-01")
    assert kept is not None and draft_file.document == kept.xlsx

    world.clock.set(sh(2026, 2, 12, 10, 30))
    mark = len(talk.seen)
    await talk.press(WU_STREET, ask.buttons[0], message_id=ask.message_id)
    said = [s.text for s in talk.since(mark) if s.chat_id == WU_STREET]
    assert any(t.startswith("✅ Sent: the monthly ledger (台账) of 嘉莲街道办事处") for t in said), said
    sent = record(world, "jialian-street")
    assert (sent.sent_by, sent.automatic, sent.ledger_id) == (world.pid(WU_STREET), False, kept.id)
    [up] = [s for s in talk.since(mark) if s.chat_id == ZHENG_BUREAU and s.document is not None]
    assert up.document == kept.xlsx  # the stored bytes are what went up
    assert "嘉莲街道办事处 sent its monthly ledger (台账)" in up.text and "吴科长" in up.text

    # A second press: who sent it and when, nothing changed.
    before = ([n.key for n in world.notifications()], record(world, "jialian-street"))
    mark = len(talk.seen)
    await talk.press(WU_STREET, ask.buttons[0], message_id=ask.message_id)
    [toast] = [s.text for s in talk.since(mark)]
    assert toast.startswith("Already sent by 吴科长（嘉莲街道） at ")
    assert ([n.key for n in world.notifications()], record(world, "jialian-street")) == before
    # and the auto-send on the due day leaves it alone
    world.clock.set(DUE_DAY)
    done = sweep_reports(world.ctx)
    assert office_id(world, "jialian-street") not in {o for o, _ in done.sent}
    assert record(world, "jialian-street") == before[1]


async def test_a_press_by_someone_not_of_the_office_or_on_an_unknown_report_changes_nothing(
    world: World,
) -> None:
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    [(data, _)] = talk.buttons(WU_STREET, "ru")
    before = [n.key for n in world.notifications()]
    mark = len(talk.seen)
    people.set_language(world.ctx, world.pid(LIU_COMMUNITY), "en")
    await talk.press(LIU_COMMUNITY, data)  # the community below, not the street
    await talk.press(ZHENG_BUREAU, data)  # the office above: receives it, does not send it
    report_id, ledger_id = (int(x) for x in data.split(":")[1:])
    await talk.press(WU_STREET, f"ru:{report_id + 100}:{ledger_id}")
    said = [s.text for s in talk.since(mark)]
    assert said == [
        "Only officials of 嘉莲街道办事处 can send its report. Nothing was sent.",
        "Only officials of 嘉莲街道办事处 can send its report. Nothing was sent.",
        "That report is not known.",
    ]
    assert [n.key for n in world.notifications()] == before
    assert record(world, "jialian-street").sent_at is None


async def test_a_correction_built_after_the_draft_is_offered_before_anything_is_sent(world: World) -> None:
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    [(old, message)] = talk.buttons(WU_STREET, "ru")
    world.clock.set(sh(2026, 2, 12, 9))
    await talk.command(WU_STREET, "ledger", "2026-01 new")  # version 2
    mark = len(talk.seen)
    await talk.press(WU_STREET, old, message_id=message)
    assert record(world, "jialian-street").sent_at is None  # nothing sent
    shown = talk.since(mark)
    assert any("Here is version 2" in s.text for s in shown)
    [fresh] = [s for s in shown if s.document is not None]
    assert "version 2" in fresh.text
    [(new, _)] = [b for b in talk.buttons(WU_STREET, "ru") if b[0] != old]
    await talk.press(WU_STREET, new)
    with world.ctx.uow() as uow:
        kept = uow.ledgers.latest("street", office_id(world, "jialian-street"), "2026-01")
    assert kept is not None and kept.version == 2
    assert record(world, "jialian-street").ledger_id == kept.id
    [up] = [s for s in talk.seen if s.chat_id == ZHENG_BUREAU and s.document and "嘉莲" in s.text]
    assert up.document == fresh.document == kept.xlsx


async def test_unsent_reports_go_up_automatically_at_the_due_days_close_once(world: World) -> None:
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    world.clock.set(sh(2026, 2, 14, 17, 59))
    assert sweep_reports(world.ctx).sent == []
    world.clock.set(DUE_DAY)
    done = sweep_reports(world.ctx)
    ids = {office_id(world, k) for k in ("jialian-street", "lianqian-street", "siming-bureau")}
    assert {o for o, _ in done.sent} == ids and done.failed == 0
    for key in ("jialian-street", "lianqian-street", "siming-bureau"):
        r = record(world, key)
        assert (r.automatic, r.sent_by, r.sent_at) == (True, None, DUE_DAY)
    mark = len(talk.seen)
    await talk.outbox.drain()
    shown = talk.since(mark)
    # the bureau gets both streets' files, marked as sent automatically; not its own (nobody above)
    ups = [s for s in shown if s.chat_id == ZHENG_BUREAU and s.document is not None]
    assert len(ups) == 2 and all("went up automatically on its due day" in s.text for s in ups)
    told = [s.text for s in shown if s.chat_id == WU_STREET]
    assert told == [
        "📒 Nobody confirmed the monthly ledger (台账) of 嘉莲街道办事处 for 1/2026 by its due day, so "
        "version 1 went up automatically to 思明区建设局（物业整治工作专班） at 14 Feb 2026, 18:00, marked "
        "as sent automatically."
    ]
    assert any("was recorded as sent automatically" in s.text for s in shown if s.chat_id == ZHENG_BUREAU)
    before = [n.key for n in world.notifications()]
    world.clock.set(sh(2026, 2, 24, 9))  # after the holiday, and again in March
    assert sweep_reports(world.ctx).sent == []
    world.clock.set(sh(2026, 3, 2, 9))
    assert sweep_reports(world.ctx).sent == []
    assert [n.key for n in world.notifications()] == before
    # Pressing the old draft now: it went automatically.
    [(data, _)] = talk.buttons(WU_STREET, "ru")
    mark = len(talk.seen)
    await talk.press(WU_STREET, data)
    assert [s.text for s in talk.since(mark)] == [
        "Already sent automatically at 14 Feb 2026, 18:00. Nothing changed."
    ]


async def said(talk: Talk, user: int, command: str, args: str = "") -> str:
    """The reply to a command (not the notices the outbox delivers after it)."""
    [reply] = [out for out in await talk.command(user, command, args) if isinstance(out, Send)]
    return reply.text


async def test_the_bureau_sees_who_has_sent_and_who_has_not_in_its_language(world: World) -> None:
    talk = Talk(world.ctx)
    world.clock.set(sh(2026, 2, 5, 10))
    assert await said(talk, ZHENG_BUREAU, "reports") == "\n".join(
        [
            "📋 Monthly ledgers (台账) of 1/2026: 0 of 3 sent",
            "",
            "⏳ 思明区建设局（物业整治工作专班）: not yet (due 14 Feb 2026)",
            "⏳ 嘉莲街道办事处: not yet (due 14 Feb 2026)",
            "⏳ 莲前街道办事处: not yet (due 14 Feb 2026)",
        ]
    )
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    await talk.outbox.drain()
    [(data, _)] = talk.buttons(WU_STREET, "ru")
    await talk.press(WU_STREET, data)
    world.clock.set(DUE_DAY)
    sweep_reports(world.ctx)
    world.clock.set(sh(2026, 2, 24, 9))
    lines = (await said(talk, ZHENG_BUREAU, "reports", "2026-01")).splitlines()
    assert lines[0] == "📋 Monthly ledgers (台账) of 1/2026: 3 of 3 sent"
    assert lines[2:] == [
        "🤖 思明区建设局（物业整治工作专班）: sent automatically at 14 Feb 2026, 18:00",
        "✅ 嘉莲街道办事处: sent by 吴科长（嘉莲街道） at 11 Feb 2026, 09:00",
        "🤖 莲前街道办事处: sent automatically at 14 Feb 2026, 18:00",
    ]
    # the street official sees their own office only (no community owes a report by default)
    assert (await said(talk, WU_STREET, "reports", "2026-01")).splitlines()[2:] == [
        "✅ 嘉莲街道办事处: sent by 吴科长（嘉莲街道） at 11 Feb 2026, 09:00"
    ]
    for lang, words in (("zh_Hans", "已报送"), ("zh_Hant", "已報送")):
        people.set_language(world.ctx, world.pid(ZHENG_BUREAU), lang)
        text = await said(talk, ZHENG_BUREAU, "reports", "2026-01")
        assert words in text and "sent" not in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            "2026-13",
            "“2026-13” is not a month or a quarter. Write it like this: /reports 2026-11 or /reports 2026Q3.",
        ),
        (
            "2026Q5",
            "“2026Q5” is not a month or a quarter. Write it like this: /reports 2026-11 or /reports 2026Q3.",
        ),
        ("2026-02", "2/2026 is not over yet: its reports fall due in the month after it."),
        ("2026Q1", "Q1 2026 is not over yet: its reports fall due in the month after it."),
        ("2026-Q2", "Q2 2026 is not over yet: its reports fall due in the month after it."),
    ],
)
async def test_reports_refuses_a_period_that_is_not_over_or_not_a_month_or_quarter(
    world: World, args: str, expected: str
) -> None:
    talk = Talk(world.ctx)
    world.clock.set(sh(2026, 2, 20, 10))
    assert await said(talk, ZHENG_BUREAU, "reports", args) == expected


async def test_reports_is_for_officials(world: World) -> None:
    talk = Talk(world.ctx)
    assert (
        await said(talk, SMITH_OWNER, "reports")
        == "Only the community, street or district office can do that."
    )


def test_the_setup_files_calendar_replaces_the_defaults(world: World) -> None:
    """Communities by the 10th, streets by the 15th, the bureau not at all: the drafts follow it; an empty
    calendar drafts nothing."""
    with world.ctx.uow() as uow:
        put_report_calendar(
            uow, [Schedule("community", ReportKind.LEDGER, 10), Schedule("street", ReportKind.LEDGER, 15)]
        )
        uow.commit()
    world.clock.set(sh(2026, 2, 5, 9))  # 10 February: a Tuesday; three working days before: the 5th
    done = sweep_reports(world.ctx)
    communities = {
        office_id(world, k) for k in ("lianhua-community", "shangdu-community", "qianpu-community")
    }
    assert {o for o, _ in done.drafted} == communities
    world.clock.set(sh(2026, 2, 10, 9))  # streets: the 15th is a holiday, so the 14th; drafts on the 11th
    assert sweep_reports(world.ctx).drafted == []
    with world.ctx.uow() as uow:
        put_report_calendar(uow, [])
        uow.commit()
    world.clock.set(sh(2026, 2, 12, 9))
    assert sweep_reports(world.ctx).drafted == []


def test_an_area_loaded_after_the_month_gets_no_draft_nor_sending_of_that_month(engine: Engine) -> None:
    """A new deployment: the first thing its officials get is not a ledger of a month before wuye knew
    their estates, drafted or sent up in their name."""
    fresh = build_world(engine, sh(2026, 2, 9, 10))  # loaded after January ended
    fresh.ctx = replace(fresh.ctx, documents=RevenueDocuments())
    for moment in (DRAFT_DAY, DUE_DAY):
        fresh.clock.set(moment)
        done = sweep_reports(fresh.ctx)
        assert (done.drafted, done.sent) == ([], [])
    assert reports(fresh) == []
    fresh.clock.set(sh(2026, 3, 23, 18))  # February's, the first month it was there: sent
    assert len(sweep_reports(fresh.ctx).sent) == 3


async def test_the_bureaus_own_report_goes_up_to_nobody_and_is_recorded_as_sent(world: World) -> None:
    world.clock.set(DRAFT_DAY)
    sweep_reports(world.ctx)
    talk = Talk(world.ctx)
    await talk.outbox.drain()
    [(data, message)] = talk.buttons(ZHENG_BUREAU, "ru")
    [ask] = [s for s in talk.seen if s.chat_id == ZHENG_BUREAU and s.buttons]
    assert "no office above receives it, it is recorded as sent" in ask.text
    mark = len(talk.seen)
    await talk.press(ZHENG_BUREAU, data, message_id=message)
    said = [s.text for s in talk.since(mark)]
    assert said == [
        "Sent.",
        "✅ Recorded as sent: the monthly ledger (台账) of 思明区建设局（物业整治工作专班） for 1/2026, "
        "version 1, at 11 Feb 2026, 09:00.",
    ]
    bureau = record(world, "siming-bureau")
    assert (bureau.sent_by, bureau.automatic) == (world.pid(ZHENG_BUREAU), False)
    assert [n for n in reports(world) if n.kind == "report.received"] == []
