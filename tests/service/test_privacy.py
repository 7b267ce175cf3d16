"""A hidden reporter stays hidden in every chat: one ticket under each privacy tier, driven through
its whole life (group presses, questions, every rung of the ladder, urging, a transfer, resolution),
then every view of every ticket opened by every person in their own chat and in every bound group.
Everything anyone could read is collected (replies, cards, edits, toasts, photos, the outbox's
messages, `wuye status`, the log at DEBUG) and checked against who the tier lets see the reporter."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.delivery.status import status_lines
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.services import ladder
from tests.service.talk import Talk
from tests.service.world import (
    CHEN_SERVICE,
    FENG_CHENGGUAN,
    HO_OWNER,
    HUANG_MANAGER,
    LI_REPAIR,
    LIN_MANAGER,
    LIU_COMMUNITY,
    SMITH_OWNER,
    SUN_SECURITY,
    WANG_MANAGER,
    WU_STREET,
    XU_REPAIR,
    ZHANG_OWNER,
    ZHAO_REPAIR,
    ZHENG_BUREAU,
    ZHOU_COMMITTEE,
    World,
)
from tests.support.databases import slow_on_postgresql

LIN_OWNER, STRANGER = 300050, 300099  # an owner who joins by code; someone who is nobody here
COMPANY_GROUP, OFFICE_GROUP, DEPARTMENT_GROUP, IDLE_GROUP = -1001001, -1001002, -1001003, -1001004
GROUPS = (COMPANY_GROUP, OFFICE_GROUP, DEPARTMENT_GROUP, IDLE_GROUP)
PEOPLE = (
    WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, SUN_SECURITY, HUANG_MANAGER, LIN_MANAGER, XU_REPAIR,
    ZHOU_COMMITTEE, LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU, FENG_CHENGGUAN,
    ZHANG_OWNER, HO_OWNER, SMITH_OWNER, LIN_OWNER, STRANGER,
)  # fmt: skip
GOVERNMENT_OVER_HAIBIN = {LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU}
HAIBIN_COMPANY = {WANG_MANAGER, LI_REPAIR, ZHAO_REPAIR, CHEN_SERVICE, SUN_SECURITY}

# Who each reporter is (setup-file name, unit, the name they chat under, Telegram id), and the private
# chats their tier lets see it. Nobody else, no group, no log and no status line may show any of it.
REPORTERS = {
    ZHANG_OWNER: (
        Privacy.GOVERNMENT,
        ("张女士", "3栋2单元501", "Zhang-nickname", str(ZHANG_OWNER)),
        {ZHANG_OWNER} | GOVERNMENT_OVER_HAIBIN,
    ),
    HO_OWNER: (Privacy.NOBODY, ("何先生", "5栋1单元1203", "Ho-nickname", str(HO_OWNER)), {HO_OWNER}),
    LIN_OWNER: (
        Privacy.EVERYONE,
        ("林小姐", "9栋9单元909", str(LIN_OWNER)),
        {LIN_OWNER, ZHOU_COMMITTEE} | HAIBIN_COMPANY | GOVERNMENT_OVER_HAIBIN,
    ),
}


@slow_on_postgresql  # some 700 presses and commands, read for every name anyone was shown
async def test_a_hidden_reporter_stays_hidden_in_every_chat(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    talk = Talk(world.ctx)
    talk.names.update({ZHANG_OWNER: "Zhang-nickname", HO_OWNER: "Ho-nickname", LIN_OWNER: "林小姐"})
    for person in PEOPLE:  # everyone has written to the bot once (Telegram names are stored then)
        await talk.command(person, "start")
    await talk.command(LIN_OWNER, "join", "EHB7QK4M9W")
    await talk.text(LIN_OWNER, "9栋9单元909")

    # The company's group (by the project manager), the street office's, the department's; and a group
    # the bot sits in unbound.
    await talk.command(WANG_MANAGER, "bind", chat=COMPANY_GROUP)
    await talk.command(WU_STREET, "bind", chat=OFFICE_GROUP)
    await talk.command(FENG_CHENGGUAN, "bind", chat=DEPARTMENT_GROUP)
    with world.ctx.uow() as uow:
        assert {g: uow.groups.get(g) is not None for g in GROUPS} == {
            COMPANY_GROUP: True, OFFICE_GROUP: True, DEPARTMENT_GROUP: True, IDLE_GROUP: False
        }  # fmt: skip

    # One urgent report under each tier, each with the owner's photo.
    reports = {}
    for owner, (privacy, _, _) in REPORTERS.items():
        reports[owner] = world.report(
            owner,
            category=Category.LIFT,
            urgency=Urgency.URGENT,
            description=f"电梯故障，困在两层之间的警报一直响 ({privacy.value})",
            privacy=privacy,
            photos=[(f"photo-{owner}", None)],
        )
        await talk.outbox.drain()
    ids = [t.id or 0 for t in reports.values()]

    # Staff press Acknowledge in the company group (acting as themselves), ask the owner, get answers.
    for ticket in reports.values():
        assignee = next(p for p in HAIBIN_COMPANY if world.pid(p) == world.ticket(ticket.id or 0).assignee_id)
        await talk.press(assignee, f"ak:{ticket.id}", chat=COMPANY_GROUP)
        await talk.press(assignee, f"as:{ticket.id}")
        await talk.text(assignee, "请问您在几号楼几单元被困？")
    for owner, ticket in reports.items():
        await talk.press(owner, f"rp:{ticket.id}")
        await talk.text(owner, "我住在那栋楼，电梯在七楼和八楼之间")

    # The ladder climbs every rung (manager, community, street, bureau) while nobody resolves.
    for _ in range(12):
        world.clock.advance(timedelta(days=1))
        ladder.sweep(world.ctx)
        await talk.outbox.drain()
    assert all(world.ticket(i).supervised for i in ids)

    # Officials urge, comment (in their group and in private), transfer one case to city management.
    zhang_t, ho_t, lin_t = (reports[o].id for o in (ZHANG_OWNER, HO_OWNER, LIN_OWNER))
    await talk.press(WU_STREET, f"ug:{zhang_t}", chat=OFFICE_GROUP)
    await talk.text(WU_STREET, "请物业今天之内处理", chat=OFFICE_GROUP)
    await talk.press(ZHENG_BUREAU, f"cm:{lin_t}")
    await talk.text(ZHENG_BUREAU, "已列入挂牌督办")
    await talk.press(LIU_COMMUNITY, f"td:{ho_t}")
    department = next(d for d, _ in talk.buttons(LIU_COMMUNITY, f"td:{ho_t}:"))
    await talk.press(LIU_COMMUNITY, department)
    await talk.text(LIU_COMMUNITY, "请城管到现场核查")
    await talk.press(FENG_CHENGGUAN, f"cm:{ho_t}", chat=DEPARTMENT_GROUP)
    await talk.text(FENG_CHENGGUAN, "明天上午到现场", chat=DEPARTMENT_GROUP)

    # Everyone opens every ticket every way, in their own chat and in every group; and their lists.
    for person in PEOPLE:
        for chat in (person, *GROUPS):
            for tid in ids:
                for view in ("cd", "tl", "mt"):
                    await talk.press(person, f"{view}:{tid}", chat=chat)
        for command in ("my", "tasks", "team", "area", "overdue", "supervision", "privacy"):
            await talk.command(person, command)

    # The loop closes for the case that was not transferred: resolved with a photo, confirmed, rated.
    await talk.press(LI_REPAIR, f"rs:{lin_t}") if world.ticket(lin_t).assignee_id == world.pid(
        LI_REPAIR
    ) else (await talk.press(ZHAO_REPAIR, f"rs:{lin_t}"))
    handler = LI_REPAIR if talk.state(LI_REPAIR) else ZHAO_REPAIR
    await talk.text(handler, "已更换电梯控制板，运行正常")
    await talk.press(handler, "rz:skip")
    await talk.press(LIN_OWNER, f"cf:{lin_t}")
    await talk.press(LIN_OWNER, f"rt:{lin_t}:5")
    await talk.text(LIN_OWNER, "谢谢李师傅")
    status = status_lines(world.ctx)

    # ---- who was shown what ------------------------------------------------------------------------
    assert len(talk.seen) > 500  # the sweep above really drew things for everyone
    leaks = []
    for seen in talk.seen:
        for _, marks, allowed in REPORTERS.values():
            if seen.chat_id in allowed:
                continue
            leaks += [(seen.chat_id, mark, seen.text[:80]) for mark in marks if mark in seen.text]
    assert leaks == []
    # The names people chat under never replace the setup file's names (only they see their own).
    assert [s for s in talk.seen if "nickname" in s.text and s.chat_id not in (ZHANG_OWNER, HO_OWNER)] == []
    # A restricted reporter's photos never go to a group; an open one's may.
    to_groups = {s.photo for s in talk.seen if s.chat_id < 0 and s.photo}
    assert f"photo-{LIN_OWNER}" in to_groups
    assert not to_groups & {f"photo-{ZHANG_OWNER}", f"photo-{HO_OWNER}"}
    # The groups did get the cards and timelines (so the check above looked at real group output).
    group_texts = [s.text for s in talk.seen if s.chat_id in (COMPANY_GROUP, OFFICE_GROUP, DEPARTMENT_GROUP)]
    assert sum(reports[ZHANG_OWNER].number in t for t in group_texts) > 5
    assert not [
        s for s in talk.seen if s.chat_id == IDLE_GROUP and any(r.number in s.text for r in reports.values())
    ]
    # The entitled did see the name (so the check is not passing because nothing names anyone).
    assert any("张女士" in s.text and s.chat_id == LIU_COMMUNITY for s in talk.seen)
    assert any("林小姐" in s.text and s.chat_id == LI_REPAIR for s in talk.seen)
    # `wuye status` and the log at DEBUG name nobody.
    for _, marks, _ in REPORTERS.values():
        for mark in marks:
            assert not [line for line in status if mark in line]
            assert not [r.getMessage() for r in caplog.records if mark in r.getMessage()]
