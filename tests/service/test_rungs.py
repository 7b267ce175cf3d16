"""What the escalation ladder says as a case climbs (#17): a rung's card says how overdue the case is in
working days and its status, drawn when it is sent; the timeline names the office it went to."""

from __future__ import annotations

from datetime import timedelta

from handlers.rules.lifecycle import Status
from handlers.services import ladder, tickets
from tests.service.talk import Seen, Talk
from tests.service.world import WU_STREET, ZHANG_OWNER, World, sh

# An ordinary lift report of Monday 2026-11-23 10:00 is due in 7 working days: Wednesday 2 December
# 10:00. The community hears of it at the deadline, the street office 3 working days after it.
DUE = sh(2026, 12, 2, 10)
STREET_RUNG = sh(2026, 12, 7, 10, 5)  # Monday: Thursday, Friday, Monday are the 3 working days


def acknowledged_report(world: World) -> int:
    tid = world.report().id or 0
    assert world.ticket(tid).due_at == DUE
    tickets.acknowledge(world.ctx, world.ticket(tid).assignee_id or 0, tid)
    return tid


def rung_cards(talk: Talk, chat_id: int) -> list[Seen]:
    return [s for s in talk.seen if s.chat_id == chat_id and s.text.startswith("⬆️")]


def set_person(world: World, who: int, **fields: object) -> None:
    with world.ctx.uow() as uow:
        person = uow.people.by_telegram_id(who)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)
        uow.people.save(person)
        uow.commit()


async def test_the_street_office_card_says_how_many_working_days_overdue_and_the_status(world: World) -> None:
    talk = Talk(world.ctx)
    tid = acknowledged_report(world)
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    await talk.outbox.drain()
    [card] = rung_cards(talk, WU_STREET)
    assert "🔴 已超期 3 个工作日（办理时限 2026年12月2日 10:00）；当前状态：已签收。" in card.text
    assert world.ticket(tid).status is Status.ACKNOWLEDGED


async def test_the_card_is_counted_when_it_is_sent_and_in_the_readers_language(world: World) -> None:
    talk = Talk(world.ctx)
    acknowledged_report(world)
    set_person(world, WU_STREET, language="en")
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    # The outbox was down for a working day: the card says what is true when it goes out.
    world.clock.now = lambda: STREET_RUNG + timedelta(days=1)  # type: ignore[method-assign]
    await talk.outbox.drain()
    [card] = rung_cards(talk, WU_STREET)
    assert "Overdue by 4 working days (deadline" in card.text
    assert "status now: Acknowledged." in card.text


async def test_the_timeline_names_the_office_each_rung_went_to(world: World) -> None:
    talk = Talk(world.ctx)
    tid = acknowledged_report(world)
    world.clock.now = lambda: STREET_RUNG  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    mark = len(talk.seen)
    await talk.press(ZHANG_OWNER, f"tl:{tid}")
    timeline = "\n".join(s.text for s in talk.since(mark))
    assert "· 已上报至莲花社区居委会 ·" in timeline
    assert "· 已上报至嘉莲街道办事处 ·" in timeline
    assert "未能通过机器人联系到" not in timeline  # both offices could be reached
