"""A report is filed once however often it is handled, a case transferred to a department (吹哨报到)
reminds that department on its own cycle, and a recipient who blocked the bot stalls nobody."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import pytest

from handlers.conversations.core import TurnBroken
from handlers.conversations.io import Incoming, Kind
from handlers.ports import UnitOfWork
from handlers.rules.categories import Category, Urgency
from handlers.services import ladder, tickets
from handlers.services.notify import queue, recipient_blocked
from storage.repositories import UpdateLog
from storage.uow import OnFirstUse, SqlUnitOfWork
from tests.service.talk import Talk
from tests.service.world import (
    FENG_CHENGGUAN,
    LI_REPAIR,
    LIU_COMMUNITY,
    WANG_MANAGER,
    ZHANG_OWNER,
    World,
)


class _DiesBeforeMarking(UpdateLog):
    """The process is killed after the turn's flow committed, before the update was marked handled."""

    def mark(self, bot_id: int, update_id: int, now: datetime) -> None:
        raise RuntimeError("killed")


class _DyingUnitOfWork(SqlUnitOfWork):
    updates = OnFirstUse(_DiesBeforeMarking)


async def test_a_report_handled_again_after_a_kill_finds_its_ticket(world: World) -> None:
    talk = Talk(world.ctx)
    await talk.fill_report(ZHANG_OWNER, "3栋电梯门关不上，一直响警报")
    assert talk.state(ZHANG_OWNER) == ("report", "confirm")
    submit = Incoming(
        ZHANG_OWNER, ZHANG_OWNER, "张女士", Kind.BUTTON, data="1/r:ok", callback_id="ok", message_id=1,
        update_id=777,
    )  # fmt: skip
    dying = replace(world.ctx, uow=lambda: cast(UnitOfWork, _DyingUnitOfWork(world.engine)))
    with pytest.raises(TurnBroken):
        type(talk.core)(dying, talk.core.translations).handle(submit)
    filed = world.notifications(kind="ticket.assigned")
    assert len(filed) == 1  # the ticket was committed before the kill
    # Restarted, the update comes again (it was never marked): the same ticket is the answer.
    outputs = talk.core.handle(submit)
    with world.ctx.uow() as uow:
        mine = uow.tickets.of_reporter(world.pid(ZHANG_OWNER))
    assert len(mine) == 1
    assert any(mine[0].number in getattr(o, "text", "") for o in outputs)
    assert len(world.notifications(kind="ticket.assigned")) == 1  # and nobody was told twice


def test_a_transfer_starts_the_departments_own_reminders(world: World) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.ORDINARY)  # seven working days
    tid = ticket.id or 0
    # Monday a week later (a Sunday sweep would hold an ordinary case's reminders for the morning):
    world.clock.advance(timedelta(days=7))  # the company's half-time reminder has gone out by now
    ladder.sweep(world.ctx)
    assert world.recipients(tid, "ticket.reminder")
    moved = tickets.transfer_department(
        world.ctx, world.pid(LIU_COMMUNITY), tid, "siming-chengguan", "请城管核查"
    )
    department = {world.pid(FENG_CHENGGUAN)}
    assert moved.due_at is not None

    def reminded(action: str) -> set[int]:
        return {
            n.person_id for n in world.notifications(tid, "ticket.reminder") if n.params["action"] == action
        }

    halfway = moved.due_at - (moved.due_at - world.clock.now()) / 2
    with world.ctx.uow() as uow:  # swept while the office is open: an ordinary case pings by day only
        calendar = world.ctx.calendar(uow)
    world.clock.now = lambda: calendar.open_at(halfway + timedelta(hours=1))  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    assert reminded("remind_half") >= department
    world.clock.now = lambda: calendar.open_at(moved.due_at - timedelta(hours=20))  # type: ignore[method-assign]
    ladder.sweep(world.ctx)
    assert reminded("remind_before") >= department


def test_a_blocked_recipient_is_marked_unreachable_and_the_next_person_up_gets_the_message(
    world: World,
) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.ORDINARY)
    tid = ticket.id or 0
    now = world.clock.now()
    with world.ctx.uow() as uow:
        owner = world.pid(ZHANG_OWNER)
        queue(uow, now, "ticket.comment", owner, ticket=ticket, params={"comment": "师傅明早到"})
        uow.commit()
    with world.ctx.uow() as uow:
        to_repair = next(n for n in uow.notifications.all() if n.person_id == world.pid(LI_REPAIR))
        to_owner = next(n for n in uow.notifications.all() if n.person_id == world.pid(ZHANG_OWNER))
        assert recipient_blocked(uow, to_repair, now)  # staff: the estate's manager stands in
        assert not recipient_blocked(uow, to_owner, now)  # an owner's messages are nobody else's
        uow.notifications.save(to_repair)
        uow.notifications.save(to_owner)
        uow.commit()
    with world.ctx.uow() as uow:
        repair, owner = uow.people.get(world.pid(LI_REPAIR)), uow.people.get(world.pid(ZHANG_OWNER))
        assert repair is not None and repair.unreachable and owner is not None and owner.unreachable
    outcomes = {n.person_id: n.outcome for n in world.notifications(tid)}
    assert outcomes[world.pid(LI_REPAIR)] == "rerouted" and outcomes[world.pid(ZHANG_OWNER)] == "blocked"
    instead = [n for n in world.notifications(tid) if n.params.get("instead_of") == world.pid(LI_REPAIR)]
    assert {n.person_id for n in instead} == {world.pid(WANG_MANAGER)}
    assert all(n.kind == to_repair.kind and n.sent_at is None for n in instead)


async def test_a_repairman_without_telegram_keeps_his_task_for_the_web_and_his_manager_is_told(
    world: World,
) -> None:
    # 李师傅 works on the web pages only (invited with `wuye invite web`): no Telegram chat to ping.
    with world.ctx.uow() as uow:
        li = uow.people.get(world.pid(LI_REPAIR))
        assert li is not None
        li.telegram_id = None
        uow.people.save(li)
        uow.commit()
    talk = Talk(world.ctx)
    ticket = world.report(category=Category.LIFT, urgency=Urgency.ORDINARY)
    tid = ticket.id or 0
    assert world.ticket(tid).assignee_id == li.id
    await talk.outbox.drain()
    [task] = [n for n in world.notifications(tid) if n.person_id == li.id]
    assert task.outcome == "web" and task.failed_at is None  # kept for his next visit, not a failure
    [copy] = [n for n in world.notifications(tid) if n.params.get("instead_of") == li.id]
    assert copy.person_id == world.pid(WANG_MANAGER) and copy.kind == task.kind and copy.outcome == "sent"
    [to_wang] = [s for s in talk.seen if s.chat_id == WANG_MANAGER and s.text.startswith("↪️")]
    head = "↪️ 转给您：李师傅（维修）无法在 Telegram 收到消息（尚未绑定 Telegram 账号）。"
    assert to_wang.text.startswith(head + "\n\n🆕")
    assert ticket.number in to_wang.text
    with world.ctx.uow() as uow:
        person = uow.people.get(li.id or 0)
        assert person is not None and not person.unreachable  # not taken for someone who blocked the bot
