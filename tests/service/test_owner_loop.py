"""An owner can always finish their report from /my, and hears in plain words who has it as it climbs."""

from __future__ import annotations

from datetime import timedelta

from handlers.conversations.io import Kind
from handlers.rules.categories import Category, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.services import ladder, supervision, tickets
from tests.service.talk import Talk
from tests.service.world import LI_REPAIR, LIU_COMMUNITY, ZHANG_OWNER, World


def open_from_my(talk: Talk, tid: int) -> list[str]:
    """The buttons /my shows the owner on their report."""
    return [b for b, _ in talk.buttons(ZHANG_OWNER) if b.endswith(f":{tid}") or f":{tid}:" in b]


async def test_an_owner_who_missed_fixed_confirms_and_rates_from_my(world: World) -> None:
    talk = Talk(world.ctx)
    ticket = world.report()
    tid = ticket.id or 0
    handler = world.ticket(tid).assignee_id or 0
    tickets.acknowledge(world.ctx, handler, tid)
    tickets.resolve(world.ctx, handler, tid, "已更换门机控制板")  # the "Fixed?" message is never seen
    await talk.press(ZHANG_OWNER, f"mt:{tid}")
    assert {"cf", "nf"} <= {b.split(":")[0] for b in open_from_my(talk, tid)}
    await talk.press(ZHANG_OWNER, f"cf:{tid}")
    assert world.ticket(tid).status is Status.CLOSED
    await talk.press(ZHANG_OWNER, f"mt:{tid}")
    assert f"rt:{tid}:5" in [b for b, _ in talk.buttons(ZHANG_OWNER, f"rt:{tid}:")]
    await talk.press(ZHANG_OWNER, f"rt:{tid}:4")
    assert world.ticket(tid).rating == 4  # stored on the press: an owner who walks away loses nothing
    await talk.text(ZHANG_OWNER, "师傅很负责")
    assert (world.ticket(tid).rating, world.ticket(tid).rating_comment) == (4, "师傅很负责")
    assert [e.note for e in world.events(tid) if e.event is Event.COMMENT] == ["师傅很负责"]


async def test_from_my_an_open_report_takes_a_photo_a_message_or_is_withdrawn(world: World) -> None:
    talk = Talk(world.ctx)
    tid = world.report().id or 0
    handler = world.ticket(tid).assignee_id
    await talk.press(ZHANG_OWNER, f"mt:{tid}")
    assert {"ph", "mh", "wd"} <= {b.split(":")[0] for b in open_from_my(talk, tid)}
    await talk.press(ZHANG_OWNER, f"ph:{tid}")
    await talk.handle(ZHANG_OWNER, Kind.PHOTO, file_id="more-photo", file_unique_id="u1")
    assert world.recipients(tid, "ticket.photo") == {handler}
    assert Event.ADD_PHOTO in [e.event for e in world.events(tid)]
    await talk.press(ZHANG_OWNER, f"mh:{tid}")
    await talk.text(ZHANG_OWNER, "下午三点以后家里有人")
    [comment] = world.notifications(tid, "ticket.comment")
    assert comment.person_id == handler and comment.params["comment"] == "下午三点以后家里有人"
    await talk.press(ZHANG_OWNER, f"wd:{tid}")
    assert world.ticket(tid).status is not Status.WITHDRAWN  # asked once more first
    await talk.press(ZHANG_OWNER, f"wd:{tid}:1")
    assert world.ticket(tid).status is Status.WITHDRAWN
    assert world.recipients(tid, "ticket.withdrawn") == {handler}


def test_the_owner_hears_who_has_their_case_as_it_climbs(world: World) -> None:
    tid = world.report(category=Category.LIFT, urgency=Urgency.URGENT).id or 0
    for _ in range(10):
        world.clock.advance(timedelta(days=1))
        ladder.sweep(world.ctx)
    supervision.urge(world.ctx, world.pid(LIU_COMMUNITY), tid, "请今天处理")
    told = [n for n in world.notifications(tid) if n.person_id == world.pid(ZHANG_OWNER)]
    kinds = [n.kind for n in told]
    assert kinds.count("ticket.chased") == 2  # the community, then the street office
    assert "ticket.supervised" in kinds and "ticket.urged_owner" in kinds
    with world.ctx.uow() as uow:
        named = [uow.offices.get(int(n.params["office_id"])) for n in told if "office_id" in n.params]
    assert {o.name for o in named if o} == {
        "莲花社区居委会",
        "嘉莲街道办事处",
        "思明区建设局（物业整治工作专班）",
    }


async def test_the_receipt_names_the_company_to_call_and_the_summary_says_each_thing_once(
    world: World,
) -> None:
    talk = Talk(world.ctx)
    await talk.fill_report(ZHANG_OWNER, "3栋电梯门关不上，一直响警报")
    summary = talk.seen[-1].text
    assert "紧急程度：加急\n" in summary  # the word, not the button's explanation ("加急：停水、停电…")
    mark = len(talk.seen)
    await talk.press(ZHANG_OWNER, "r:ok")
    receipt = "\n".join(s.text for s in talk.since(mark))
    assert "致电厦门海欣物业服务有限公司（0592-5551234）时报此编号" in receipt
    assert "暂定" not in receipt  # 2026's holidays are published
    mark = len(talk.seen)
    await talk.command(ZHANG_OWNER, "help")
    assert "海滨花园：厦门海欣物业服务有限公司，电话 0592-5551234" in talk.since(mark)[-1].text


async def test_a_report_at_night_tells_the_owner_when_the_staff_get_it(world: World) -> None:
    """By day the receipt says nothing of office hours; at 23:00 the staff's card waits for the morning
    (README: night and holidays), and the owner is told so, with the hour, rather than left to wonder
    why nobody answers."""
    talk = Talk(world.ctx)
    closed = "物业现在已下班"
    for hours, expected in ((0, None), (13, "工作人员将在 2026年11月24日 09:00 上班时收到您的报事。")):
        world.clock.advance(timedelta(hours=hours))  # Monday 10:00, then 23:00
        await talk.fill_report(ZHANG_OWNER, "3栋电梯门关不上，一直响警报")
        mark = len(talk.seen)
        await talk.press(ZHANG_OWNER, "r:ok")
        receipt = "\n".join(s.text for s in talk.since(mark))
        assert "您的报事编号是" in receipt
        assert (closed in receipt) == (expected is not None) and (expected is None or expected in receipt), (
            receipt
        )


async def test_words_written_outside_a_report_are_offered_as_one_and_the_category_can_be_changed(
    world: World,
) -> None:
    talk = Talk(world.ctx)
    mark = len(talk.seen)
    await talk.text(ZHANG_OWNER, "楼道的灯坏了好几天了，晚上看不见路")
    [offer] = talk.since(mark)
    assert "要把这件事报给物业公司吗？" in offer.text and "楼道的灯坏了好几天了" in offer.text
    await talk.press(ZHANG_OWNER, "r:txt")
    await talk.press(ZHANG_OWNER, "r:cat:service_quality")  # the wrong category, chosen in a hurry
    assert talk.state(ZHANG_OWNER) == ("report", "photos")  # the description is what they wrote
    for data in ("r:skip", "r:skip", "r:urg:ordinary", "r:prv:government", "r:edit", "r:ed:category"):
        await talk.press(ZHANG_OWNER, data)
    await talk.press(ZHANG_OWNER, "r:cat:safety_hazard")
    assert talk.state(ZHANG_OWNER) == ("report", "confirm")  # straight back to the summary
    await talk.press(ZHANG_OWNER, "r:ok")
    [filed] = world.notifications(kind="ticket.assigned")
    ticket = world.ticket(filed.ticket_id or 0)
    assert ticket.category is Category.SAFETY_HAZARD and ticket.description.startswith("楼道的灯坏了好几天了")


async def test_a_greeting_or_a_declined_offer_files_nothing(world: World) -> None:
    talk = Talk(world.ctx)
    mark = len(talk.seen)
    await talk.text(ZHANG_OWNER, "你好")  # too short to be a report: the help, as before
    assert "/report" in talk.since(mark)[-1].text and talk.state(ZHANG_OWNER) is None
    await talk.text(ZHANG_OWNER, "请问物业费每年什么时候交？")
    await talk.press(ZHANG_OWNER, "r:no")
    assert talk.state(ZHANG_OWNER) is None and not world.notifications(kind="ticket.assigned")


async def test_everyday_categories_come_first_and_reach_the_duty_that_fixes_them(world: World) -> None:
    talk = Talk(world.ctx)
    await talk.command(ZHANG_OWNER, "report")
    offered = [data.split(":")[-1] for data, _ in talk.buttons(ZHANG_OWNER, "r:cat:")]
    assert offered[:5] == ["water_leak", "water_power_out", "drains", "access_control", "lift"]
    assert offered.index("fees") < offered.index("revenue_disclosure")
    ticket = world.report(category=Category.DRAINS, urgency=Urgency.ORDINARY)
    assert world.recipients(ticket.id or 0, "ticket.assigned") == {world.pid(LI_REPAIR)}  # the repairman


async def test_a_pressed_card_is_drawn_once_not_again_by_the_refresh_the_press_queued(world: World) -> None:
    """The technician presses 签收 on the card: the card is redrawn in place by the press, and the
    refresh the change queues for every card of the ticket leaves that one alone (it was drawn twice,
    the second time with a 🔄, in the demo)."""
    talk = Talk(world.ctx)
    tid = world.report().id or 0
    await talk.outbox.drain()  # the card goes to the technician
    [card] = [s for s in talk.seen if s.chat_id == LI_REPAIR and f"ak:{tid}" in s.buttons]
    mark = len(talk.seen)
    await talk.press(LI_REPAIR, f"ak:{tid}", message_id=card.message_id)
    edits = [s for s in talk.since(mark) if s.chat_id == LI_REPAIR and s.message_id == card.message_id]
    assert len(edits) == 1 and not edits[0].text.startswith("🔄")
    # a change the card did not make (the owner withdraws) still reaches it
    mark = len(talk.seen)
    tickets.withdraw(world.ctx, world.pid(ZHANG_OWNER), tid)
    await talk.outbox.drain()
    redrawn = [s for s in talk.since(mark) if s.chat_id == LI_REPAIR and s.message_id == card.message_id]
    assert len(redrawn) == 1 and redrawn[0].text.startswith("🔄")
