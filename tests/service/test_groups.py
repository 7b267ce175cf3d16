"""Binding groups: only a project manager binds one for the company's estate, only an official for the
office; never a public group; the unit's other managers or officials are told and any of them can
unbind it; a group whose binder left gets nothing more."""

from __future__ import annotations

from datetime import timedelta

from handlers.conversations.io import Answer, Incoming, Kind
from handlers.domain.people import Role, RoleKind
from handlers.rules.categories import Category
from handlers.services import membership
from tests.service.talk import Talk
from tests.service.world import (
    HO_OWNER,
    LI_REPAIR,
    LIU_COMMUNITY,
    WANG_MANAGER,
    WU_STREET,
    ZHAO_REPAIR,
    ZHENG_BUREAU,
    World,
)

OWNERS_GROUP, STAFF_GROUP, PUBLIC_GROUP = -1004001, -1004002, -1004003


def bound(world: World, chat: int) -> tuple[int | None, int | None] | None:
    with world.ctx.uow() as uow:
        binding = uow.groups.get(chat)
        return (binding.estate_id, binding.office_id) if binding else None


async def test_only_a_manager_or_an_official_binds_and_never_a_public_group(world: World) -> None:
    talk = Talk(world.ctx)
    for person in (LI_REPAIR, HO_OWNER):  # line staff, an owner: refused, with a reason
        [refusal] = await talk.command(person, "bind", chat=OWNERS_GROUP)
        assert "项目经理" in refusal.text or "項目經理" in refusal.text  # type: ignore[union-attr]
    assert bound(world, OWNERS_GROUP) is None

    # A public group (it has a @username) is refused even for the manager.
    inc = Incoming(
        chat_id=PUBLIC_GROUP, user_id=WANG_MANAGER, user_name="王", kind=Kind.COMMAND, command="bind",
        chat_type="supergroup", chat_public=True, update_id=999,
    )  # fmt: skip
    [refusal] = talk.core.handle(inc)
    assert "@" in refusal.text and bound(world, PUBLIC_GROUP) is None  # type: ignore[union-attr]

    await talk.command(WANG_MANAGER, "bind", chat=STAFF_GROUP)
    with world.ctx.uow() as uow:
        haibin = uow.estates.by_key("haibin")
    assert bound(world, STAFF_GROUP) == (haibin.id if haibin else None, None)
    # An official of a street binds for the street; another unit cannot take the group over.
    await talk.command(WU_STREET, "bind", chat=OWNERS_GROUP)
    assert bound(world, OWNERS_GROUP) is not None and bound(world, OWNERS_GROUP)[1] is not None  # type: ignore[index]
    await talk.command(WANG_MANAGER, "bind", chat=OWNERS_GROUP)
    assert bound(world, OWNERS_GROUP)[1] is not None  # type: ignore[index]


async def test_the_units_officials_are_told_and_any_of_them_can_unbind(world: World) -> None:
    talk = Talk(world.ctx)
    for person in (LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU):
        await talk.command(person, "start")
    # 吴科长 also sits in the community office; 刘主任 binds a group for the community, and the
    # community's other officials hear who bound which group.
    with world.ctx.uow() as uow:
        community = uow.offices.by_key("lianhua-community")
        assert community is not None
        uow.roles.add(Role(world.pid(WU_STREET), RoleKind.OFFICIAL, office_id=community.id))
        uow.commit()
    await talk.command(LIU_COMMUNITY, "bind", chat=STAFF_GROUP)
    assert not talk.buttons(STAFF_GROUP, "bg:")  # one unit: bound at once
    told = [s for s in talk.seen if s.chat_id == WU_STREET and f"ub:{STAFF_GROUP}" in s.buttons]
    assert told, "the community's other official is told, with a way to unbind"
    # He unbinds it from his own chat; the one who bound it is told.
    outputs = await talk.press(WU_STREET, f"ub:{STAFF_GROUP}", message_id=told[0].message_id)
    assert bound(world, STAFF_GROUP) is None
    assert not any(isinstance(o, Answer) and o.alert for o in outputs)
    assert any(s.chat_id == LIU_COMMUNITY and "解除" in s.text for s in talk.seen)
    # 吴科长, in two offices, picks which unit a group is for.
    await talk.command(WU_STREET, "bind", chat=OWNERS_GROUP)
    [street, community_choice] = sorted(talk.buttons(OWNERS_GROUP, "bg:"))
    await talk.press(WU_STREET, community_choice[0], chat=OWNERS_GROUP)
    assert bound(world, OWNERS_GROUP) == (None, community.id)


async def test_a_group_whose_binder_left_gets_no_more_cards(world: World) -> None:
    talk = Talk(world.ctx)
    await talk.command(WANG_MANAGER, "bind", chat=STAFF_GROUP)
    membership.deactivate(world.ctx, "wang-manager")
    assert bound(world, STAFF_GROUP) is None
    mark = len(talk.seen)
    world.report(category=Category.LIFT, description="电梯按钮失灵，按了没反应")
    await talk.outbox.drain()
    assert [s for s in talk.since(mark) if s.chat_id == STAFF_GROUP] == []


async def test_a_question_started_in_a_group_takes_only_the_pressers_next_message_in_time(
    world: World,
) -> None:
    talk = Talk(world.ctx)
    await talk.command(WANG_MANAGER, "bind", chat=STAFF_GROUP)
    ticket = world.report(category=Category.LIFT, description="电梯按钮失灵，按了没反应")
    tid = ticket.id or 0
    assignee = LI_REPAIR if world.ticket(tid).assignee_id == world.pid(LI_REPAIR) else ZHAO_REPAIR
    await talk.press(assignee, f"ak:{tid}", chat=STAFF_GROUP)
    questions = lambda: world.notifications(tid, "ticket.question")  # noqa: E731

    # Someone else's banter after the press is nobody's question; /cancel drops the presser's.
    await talk.press(assignee, f"as:{tid}", chat=STAFF_GROUP)
    await talk.text(WANG_MANAGER, "这个业主上次也是这样说的", chat=STAFF_GROUP)
    await talk.command(assignee, "cancel", chat=STAFF_GROUP)
    assert talk.state(assignee, STAFF_GROUP) is None
    await talk.text(assignee, "哈哈，又是这家", chat=STAFF_GROUP)
    assert questions() == []

    # Ten minutes later the question is gone too: the banter is not relayed to the owner.
    await talk.press(assignee, f"as:{tid}", chat=STAFF_GROUP)
    world.clock.advance(timedelta(minutes=11))
    await talk.text(assignee, "这个人真烦", chat=STAFF_GROUP)
    assert questions() == [] and talk.state(assignee, STAFF_GROUP) is None

    # A sticker instead of the question ends it; the presser's next message in time is the question.
    await talk.press(assignee, f"as:{tid}", chat=STAFF_GROUP)
    await talk.handle(assignee, Kind.OTHER, chat=STAFF_GROUP, other="sticker")
    assert talk.state(assignee, STAFF_GROUP) is None
    await talk.press(assignee, f"as:{tid}", chat=STAFF_GROUP)
    await talk.text(assignee, "请问是哪一部电梯？", chat=STAFF_GROUP)
    [asked] = questions()
    assert asked.params["question"] == "请问是哪一部电梯？"
