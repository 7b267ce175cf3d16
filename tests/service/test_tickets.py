"""The ticket use cases end to end on a real database: the main story, its branches, the event log and
the outbox rows written with each change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from handlers.conversations.audience import audience_for
from handlers.conversations.cards import reporter_label, timeline
from handlers.domain.ticket import Ticket
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.services import tickets
from handlers.services.context import Context
from handlers.services.errors import Conflict, NotAllowed, UserError
from handlers.services.people import join_estate, touch_person
from handlers.text import NullTranslator
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.service.world import (
    FENG_CHENGGUAN,
    HO_OWNER,
    HUANG_MANAGER,
    LI_REPAIR,
    LIN_MANAGER,
    LIU_COMMUNITY,
    SMITH_OWNER,
    START,
    SUN_SECURITY,
    WANG_MANAGER,
    XU_REPAIR,
    ZHANG_OWNER,
    ZHAO_REPAIR,
    ZHOU_COMMITTEE,
    World,
    sh,
    unit_of_work,
)


def transitions(world: World, ticket: Ticket) -> list[tuple[Event, Status | None, Status | None]]:
    return [(e.event, e.from_status, e.to_status) for e in world.events(ticket.id or 0)]


def assert_unchanged(
    world: World, ticket_id: int, action: Callable[[], object], code: str, kind: type[UserError] = UserError
) -> None:
    """`action` fails with `code`, and the ticket row, its events and the whole outbox stay as they were."""
    before = world.snapshot(ticket_id)
    with pytest.raises(kind) as caught:
        action()
    assert caught.value.code == code
    assert world.snapshot(ticket_id) == before


def test_the_main_story_open_to_closed(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    ticket = world.report(photos=[("photo-1", "u1")], location="3栋电梯厅")
    tid = ticket.id or 0

    # open: numbered by estate and local year, timed by the ordinary policy, routed lift → repair
    assert ticket.number == "HB-2026-000001"
    assert ticket.status is Status.ASSIGNED and ticket.assignee_id == li
    assert ticket.ack_due_at == sh(2026, 11, 24, 10)  # 1 working day
    assert ticket.due_at == sh(2026, 12, 2, 10)  # 7 working days: 24, 25, 26, 27, 30, 1, 2
    assert not ticket.deadline_provisional
    assert ticket.policy["resolve_within"] == "7wd"  # the snapshot travels with the ticket
    assert world.recipients(tid, "ticket.assigned") == {li}
    assert transitions(world, ticket) == [
        (Event.OPEN, None, Status.NEW),
        (Event.ASSIGN, Status.NEW, Status.ASSIGNED),
    ]
    with world.ctx.uow() as uow:
        assert [a.file_id for a in uow.attachments.of_ticket(tid)] == ["photo-1"]

    world.clock.advance(timedelta(minutes=30))
    ticket = tickets.acknowledge(world.ctx, li, tid)
    assert ticket.status is Status.ACKNOWLEDGED and ticket.acknowledged_at == world.clock.now()
    assert world.recipients(tid, "ticket.acknowledged") == {zhang}

    ticket = tickets.start_work(world.ctx, li, tid)
    assert ticket.status is Status.IN_PROGRESS
    assert world.recipients(tid, "ticket.started") == {zhang}

    # ask the owner at 12:00; the clock pauses until the answer the next day at 12:00
    world.clock.set(sh(2026, 11, 23, 12))
    ticket = tickets.ask_owner(world.ctx, li, tid, "是几号梯？")
    assert ticket.status is Status.WAITING_OWNER and ticket.paused_at == sh(2026, 11, 23, 12)
    [question] = world.notifications(tid, "ticket.question")
    assert question.person_id == zhang and question.params["question"] == "是几号梯？"
    world.clock.set(sh(2026, 11, 24, 12))
    ticket = tickets.owner_reply(world.ctx, zhang, tid, "2号梯")
    assert ticket.status is Status.IN_PROGRESS and ticket.paused_at is None
    # 9 office hours waited (12:00-18:00, 09:00-12:00): 12-02 10:00 + 9 wh = 12-03 10:00
    assert ticket.due_at == sh(2026, 12, 3, 10)
    [answer] = world.notifications(tid, "ticket.answer")
    assert answer.person_id == li and answer.params == {"answer": "2号梯"}

    world.clock.set(sh(2026, 11, 25, 15))
    ticket = tickets.resolve(world.ctx, li, tid, "已更换门机板，运行正常", photo=("photo-2", "u2"))
    assert ticket.status is Status.RESOLVED and ticket.resolved_at == world.clock.now()
    [resolved] = world.notifications(tid, "ticket.resolved")
    assert resolved.person_id == zhang
    # quiet period: 3 working days
    assert datetime.fromisoformat(resolved.params["close_at"]) == sh(2026, 11, 30, 15)
    with world.ctx.uow() as uow:
        assert [a.file_id for a in uow.attachments.of_ticket(tid)] == ["photo-1", "photo-2"]

    ticket = tickets.confirm(world.ctx, zhang, tid)
    assert ticket.status is Status.CLOSED and ticket.closed_at == world.clock.now()
    assert ticket.next_action_at is None  # the ladder is done with it
    ticket = tickets.rate(world.ctx, zhang, tid, 5, "师傅很负责")
    assert (ticket.rating, ticket.rating_comment) == (5, "师傅很负责")
    assert world.recipients(tid, "ticket.confirmed") == {li}
    assert world.recipients(tid, "ticket.rated") == {li}

    events = world.events(tid)
    assert transitions(world, ticket) == [
        (Event.OPEN, None, Status.NEW),
        (Event.ASSIGN, Status.NEW, Status.ASSIGNED),
        (Event.ACKNOWLEDGE, Status.ASSIGNED, Status.ACKNOWLEDGED),
        (Event.START, Status.ACKNOWLEDGED, Status.IN_PROGRESS),
        (Event.ASK_OWNER, Status.IN_PROGRESS, Status.WAITING_OWNER),
        (Event.OWNER_REPLY, Status.WAITING_OWNER, Status.IN_PROGRESS),
        (Event.RESOLVE, Status.IN_PROGRESS, Status.RESOLVED),
        (Event.CONFIRM, Status.RESOLVED, Status.CLOSED),
        (Event.RATE, Status.CLOSED, Status.CLOSED),
    ]
    assert [e.actor_id for e in events] == [zhang, None, li, li, li, zhang, li, zhang, zhang]
    assert [e.note for e in events][4:7] == ["是几号梯？", "2号梯", "已更换门机板，运行正常"]
    assert events[-1].data == {"stars": 5}
    assert all(later.at >= earlier.at for earlier, later in zip(events, events[1:], strict=False))
    assert_unchanged(world, tid, lambda: tickets.rate(world.ctx, zhang, tid, 4), "already_rated")


def test_resolving_needs_a_note(world: World) -> None:
    li = world.pid(LI_REPAIR)
    tid = world.report().id or 0
    tickets.acknowledge(world.ctx, li, tid)
    for note in ("", "   ", "好"):
        assert_unchanged(world, tid, partial(tickets.resolve, world.ctx, li, tid, note), "text_too_short")
    assert_unchanged(world, tid, lambda: tickets.resolve(world.ctx, li, tid, "修" * 1001), "text_too_long")
    assert tickets.resolve(world.ctx, li, tid, "已修好").status is Status.RESOLVED


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_ratings_are_one_to_five(world: World, stars: int) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0
    tickets.acknowledge(world.ctx, li, tid)
    tickets.resolve(world.ctx, li, tid, "已修好")
    tickets.confirm(world.ctx, zhang, tid)
    assert_unchanged(world, tid, lambda: tickets.rate(world.ctx, zhang, tid, stars), "rating_range")


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("confirm", Event.CONFIRM),
        ("start", Event.START),
        ("owner_reply", Event.OWNER_REPLY),
        ("reopen", Event.REOPEN),
        ("close_unconfirmed", Event.CLOSE_UNCONFIRMED),
    ],
)
def test_an_illegal_transition_changes_nothing(world: World, name: str, event: Event) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0  # ASSIGNED: none of these is allowed yet
    actions = {
        "confirm": lambda: tickets.confirm(world.ctx, zhang, tid),
        "start": lambda: tickets.start_work(world.ctx, li, tid),
        "owner_reply": lambda: tickets.owner_reply(world.ctx, zhang, tid, "在的"),
        "reopen": lambda: tickets.reopen(world.ctx, zhang, tid, "没修好"),
        "close_unconfirmed": lambda: tickets.close_unconfirmed(world.ctx, tid),
    }
    before = world.snapshot(tid)
    with pytest.raises(UserError) as caught:
        actions[name]()
    assert caught.value.code == "illegal_transition"
    assert caught.value.params == {"status": Status.ASSIGNED.value, "event": event.value}
    assert world.snapshot(tid) == before


def test_acknowledging_twice_tells_who_took_it(world: World) -> None:
    li, wang = world.pid(LI_REPAIR), world.pid(WANG_MANAGER)
    tid = world.report().id or 0
    tickets.acknowledge(world.ctx, li, tid)
    for who in (li, wang):
        before = world.snapshot(tid)
        with pytest.raises(Conflict) as caught:
            tickets.acknowledge(world.ctx, who, tid)
        assert caught.value.code == "already_acknowledged"
        assert caught.value.params["by"] == "李师傅（维修）"
        assert world.snapshot(tid) == before


def test_routing_by_category_round_robin_and_the_manager(world: World) -> None:
    li, zhao, sun, wang = (world.pid(t) for t in (LI_REPAIR, ZHAO_REPAIR, SUN_SECURITY, WANG_MANAGER))
    lifts = [world.report(description=f"电梯故障第{i}次") for i in range(3)]
    assert [t.assignee_id for t in lifts] == [li, zhao, li]  # repair staff take turns
    assert [t.number for t in lifts] == ["HB-2026-000001", "HB-2026-000002", "HB-2026-000003"]
    assert world.report(category=Category.FIRE_SAFETY, description="消防通道被堵").assignee_id == sun
    money = world.report(category=Category.REVENUE_MISUSE, description="公共收益去向不明")
    assert money.assignee_id == wang  # money and governance go to the project manager
    assert money.policy["resolve_within"] == "15wd"  # with the complex limit
    # Another estate, another company: no service staff at 前埔, so any line staff before the manager.
    smith_ticket = world.report(SMITH_OWNER, Category.SERVICE_QUALITY, description="Guards asleep at night")
    assert smith_ticket.number == "QP-2026-000001" and smith_ticket.assignee_id == world.pid(XU_REPAIR)


def test_unassigned_goes_to_the_project_manager(world: World) -> None:
    # 上都嘉园 has no line staff with a Telegram account yet: its manager takes the ticket.
    owner = touch_person(world.ctx, 300001, "钱先生").id or 0
    join_estate(world.ctx, owner, "esd3xr8p2n", "2栋302")
    ticket = tickets.open_ticket(
        world.ctx, owner, tickets.TicketDraft(Category.SHARED_UTILITIES, Urgency.URGENT, "整栋楼停水了")
    )
    assert ticket.number.startswith("SD-2026-") and ticket.assignee_id == world.pid(HUANG_MANAGER)
    assert ticket.due_at == START + timedelta(hours=24)  # urgent: 24 clock hours
    # At 海滨花园, when both repair men cannot be reached, the lift goes to the manager too.
    with world.ctx.uow() as uow:
        for telegram_id in (LI_REPAIR, ZHAO_REPAIR):
            person = uow.people.by_telegram_id(telegram_id)
            assert person is not None
            person.unreachable = True
            uow.people.save(person)
        uow.commit()
    assert world.report().assignee_id == world.pid(WANG_MANAGER)


def test_an_owner_must_join_before_reporting(world: World) -> None:
    stranger = touch_person(world.ctx, 300002, "路人").id or 0
    with pytest.raises(UserError) as caught:
        tickets.open_ticket(
            world.ctx, stranger, tickets.TicketDraft(Category.LIFT, Urgency.ORDINARY, "电梯又坏了，门关不上")
        )
    assert caught.value.code == "join_first"
    assert world.notifications() == []


@pytest.mark.parametrize(
    ("description", "code"),
    [("坏了", "text_too_short"), ("电" * 1001, "text_too_long"), ("   ", "text_too_short")],
)
def test_bad_reports_write_nothing(world: World, description: str, code: str) -> None:
    with pytest.raises(UserError) as caught:
        world.report(description=description)
    assert caught.value.code == code
    with world.ctx.uow() as uow:
        assert uow.tickets.of_reporter(world.pid(ZHANG_OWNER)) == []
    assert world.notifications() == []


def test_too_many_photos(world: World) -> None:
    with pytest.raises(UserError) as caught:
        world.report(photos=[(f"p{i}", None) for i in range(6)])
    assert caught.value.code == "too_many_photos"


def test_reject_with_a_reason_and_the_community_overrules(world: World) -> None:
    zhang, li, zhao, liu = (world.pid(t) for t in (ZHANG_OWNER, LI_REPAIR, ZHAO_REPAIR, LIU_COMMUNITY))
    tid = world.report().id or 0
    assert_unchanged(world, tid, lambda: tickets.reject(world.ctx, li, tid, "不是"), "text_too_short")
    ticket = tickets.reject(world.ctx, li, tid, "属于电梯维保公司的合同范围")
    assert ticket.status is Status.REJECTED and ticket.reject_reason == "属于电梯维保公司的合同范围"
    [to_owner] = world.notifications(tid, "ticket.rejected")
    assert to_owner.person_id == zhang and to_owner.params["reason"] == "属于电梯维保公司的合同范围"
    assert world.recipients(tid, "ticket.rejection_review") == {liu}  # the community decides
    # The community overrules: back to the company, to another repair man.
    ticket = tickets.assign(world.ctx, liu, tid, zhao)
    assert ticket.status is Status.ASSIGNED and ticket.assignee_id == zhao and ticket.acknowledged_at is None
    assert world.recipients(tid, "ticket.unassigned") == {li}
    assert transitions(world, ticket)[-2:] == [
        (Event.REJECT, Status.ASSIGNED, Status.REJECTED),
        (Event.ASSIGN, Status.REJECTED, Status.ASSIGNED),
    ]


def test_reopen_starts_a_fresh_cycle_with_a_fresh_deadline(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0
    tickets.acknowledge(world.ctx, li, tid)
    world.clock.set(sh(2026, 11, 25, 10))
    tickets.resolve(world.ctx, li, tid, "已修好")
    world.clock.set(sh(2026, 11, 26, 14))
    assert_unchanged(world, tid, lambda: tickets.reopen(world.ctx, zhang, tid, "x"), "text_too_short")
    ticket = tickets.reopen(world.ctx, zhang, tid, "还是关不上")
    assert ticket.status is Status.ASSIGNED and ticket.assignee_id == li  # back to the same man
    assert (ticket.cycle, ticket.reopen_count, ticket.rung, ticket.reminders_sent) == (2, 1, 0, 0)
    assert ticket.cycle_started_at == sh(2026, 11, 26, 14)
    assert ticket.due_at == sh(2026, 12, 7, 14)  # 7 working days from the reopening
    assert ticket.ack_due_at == sh(2026, 11, 27, 14)
    assert ticket.acknowledged_at is None and ticket.resolved_at is None
    assert transitions(world, ticket)[-2:] == [
        (Event.REOPEN, Status.RESOLVED, Status.REOPENED),
        (Event.ASSIGN, Status.REOPENED, Status.ASSIGNED),
    ]
    # The assignee is told again: a new key for the new cycle, not swallowed as a duplicate.
    keys = [n.key for n in world.notifications(tid, "ticket.assigned")]
    assert len(keys) == 2 and ":c1:" in keys[0] and ":c2:" in keys[1]
    # The second cycle can be worked through and closed like the first.
    tickets.acknowledge(world.ctx, li, tid)
    tickets.resolve(world.ctx, li, tid, "更换了门锁")
    assert tickets.confirm(world.ctx, zhang, tid).status is Status.CLOSED


def test_a_ticket_closed_unconfirmed_may_be_reopened_but_not_a_confirmed_one(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    quiet, confirmed = world.report().id or 0, world.report().id or 0
    for tid in (quiet, confirmed):
        tickets.acknowledge(world.ctx, world.ticket(tid).assignee_id or 0, tid)
        tickets.resolve(world.ctx, world.ticket(tid).assignee_id or 0, tid, "已修好")
    ticket = tickets.close_unconfirmed(world.ctx, quiet)
    assert ticket.status is Status.CLOSED_UNCONFIRMED and ticket.next_action_at is None
    assert world.recipients(quiet, "ticket.closed_unconfirmed") == {zhang}
    assert tickets.reopen(world.ctx, zhang, quiet, "根本没修").status is Status.ASSIGNED
    tickets.confirm(world.ctx, zhang, confirmed)
    assert_unchanged(
        world, confirmed, lambda: tickets.reopen(world.ctx, zhang, confirmed, "又坏了"), "illegal_transition"
    )
    assert li in {world.ticket(quiet).assignee_id, world.ticket(confirmed).assignee_id}


def test_transfer_to_a_colleague_and_to_a_department(world: World) -> None:
    zhang, li, zhao, wang = (world.pid(t) for t in (ZHANG_OWNER, LI_REPAIR, ZHAO_REPAIR, WANG_MANAGER))
    liu, feng = world.pid(LIU_COMMUNITY), world.pid(FENG_CHENGGUAN)
    tid = world.report(category=Category.COMMON_SPACE, description="楼下空地被违章搭建占用").id or 0
    chen = world.ticket(tid).assignee_id
    assert chen is not None and chen not in (li, zhao)
    # A manager hands it to a colleague; the old assignee is told, the new one gets the card.
    ticket = tickets.assign(world.ctx, wang, tid, zhao)
    assert ticket.assignee_id == zhao and world.recipients(tid, "ticket.assigned") == {chen, zhao}
    assert world.recipients(tid, "ticket.unassigned") == {chen}
    # Only staff of the estate can be assignees; only managers (or officials) reassign.
    assert_unchanged(world, tid, lambda: tickets.assign(world.ctx, wang, tid, zhang), "assignee_not_staff")
    assert_unchanged(world, tid, lambda: tickets.assign(world.ctx, li, tid, li), "officials_only", NotAllowed)
    # 吹哨报到: staff cannot send it to a department; the community can.
    assert_unchanged(
        world,
        tid,
        lambda: tickets.transfer_department(world.ctx, zhao, tid, "siming-chengguan", "违建"),
        "officials_only",
    )
    assert_unchanged(
        world,
        tid,
        lambda: tickets.transfer_department(world.ctx, liu, tid, "jialian-street", "违建"),
        "department_unknown",
    )
    world.clock.set(sh(2026, 11, 26, 11))
    ticket = tickets.transfer_department(world.ctx, liu, tid, "siming-chengguan", "违章搭建，请城管处理")
    assert ticket.status is Status.TRANSFERRED and ticket.department_office_id is not None
    # the department gets its own deadline: common space is a complex case, 15 working days from now
    assert ticket.due_at == sh(2026, 12, 17, 11)
    assert world.recipients(tid, "ticket.department") == {feng}
    assert world.recipients(tid, "ticket.transferred") == {zhang}
    # The department works the case and reports back.
    ticket = tickets.resolve(world.ctx, feng, tid, "已拆除违建")
    assert ticket.status is Status.RESOLVED
    assert transitions(world, ticket)[-2:] == [
        (Event.TRANSFER_DEPARTMENT, Status.ASSIGNED, Status.TRANSFERRED),
        (Event.RESOLVE, Status.TRANSFERRED, Status.RESOLVED),
    ]


def test_withdraw(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0
    assert_unchanged(
        world, tid, lambda: tickets.withdraw(world.ctx, world.pid(HO_OWNER), tid), "not_your_report"
    )
    ticket = tickets.withdraw(world.ctx, zhang, tid)
    assert ticket.status is Status.WITHDRAWN and ticket.closed_at == START and ticket.next_action_at is None
    assert world.recipients(tid, "ticket.withdrawn") == {li}
    assert_unchanged(world, tid, lambda: tickets.withdraw(world.ctx, zhang, tid), "illegal_transition")
    assert_unchanged(world, tid, lambda: tickets.acknowledge(world.ctx, li, tid), "illegal_transition")


def test_wrong_actors_are_refused_and_nothing_changes(world: World) -> None:
    zhang, ho, smith = (world.pid(t) for t in (ZHANG_OWNER, HO_OWNER, SMITH_OWNER))
    li, zhao, xu, lin = (world.pid(t) for t in (LI_REPAIR, ZHAO_REPAIR, XU_REPAIR, LIN_MANAGER))
    tid = world.report().id or 0
    ctx = world.ctx
    # staff of another company, at another estate
    assert_unchanged(world, tid, lambda: tickets.acknowledge(ctx, xu, tid), "not_your_ticket", NotAllowed)
    assert_unchanged(world, tid, lambda: tickets.acknowledge(ctx, lin, tid), "not_your_ticket", NotAllowed)
    assert_unchanged(world, tid, lambda: tickets.assign(ctx, lin, tid, xu), "officials_only", NotAllowed)
    # a colleague at the same estate who is not the assignee
    assert_unchanged(world, tid, lambda: tickets.acknowledge(ctx, zhao, tid), "not_your_ticket", NotAllowed)
    # an owner is not staff
    assert_unchanged(world, tid, lambda: tickets.acknowledge(ctx, zhang, tid), "not_your_ticket", NotAllowed)
    tickets.acknowledge(ctx, li, tid)
    tickets.ask_owner(ctx, li, tid, "方便上门吗？")
    # owners acting on someone else's ticket
    assert_unchanged(
        world, tid, lambda: tickets.owner_reply(ctx, ho, tid, "方便"), "not_your_report", NotAllowed
    )
    assert_unchanged(world, tid, lambda: tickets.withdraw(ctx, smith, tid), "not_your_report", NotAllowed)
    tickets.owner_reply(ctx, zhang, tid, "方便")
    tickets.resolve(ctx, li, tid, "已修好")
    assert_unchanged(world, tid, lambda: tickets.confirm(ctx, ho, tid), "not_your_report", NotAllowed)
    assert_unchanged(
        world, tid, lambda: tickets.reopen(ctx, ho, tid, "没修好"), "not_your_report", NotAllowed
    )
    # staff cannot confirm for the owner
    assert_unchanged(world, tid, lambda: tickets.confirm(ctx, li, tid), "not_your_report", NotAllowed)
    # unknown people and tickets
    assert_unchanged(world, tid, lambda: tickets.confirm(ctx, 999999, tid), "person_unknown")
    with pytest.raises(UserError) as caught:
        tickets.confirm(ctx, zhang, 999999)
    assert caught.value.code == "ticket_unknown"


@pytest.mark.parametrize(
    ("privacy", "staff_see", "community_sees"),
    [(Privacy.NOBODY, False, False), (Privacy.GOVERNMENT, False, True), (Privacy.EVERYONE, True, True)],
)
def test_anonymity_is_kept_when_staff_ask_the_owner(
    world: World, privacy: Privacy, staff_see: bool, community_sees: bool
) -> None:
    zhang, li, liu = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR), world.pid(LIU_COMMUNITY)
    tid = world.report(privacy=privacy).id or 0
    assert world.ticket(tid).privacy is privacy
    tickets.acknowledge(world.ctx, li, tid)
    tickets.ask_owner(world.ctx, li, tid, "请问是哪一层？")
    tickets.owner_reply(world.ctx, zhang, tid, "五楼")
    # The relayed answer reaches staff with the answer only: not the owner's id, name or unit.
    [answer] = world.notifications(tid, "ticket.answer")
    assert answer.person_id == li and answer.params == {"answer": "五楼"}
    for note in world.notifications(tid):
        if note.person_id != zhang:
            values = [str(v) for v in note.params.values()]
            assert str(zhang) not in values
            assert not any("张女士" in v or "3栋2单元501" in v for v in values)
    # Cards name the reporter exactly as the owner chose.
    tr = NullTranslator()
    with world.ctx.uow() as uow:
        ticket = uow.tickets.get(tid)
        assert ticket is not None
        chats = {li: LI_REPAIR, liu: LIU_COMMUNITY, zhang: ZHANG_OWNER}
        seen = {pid: reporter_label(uow, tr, ticket, audience_for(uow, chats[pid], pid)) for pid in chats}
        history = {pid: timeline(uow, tr, ticket, audience_for(uow, chats[pid], pid)) for pid in (li, liu)}
    # The timeline shows the owner's answer, and their name only where the card would.
    assert all("五楼" in text for text in history.values())
    assert ("张女士" in history[li]) is staff_see
    assert ("张女士" in history[liu]) is community_sees
    assert ("张女士" in seen[li]) is staff_see
    assert ("张女士" in seen[liu]) is community_sees
    assert seen[zhang] == "You"


def test_outbox_rows_have_unique_keys_and_belong_to_their_change(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0
    tickets.acknowledge(world.ctx, li, tid)
    world.clock.advance(timedelta(hours=1))
    tickets.ask_owner(world.ctx, li, tid, "第一个问题")
    tickets.owner_reply(world.ctx, zhang, tid, "回答一")
    tickets.ask_owner(world.ctx, li, tid, "第二个问题")  # same kind, same recipient, another event
    tickets.owner_reply(world.ctx, zhang, tid, "回答二")
    rows = world.notifications(tid)
    keys = [n.key for n in rows]
    assert len(keys) == len(set(keys))
    assert [n.params["question"] for n in rows if n.kind == "ticket.question"] == ["第一个问题", "第二个问题"]
    for n in rows:
        assert n.ticket_id == tid and n.sent_at is None
        assert f":t{tid}:" in n.key and f":p{n.person_id}" in n.key and ":c1:" in n.key
    # Each row was written at the moment of the event that owed it.
    event_times = {e.at for e in world.events(tid)}
    assert {n.created_at for n in rows} <= event_times
    # Queueing the same key again is refused by the outbox itself.
    from handlers.services.notify import queue

    with world.ctx.uow() as uow:
        ticket = uow.tickets.get(tid)
        assert ticket is not None
        assert not queue(uow, world.clock.now(), "ticket.acknowledged", zhang, ticket=ticket)
        assert queue(uow, world.clock.now(), "ticket.acknowledged", zhang, ticket=ticket, tag="again")
        uow.rollback()
    assert [n.key for n in world.notifications(tid)] == keys  # rolled back: nothing stored


def test_numbers_count_per_estate_and_local_year(world: World) -> None:
    world.clock.set(sh(2026, 12, 31, 23, 59))
    assert world.report().number == "HB-2026-000001"
    assert world.report(SMITH_OWNER, description="Lift broken in block 8").number == "QP-2026-000001"
    # 16:00 UTC on 31 December is already New Year's Day in Shanghai: a new year, a new count.
    world.clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert world.report().number == "HB-2027-000001"
    assert world.report().number == "HB-2027-000002"


def test_a_deadline_in_a_year_the_calendar_does_not_know_is_provisional(world: World) -> None:
    world.clock.set(sh(2026, 12, 24, 10))
    ticket = world.report()
    # 25, 28, 29, 30, 31 December; 1 January is a holiday by the setup file's override; then 4, 5.
    assert ticket.due_at == sh(2027, 1, 5, 10)
    assert ticket.deadline_provisional
    assert {d.year for d in world.unknown_days} == {2027}  # logged, not crashed
    # A ticket whose limits stay inside the known year is not provisional.
    world.clock.set(sh(2026, 12, 14, 10))
    assert not world.report().deadline_provisional


def test_two_people_acknowledging_at_once_one_wins(world: World, database_url: str) -> None:
    """Two chats handled concurrently, each with its own connection: one acknowledgement is recorded,
    the other person is told the ticket was taken, and the outbox tells the owner once."""
    wang = world.pid(WANG_MANAGER)
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        contexts = [replace(world.ctx, uow=unit_of_work(e)) for e in engines]
        for round_ in range(3):
            ticket = world.report(description=f"电梯第{round_}次故障")
            tid, assignee = ticket.id or 0, ticket.assignee_id or 0
            barrier = threading.Barrier(2)
            outcomes: list[object] = []

            def press(
                ctx: Context, who: int, ticket_id: int, gate: threading.Barrier, out: list[object]
            ) -> None:
                gate.wait(timeout=30)
                try:
                    out.append(tickets.acknowledge(ctx, who, ticket_id))
                except Exception as exc:  # noqa: BLE001 - the test looks at what came out
                    out.append(exc)

            threads = [
                threading.Thread(target=press, args=(ctx, who, tid, barrier, outcomes))
                for ctx, who in zip(contexts, (assignee, wang), strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            won = [o for o in outcomes if isinstance(o, Ticket)]
            lost = [o for o in outcomes if not isinstance(o, Ticket)]
            assert len(won) == 1 and len(lost) == 1, outcomes
            assert isinstance(lost[0], Conflict), repr(lost[0])
            assert [e.event for e in world.events(tid)].count(Event.ACKNOWLEDGE) == 1
            assert len(world.notifications(tid, "ticket.acknowledged")) == 1
            assert world.ticket(tid).status is Status.ACKNOWLEDGED
    finally:
        for engine in engines:
            engine.dispose()


def test_the_setup_files_policies_override_the_defaults_and_tickets_keep_a_snapshot(world: World) -> None:
    lift = world.report(urgency=Urgency.URGENT, description="电梯困人已解救，电梯停运")
    assert (lift.policy["acknowledge_within"], lift.policy["resolve_within"]) == ("1h", "12h")
    assert lift.ack_due_at == START + timedelta(hours=1) and lift.due_at == START + timedelta(hours=12)
    fire = world.report(category=Category.FIRE_SAFETY, description="消防栓打开没有水")
    assert fire.ack_due_at == sh(2026, 11, 23, 14)  # 4 working hours
    assert fire.due_at == sh(2026, 11, 26, 10)  # 3 working days
    water = world.report(category=Category.SHARED_UTILITIES, urgency=Urgency.URGENT, description="整栋楼停水")
    assert water.policy["resolve_within"] == "24h"  # no override for water: the default
    # An admin tightens the lift policy; the ticket already open keeps the limits it was opened under.
    with world.ctx.uow() as uow:
        uow.policies.put(
            "lift/urgent",
            {
                "key": "lift/urgent",
                "category": "lift",
                "urgency": "urgent",
                "acknowledge_within": "1h",
                "resolve_within": "6h",
            },
        )
        uow.commit()
    assert world.ticket(lift.id or 0).policy["resolve_within"] == "12h"
    assert world.ticket(lift.id or 0).due_at == START + timedelta(hours=12)
    assert world.report(urgency=Urgency.URGENT, description="电梯又停运了").due_at == START + timedelta(
        hours=6
    )


class CrashAtCommit(SqlUnitOfWork):
    """A process that dies just before its transaction commits."""

    def commit(self) -> None:
        raise RuntimeError("killed before commit")


def test_change_event_and_outbox_rows_commit_together_or_not_at_all(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    tid = world.report().id or 0
    crashing = replace(world.ctx, uow=unit_of_work(world.engine, CrashAtCommit))
    steps = [
        lambda ctx: tickets.acknowledge(ctx, li, tid),
        lambda ctx: tickets.ask_owner(ctx, li, tid, "几号梯？"),
        lambda ctx: tickets.owner_reply(ctx, zhang, tid, "2号梯"),
        lambda ctx: tickets.resolve(ctx, li, tid, "已修好"),
        lambda ctx: tickets.confirm(ctx, zhang, tid),
    ]
    for step in steps:
        before = world.snapshot(tid)
        with pytest.raises(RuntimeError):
            step(crashing)
        assert world.snapshot(tid) == before  # no status, no event, no message without the others
        step(world.ctx)
        after = world.snapshot(tid)
        assert len(after[1]) == len(before[1]) + 1 and len(after[2]) > len(before[2])
    assert world.ticket(tid).status is Status.CLOSED


def test_a_pause_that_pushes_the_deadline_into_an_unknown_year_makes_it_provisional(world: World) -> None:
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    world.clock.set(sh(2026, 12, 14, 10))
    tid = world.report().id or 0
    assert not world.ticket(tid).deadline_provisional
    tickets.acknowledge(world.ctx, li, tid)
    tickets.ask_owner(world.ctx, li, tid, "什么时候在家？")
    world.clock.set(sh(2026, 12, 28, 10))  # ten working days later
    tickets.owner_reply(world.ctx, zhang, tid, "现在在")
    ticket = world.ticket(tid)
    # 12-23 10:00 + 10 working days: 24, 25, 28, 29, 30, 31, (1 January off) 4, 5, 6, 7
    assert ticket.due_at == sh(2027, 1, 7, 10)
    assert ticket.deadline_provisional


def test_owners_reporting_at_once_get_distinct_numbers_without_gaps(world: World, database_url: str) -> None:
    owners = [world.pid(t) for t in (ZHANG_OWNER, HO_OWNER, ZHOU_COMMITTEE)]
    engines = [make_engine(database_url) for _ in owners]
    opened: list[Ticket] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(len(owners))

    def report(ctx: Context, owner: int) -> None:
        try:
            gate.wait(timeout=30)
            for i in range(4):
                draft = tickets.TicketDraft(Category.LIFT, Urgency.ORDINARY, f"电梯故障，第{i}次报修")
                opened.append(tickets.open_ticket(ctx, owner, draft))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=report, args=(replace(world.ctx, uow=unit_of_work(e)), owner))
            for e, owner in zip(engines, owners, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for engine in engines:
            engine.dispose()
    assert not errors, errors
    numbers = sorted(t.number for t in opened)
    assert numbers == [f"HB-2026-{n:06d}" for n in range(1, 13)]
    li, zhao = world.pid(LI_REPAIR), world.pid(ZHAO_REPAIR)
    for ticket in opened:  # the round robin follows the number: odd to 李师傅, even to 赵师傅
        assert ticket.assignee_id == (li if int(ticket.number[-6:]) % 2 else zhao)
