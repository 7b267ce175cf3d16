"""Only the right people can act: every button of a ticket card pressed by every kind of person (the
reporter, other owners, the assignee, colleagues, staff and managers of other estates, the committee,
the officials over the estate and of another street, a department, someone deactivated, the old company
after a handover, a stranger), in their own chat and in the company's bound group. A press either acts
(the ticket moves, a step begins, something is drawn) or is refused and changes nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.documents.setup_file import read_setup
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.services import membership, people, tickets
from handlers.services.setup import apply_setup
from tests.service.talk import Talk, acted
from tests.service.world import (
    CHEN_SERVICE,
    FENG_CHENGGUAN,
    HO_OWNER,
    HUANG_MANAGER,
    LI_REPAIR,
    LIN_MANAGER,
    LIU_COMMUNITY,
    SETUP,
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

OTHER_STREET, STRANGER = 300060, 300099  # an official of 莲前街道 (not over 海滨花园); nobody here
COMPANY_GROUP = -1002001
EVERYONE = (
    ZHANG_OWNER, HO_OWNER, SMITH_OWNER, CHEN_SERVICE, LI_REPAIR, ZHAO_REPAIR, SUN_SECURITY, WANG_MANAGER,
    XU_REPAIR, HUANG_MANAGER, LIN_MANAGER, ZHOU_COMMITTEE, LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU,
    FENG_CHENGGUAN, OTHER_STREET, STRANGER,
)  # fmt: skip
GOVERNMENT = {LIU_COMMUNITY, WU_STREET, ZHENG_BUREAU}  # over 海滨花园
HANDLERS = {CHEN_SERVICE, WANG_MANAGER}  # the assignee (service duty routes to 陈丽) and the manager
# Who may open the ticket: SUN_SECURITY is deactivated before anything is pressed, so not him.
SEE = {ZHANG_OWNER, CHEN_SERVICE, LI_REPAIR, ZHAO_REPAIR, WANG_MANAGER, ZHOU_COMMITTEE} | GOVERNMENT


async def setting(world: World) -> Talk:
    talk = Talk(world.ctx)
    for person in EVERYONE:
        await talk.command(person, "start")
    invite = people.create_invite(world.ctx, RoleKind.OFFICIAL, office_key="lianqian-street")
    await talk.command(OTHER_STREET, "start", invite.code)
    await talk.command(WANG_MANAGER, "bind", chat=COMPANY_GROUP)
    membership.deactivate(world.ctx, "sun-security")
    return talk


def report(world: World) -> Ticket:
    ticket = world.report(
        category=Category.SERVICE_QUALITY,
        urgency=Urgency.ORDINARY,
        description="楼道保洁三天没有来过了",
        privacy=Privacy.GOVERNMENT,
    )
    assert ticket.assignee_id == world.pid(CHEN_SERVICE)
    return ticket


async def pressed(talk: Talk, world: World, person: int, data: str, chat: int | None = None) -> bool:
    """Press and tell whether it acted; a refused press must leave everything exactly as it was."""
    return (await press_and_see(talk, world, person, data, chat))[0]


async def press_and_see(
    talk: Talk, world: World, person: int, data: str, chat: int | None
) -> tuple[bool, bool]:
    """Press: whether it acted, and whether the ticket, its log or the outbox differ afterwards (a
    conversation the press started cancelled first). Two snapshots a press, three when it asked something:
    these tables press thousands of times, and snapshots were most of their time."""
    tid = int(data.split(":")[1])
    before = world.snapshot(tid)
    outputs = await talk.press(person, data, chat=chat)
    state = talk.state(person, chat)
    changed = moved = world.snapshot(tid) != before
    if state is not None:
        await talk.cancel_all(person, chat)
        changed = world.snapshot(tid) != before
    return acted(outputs) or moved or state is not None, changed


async def who_acts(
    talk: Talk, world: World, button: str, make: Callable[[], Ticket], chat: int | None = None
) -> set[int]:
    """Everyone presses `button` (``{t}`` is the ticket id) on a ticket in the same state: the ones it
    acted for. After a press that changed the ticket, the next person gets a fresh one."""
    out: set[int] = set()
    ticket = make()
    for person in EVERYONE:
        data = button.format(t=ticket.id, li=world.pid(LI_REPAIR))
        did, changed = await press_and_see(talk, world, person, data, person if chat is None else chat)
        if did:
            out.add(person)
        if changed:
            ticket = make()
    return out


ASSIGNED_TABLE = {
    "ak:{t}": HANDLERS,
    "st:{t}": set(),  # not acknowledged yet: nobody can start
    "as:{t}": HANDLERS,
    "rs:{t}": HANDLERS,
    "tr:{t}": HANDLERS,
    "xq:{t}": HANDLERS,
    "nj:{t}": HANDLERS,
    "ag:{t}:{li}": HANDLERS | GOVERNMENT,  # the community may overrule; colleagues hand on
    "ob:{t}": GOVERNMENT,
    "td:{t}": GOVERNMENT,
    "ug:{t}": GOVERNMENT,
    "cm:{t}": SEE,
    "xg:{t}": set(),  # nothing asked for: nothing to grant
    "tl:{t}": SEE,
    "cd:{t}": SEE,
    "mt:{t}": SEE,
    "cf:{t}": set(),  # not resolved: nothing to confirm
    "nf:{t}": {ZHANG_OWNER},
    "rp:{t}": {ZHANG_OWNER},
    "rt:{t}:5": set(),  # not closed: nothing to rate yet (the stars are stored on their press)
    "rb:{t}": set(),  # no department has it
}


# The table in three parts, each a test of its own: the longest test bounds a run on two workers.
PARTS = 3


@slow_on_postgresql  # some 1,600 presses, each with the ticket read before and after
@pytest.mark.parametrize("part", range(PARTS))
async def test_every_button_acts_only_for_those_it_belongs_to(world: World, part: int) -> None:
    talk = await setting(world)
    wrong: dict[str, tuple[set[int], set[int]]] = {}
    for button, expected in list(ASSIGNED_TABLE.items())[part::PARTS]:
        for chat in (None, COMPANY_GROUP):
            got = await who_acts(talk, world, button, lambda: report(world), chat)
            if got != expected:
                wrong[f"{button} in {chat or 'private'}"] = (got - expected, expected - got)
    assert wrong == {}


async def test_a_department_acts_on_a_case_only_while_it_has_it(world: World) -> None:
    talk = await setting(world)

    def transferred() -> Ticket:
        ticket = report(world)
        return tickets.transfer_department(
            world.ctx, world.pid(LIU_COMMUNITY), ticket.id or 0, "siming-chengguan", "请城管核查"
        )

    table = {
        "rs:{t}": {FENG_CHENGGUAN},  # the department resolves; the company cannot while it is away
        "rb:{t}": {FENG_CHENGGUAN},
        "ak:{t}": set(),
        "as:{t}": set(),
        "tr:{t}": set(),
        "xq:{t}": set(),
        "cd:{t}": SEE | {FENG_CHENGGUAN},
        "tl:{t}": SEE | {FENG_CHENGGUAN},
        "cm:{t}": SEE | {FENG_CHENGGUAN},
    }
    wrong = {}
    for button, expected in table.items():
        got = await who_acts(talk, world, button, transferred)
        if got != expected:
            wrong[button] = (got - expected, expected - got)
    assert wrong == {}

    # Sent back by the department: the company has it again, and the department nothing.
    ticket = transferred()
    await talk.press(FENG_CHENGGUAN, f"rb:{ticket.id}")
    await talk.text(FENG_CHENGGUAN, "占用的是小区内部道路，不属于城管执法范围")
    back = world.ticket(ticket.id or 0)
    assert (back.status, back.department_office_id) == (Status.ASSIGNED, None)
    assert back.assignee_id == world.pid(CHEN_SERVICE)
    assert world.events(ticket.id or 0)[-2].event is Event.RETURN_TO_COMPANY
    for button in ("rs:{t}", "rb:{t}", "cd:{t}", "tl:{t}", "cm:{t}"):
        assert not await pressed(talk, world, FENG_CHENGGUAN, button.format(t=ticket.id))
    assert await pressed(talk, world, CHEN_SERVICE, f"ak:{ticket.id}")


async def test_after_a_handover_the_old_company_can_do_nothing_and_the_new_one_takes_over(
    world: World, tmp_path: Path
) -> None:
    talk = await setting(world)
    ticket = report(world)
    tickets.acknowledge(world.ctx, world.pid(CHEN_SERVICE), ticket.id or 0)

    # 海滨花园 changes company: 鹭江物业 takes over, with its project manager 林志明 there too; the old
    # company's people leave the file.
    doc = yaml.safe_load(SETUP.read_text(encoding="utf-8"))
    haibin = next(e for e in doc["estates"] if e["key"] == "haibin")
    haibin["company"] = "lujiang-pm"
    haibin.pop("on_call")  # its on-call man leaves with the old company
    gone = {"wang-manager", "li-repair", "zhao-repair", "chen-service", "sun-security"}
    doc["people"] = [p for p in doc["people"] if p["key"] not in gone]
    next(p for p in doc["people"] if p["key"] == "lin-manager")["roles"].append(
        {"role": "manager", "estate": "haibin"}
    )
    changed = tmp_path / "setup.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    report_ = apply_setup(world.ctx, read_setup(changed))
    assert report_.handed_over == {"haibin": 1}
    assert report_.absent == []  # they left with their company: nothing of theirs acts any more

    handed = world.ticket(ticket.id or 0)
    assert (handed.status, handed.assignee_id) == (Status.ASSIGNED, world.pid(LIN_MANAGER))
    assert Event.HANDOVER in [e.event for e in world.events(ticket.id or 0)]
    old = (WANG_MANAGER, CHEN_SERVICE, LI_REPAIR, ZHAO_REPAIR)
    for person in old:
        for button in ("ak:{t}", "rs:{t}", "tr:{t}", "cd:{t}", "tl:{t}", "cm:{t}"):
            assert not await pressed(talk, world, person, button.format(t=ticket.id)), (person, button)
    with world.ctx.uow() as uow:
        assert uow.groups.get(COMPANY_GROUP) is None  # the old company's group gets nothing more
    assert await pressed(talk, world, LIN_MANAGER, f"ak:{ticket.id}")
    # New reports go to the new company.
    assert report_for_new_company(world).assignee_id == world.pid(LIN_MANAGER)


def report_for_new_company(world: World) -> Ticket:
    return world.report(category=Category.SERVICE_QUALITY, description="新物业也要管保洁的问题")


async def test_deactivated_staff_stop_at_once_and_their_tickets_go_to_the_manager(world: World) -> None:
    talk = await setting(world)
    ticket = report(world)
    await talk.outbox.drain()
    card = [d for d, _ in talk.buttons(CHEN_SERVICE, f"ak:{ticket.id}")]
    assert card, "the assignee got the card"
    done = membership.deactivate(world.ctx, "chen-service")
    assert (done.roles, done.tickets) == (1, 1)
    for button in ("ak:{t}", "rs:{t}", "cd:{t}", "tl:{t}"):
        assert not await pressed(talk, world, CHEN_SERVICE, button.format(t=ticket.id))
    assert world.ticket(ticket.id or 0).assignee_id == world.pid(WANG_MANAGER)
    await talk.command(CHEN_SERVICE, "tasks")
    assert "tasks" not in str(talk.seen[-1])  # an ordinary "only staff" answer, no ticket list
    assert not talk.seen[-1].buttons
