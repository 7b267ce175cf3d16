"""An official's typical-case mark (典型案例) on a real database (SQLite and PostgreSQL): asked in three
steps from the card, stored only when all three are written, shown to the offices and to nobody else,
edited (a part kept as it was) and removed by officials of the area; and read back for the monthly
ledger by `typical_cases(estate_ids, start, end)`."""

from __future__ import annotations

from handlers.conversations.io import Edit, Output, Send
from handlers.domain.ticket import TypicalCase
from handlers.rules.periods import Period
from handlers.services import people, tickets
from tests.service.talk import Talk
from tests.service.world import (
    FENG_CHENGGUAN,
    LIU_COMMUNITY,
    SMITH_OWNER,
    WANG_MANAGER,
    WU_STREET,
    ZHANG_OWNER,
    ZHENG_BUREAU,
    ZHOU_COMMITTEE,
    World,
    sh,
)


def texts(outputs: list[Output]) -> str:
    return "\n".join(o.text for o in outputs if isinstance(o, Send | Edit))


def stored(world: World, ticket_id: int) -> TypicalCase | None:
    with world.ctx.uow() as uow:
        return uow.typical_cases.get(ticket_id)


def card_buttons(outputs: list[Output]) -> list[str]:
    return [b.data for o in outputs if isinstance(o, Send) for row in o.buttons for b in row]


async def mark(talk: Talk, who: int, tid: int, parts: tuple[str, str, str]) -> list[Output]:
    await talk.press(who, f"ty:{tid}")
    await talk.text(who, parts[0])
    await talk.text(who, parts[1])
    return await talk.text(who, parts[2])


PARTS = (
    "3栋电梯门关不上，困住一名老人",
    "社区当日督促物业维修，街道约谈维保单位",
    "电梯更换门机，业主确认满意",
)


async def test_an_official_marks_a_ticket_in_three_steps_and_only_the_offices_see_it(world: World) -> None:
    tid = world.report().id or 0
    talk = Talk(world.ctx)
    assert any(d.endswith(f"ty:{tid}") for d in card_buttons(await talk.press(LIU_COMMUNITY, f"cd:{tid}")))
    await talk.press(LIU_COMMUNITY, f"ty:{tid}")
    await talk.text(LIU_COMMUNITY, PARTS[0])
    await talk.text(LIU_COMMUNITY, PARTS[1])
    assert stored(world, tid) is None  # nothing until the third part
    done = await talk.text(LIU_COMMUNITY, PARTS[2])
    assert "已标记为典型案例" in texts(done)
    case = stored(world, tid)
    assert case is not None and (case.background, case.handling, case.outcome) == PARTS
    assert case.marked_by == world.pid(LIU_COMMUNITY) and case.marked_at == world.clock.now()

    street = texts(await talk.press(WU_STREET, f"cd:{tid}"))
    assert "⭐ 典型案例" in street and "基本情况：3栋电梯门关不上" in street
    timeline = texts(await talk.press(WU_STREET, f"tl:{tid}"))
    assert "⭐ 标记为典型案例 · 刘主任" in timeline
    # the company, the committee and the owner see the ticket, not the offices' note; nor its button
    for reader in (WANG_MANAGER, ZHOU_COMMITTEE, ZHANG_OWNER):
        shown = await talk.press(reader, f"tl:{tid}" if reader == ZHANG_OWNER else f"cd:{tid}")
        assert "典型案例" not in texts(shown), reader
        assert not any(d.endswith(f"ty:{tid}") for d in card_buttons(shown)), reader


async def test_a_closed_ticket_can_be_marked_and_an_official_of_the_street_edits_and_removes_the_mark(
    world: World,
) -> None:
    tid = world.report().id or 0
    staff = world.ticket(tid).assignee_id or 0
    tickets.acknowledge(world.ctx, staff, tid)
    tickets.resolve(world.ctx, staff, tid, "已修好")
    tickets.confirm(world.ctx, world.pid(ZHANG_OWNER), tid)
    talk = Talk(world.ctx)
    assert any(d.endswith(f"ty:{tid}") for d in card_buttons(await talk.press(LIU_COMMUNITY, f"cd:{tid}")))
    await mark(talk, LIU_COMMUNITY, tid, PARTS)

    world.clock.set(sh(2026, 11, 24, 9))
    await talk.press(WU_STREET, f"ty:{tid}:1")  # edit: keep the background, rewrite the handling
    await talk.press(WU_STREET, f"tk:{tid}")
    await talk.text(WU_STREET, "街道协调更换门机")
    edited = await talk.press(WU_STREET, f"tk:{tid}")
    assert "典型案例已更新" in texts(edited)
    case = stored(world, tid)
    assert case is not None and (case.background, case.handling, case.outcome) == (
        PARTS[0],
        "街道协调更换门机",
        PARTS[2],
    )
    assert case.marked_by == world.pid(LIU_COMMUNITY) and case.updated_by == world.pid(WU_STREET)
    assert case.updated_at == sh(2026, 11, 24, 9)

    await talk.press(WU_STREET, f"ty:{tid}:2")  # asked first
    assert stored(world, tid) is not None
    gone = await talk.press(WU_STREET, f"ty:{tid}:3")
    assert "已取消典型案例标记" in texts(gone) and stored(world, tid) is None


async def test_cancel_half_way_leaves_the_mark_as_it_was(world: World) -> None:
    tid = world.report().id or 0
    talk = Talk(world.ctx)
    await mark(talk, LIU_COMMUNITY, tid, PARTS)
    before = stored(world, tid)
    await talk.press(LIU_COMMUNITY, f"ty:{tid}:1")
    await talk.text(LIU_COMMUNITY, "改写的基本情况")
    await talk.command(LIU_COMMUNITY, "cancel")
    assert stored(world, tid) == before and talk.state(LIU_COMMUNITY) is None


async def test_only_officials_of_the_tickets_area_may_mark_edit_or_remove(world: World) -> None:
    tid = world.report().id or 0
    other = world.report(SMITH_OWNER).id or 0  # 前埔: another street
    talk = Talk(world.ctx)
    await mark(talk, LIU_COMMUNITY, tid, PARTS)
    before = stored(world, tid)
    for who, data in (
        (WANG_MANAGER, f"ty:{tid}"),
        (ZHOU_COMMITTEE, f"ty:{tid}:1"),
        (ZHANG_OWNER, f"ty:{tid}:3"),
        (FENG_CHENGGUAN, f"ty:{tid}:3"),  # a department acts on cases; it does not mark them
        (LIU_COMMUNITY, f"ty:{other}"),  # another street's ticket
    ):
        out = await talk.press(who, data)
        assert not any(isinstance(o, Send | Edit) for o in out), (who, data)
        assert talk.state(who) is None
    assert stored(world, tid) == before and stored(world, other) is None


async def test_bad_input_is_refused_in_the_officials_language_and_asked_again(world: World) -> None:
    tid = world.report().id or 0
    talk = Talk(world.ctx)
    await talk.press(LIU_COMMUNITY, f"ty:{tid}")
    too_long = await talk.text(LIU_COMMUNITY, "很" * 501)
    assert "基本情况" in texts(too_long) and "501" in texts(too_long)
    assert talk.state(LIU_COMMUNITY) == ("typical", "background")
    blank = await talk.text(LIU_COMMUNITY, "   ")
    assert texts(blank) and talk.state(LIU_COMMUNITY) == ("typical", "background")
    await talk.text(LIU_COMMUNITY, PARTS[0])
    assert talk.state(LIU_COMMUNITY) == ("typical", "handling") and stored(world, tid) is None
    # a "keep" press belongs to editing, and to this flow only
    refused = await talk.press(LIU_COMMUNITY, f"tk:{tid + 1}")
    assert not any(isinstance(o, Send | Edit) for o in refused)


async def test_the_ledger_reads_the_marks_of_the_tickets_open_in_the_month(world: World) -> None:
    talk = Talk(world.ctx)
    world.clock.set(sh(2026, 10, 20, 10))
    october = world.report().id or 0  # reported in October, closed in October
    staff = world.ticket(october).assignee_id or 0
    tickets.acknowledge(world.ctx, staff, october)
    tickets.resolve(world.ctx, staff, october, "已修好")
    tickets.confirm(world.ctx, world.pid(ZHANG_OWNER), october)
    world.clock.set(sh(2026, 10, 30, 10))
    still_open = world.report().id or 0  # reported in October, still open in November
    world.clock.set(sh(2026, 11, 23, 10))
    november = world.report().id or 0
    elsewhere = world.report(SMITH_OWNER).id or 0
    for tid in (october, still_open, november):
        await mark(talk, WU_STREET, tid, PARTS)
    await mark(talk, ZHENG_BUREAU, elsewhere, PARTS)  # the bureau marks 前埔's
    start, end = Period.month(2026, 11).span(world.ctx.tz)
    with world.ctx.uow() as uow:
        haibin, qianpu = uow.estates.by_key("haibin"), uow.estates.by_key("qianpu")
        assert haibin is not None and qianpu is not None
        found = uow.typical_cases.typical_cases([haibin.id or 0], start, end)
        both = uow.typical_cases.typical_cases([haibin.id or 0, qianpu.id or 0], start, end)
    assert [(c.ticket_id, c.background, c.handling, c.outcome) for c in found] == [
        (still_open, *PARTS),
        (november, *PARTS),
    ]
    assert [c.ticket_id for c in both] == [still_open, november, elsewhere]


async def test_an_official_who_deletes_their_data_leaves_the_mark_without_their_name(world: World) -> None:
    tid = world.report().id or 0
    talk = Talk(world.ctx)
    await mark(talk, LIU_COMMUNITY, tid, PARTS)
    await talk.press(WU_STREET, f"ty:{tid}:1")
    for _ in PARTS:
        await talk.press(WU_STREET, f"tk:{tid}")
    liu, wu = world.pid(LIU_COMMUNITY), world.pid(WU_STREET)
    people.delete_my_data(world.ctx, liu)
    people.delete_my_data(world.ctx, wu)
    case = stored(world, tid)
    assert case is not None and (case.background, case.handling, case.outcome) == PARTS
    assert case.marked_by not in (liu, None) and case.updated_by not in (wu, None)
