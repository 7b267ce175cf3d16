"""/area, /overdue and /supervision in the chat: a page at a time, with buttons to the other pages, so
nothing is cut off silently however many tickets the area holds."""

from __future__ import annotations

from handlers.conversations.buttons import unversioned
from handlers.conversations.io import Answer, Edit, Output, Send
from tests.service.talk import Talk
from tests.service.world import LI_REPAIR, LIU_COMMUNITY, WU_STREET, World


def drawn(outputs: list[Output]) -> Send | Edit:
    [out] = [o for o in outputs if isinstance(o, Send | Edit)]
    return out


def data(out: Send | Edit) -> list[str]:
    return [unversioned(b.data) for row in out.buttons for b in row]


async def test_a_long_list_comes_a_page_at_a_time_with_buttons_to_turn_the_pages(world: World) -> None:
    talk = Talk(world.ctx)
    numbers = {world.report(description=f"第{n}号电梯困人报警").number for n in range(23)}
    first = drawn(await talk.command(LIU_COMMUNITY, "area"))
    assert isinstance(first, Send)
    assert len([d for d in data(first) if d.startswith("cd:")]) == 20
    assert data(first)[-1] == "ol:area:2"  # no "previous" on the first page
    assert "1" in first.text and "2" in first.text  # page 1 of 2
    second = drawn(await talk.press(LIU_COMMUNITY, "ol:area:2", message_id=7))
    assert isinstance(second, Edit) and second.message_id == 7  # the list turns its page where it stands
    assert data(second)[-1] == "ol:area:1"
    opened = [d for d in data(first) + data(second) if d.startswith("cd:")]
    assert len(opened) == len(set(opened)) == 23  # every ticket on one page or the other, none twice
    with world.ctx.uow() as uow:
        assert {uow.tickets.get(int(d[3:])).number for d in opened} == numbers  # type: ignore[union-attr]
    # A page beyond the end (the list shrank since) shows the last one.
    assert data(drawn(await talk.press(WU_STREET, "ol:area:9"))) == data(second)


async def test_a_short_list_has_no_page_buttons_and_an_empty_one_says_so(world: World) -> None:
    talk = Talk(world.ctx)
    world.report()
    out = drawn(await talk.command(WU_STREET, "overdue"))
    assert not [d for d in data(out) if d.startswith("ol:")]
    out = drawn(await talk.command(WU_STREET, "area"))
    assert [d for d in data(out) if d.startswith("ol:")] == []
    assert len(data(out)) == 1


async def test_a_page_button_shows_only_the_pressers_own_area_and_never_in_a_group(world: World) -> None:
    talk = Talk(world.ctx)
    world.report()
    refused = await talk.press(LI_REPAIR, "ol:area:1")
    assert "cd:" not in " ".join(data(drawn(refused)))  # staff are no officials: told so, no list
    in_group = await talk.press(LIU_COMMUNITY, "ol:area:1", chat=-1001)
    assert not [o for o in in_group if isinstance(o, Send | Edit)]
    assert [o for o in in_group if isinstance(o, Answer) and o.alert]


def test_only_an_area_of_every_estate_is_asked_for_without_its_estates(world: World) -> None:
    from handlers.ports import TicketList
    from handlers.services.access import load_actor
    from handlers.services.area_lists import list_scope
    from tests.service.world import ZHENG_BUREAU

    with world.ctx.uow() as uow:
        bureau = list_scope(uow, load_actor(uow, world.pid(ZHENG_BUREAU)), TicketList.AREA)
        street = list_scope(uow, load_actor(uow, world.pid(WU_STREET)), TicketList.AREA)
        every = tuple(sorted(e.id or 0 for e in uow.estates.all()))
    assert bureau.everywhere and bureau.estate_ids == every
    assert not street.everywhere and len(street.estate_ids) == 2


async def test_help_in_a_group_lists_the_groups_commands_from_the_registry(world: World) -> None:
    from handlers.conversations import registry

    talk = Talk(world.ctx)
    [said] = [o for o in await talk.command(LIU_COMMUNITY, "help", chat=-1001) if isinstance(o, Send)]
    listed = [line.split(" ", 1)[0] for line in said.text.splitlines()]
    assert listed == [f"/{c.name}" for c in registry.IN_GROUPS if c.help] == ["/bind", "/unbind", "/cancel"]
