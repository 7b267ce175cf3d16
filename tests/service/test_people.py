"""People: first contact, joining an estate, staff invites, language, and erasure (delete my data)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.domain.people import RoleKind
from handlers.rules.categories import Duty
from handlers.rules.lifecycle import Event, Status
from handlers.services import people, tickets
from handlers.services.errors import NotFound, UserError
from tests.service.world import HO_OWNER, LI_REPAIR, WANG_MANAGER, ZHANG_OWNER, World


def test_first_contact_creates_a_person_once_and_keeps_the_name_current(world: World) -> None:
    first = people.touch_person(world.ctx, 300010, "小王")
    again = people.touch_person(world.ctx, 300010, "王小明")
    assert first.id == again.id and again.display_name == "王小明"
    with world.ctx.uow() as uow:
        person = uow.people.get(first.id or 0)
        assert person is not None and person.display_name == "王小明" and person.telegram_id == 300010
        person.unreachable = True
        uow.people.save(person)
        uow.commit()
    # Writing to the bot makes a person reachable again.
    assert not people.touch_person(world.ctx, 300010, "王小明").unreachable


def test_joining_an_estate_with_its_code(world: World) -> None:
    pid = people.touch_person(world.ctx, 300011, "林女士").id or 0
    for code, unit, error in (("NOPE", "1栋101", "code_invalid"), ("EHB7QK4M9W", "  ", "text_too_short")):
        with pytest.raises(UserError) as caught:
            people.join_estate(world.ctx, pid, code, unit)
        assert caught.value.code == error
    with pytest.raises(UserError) as caught:
        people.join_estate(world.ctx, pid, "EHB7QK4M9W", "楼" * 61)
    assert caught.value.code == "text_too_long"
    role = people.join_estate(world.ctx, pid, " ehb7qk4m9w ", "7栋1单元302")  # as typed on a phone
    assert role.kind is RoleKind.OWNER and role.unit == "7栋1单元302"
    assert people.join_estate(world.ctx, pid, "EHB7QK4M9W", "7栋1单元302").id == role.id  # no duplicate
    lookup = people.look_up_code(world.ctx, pid, "ehb7qk4m9w")
    assert (lookup.kind, lookup.estate_name, lookup.role) == (
        people.InviteKind.OWNER,
        "海滨花园",
        RoleKind.OWNER,
    )


def test_staff_invites_are_one_time_and_expire(world: World) -> None:
    with world.ctx.uow() as uow:
        [invite] = uow.invites.pending_for("he-service")  # printed by `wuye load`
    assert invite.role is RoleKind.STAFF and invite.duty is Duty.SERVICE
    he = people.touch_person(world.ctx, 300020, "静静").id or 0
    lookup = people.look_up_code(world.ctx, he, invite.code.lower())
    assert (lookup.kind, lookup.estate_name) == (people.InviteKind.STAFF, "上都嘉园")
    role = people.redeem_invite(world.ctx, he, invite.code)
    assert (role.kind, role.duty, role.person_id) == (RoleKind.STAFF, Duty.SERVICE, he)
    with world.ctx.uow() as uow:  # the setup file's code names them as the file does, from now on
        named = uow.people.get(he)
        assert named is not None and (named.key, named.display_name) == ("he-service", "何静（客服）")
        assert named.telegram_name == "静静" and role.from_setup
    other = people.touch_person(world.ctx, 300021, "冒名者").id or 0
    with pytest.raises(UserError) as caught:
        people.redeem_invite(world.ctx, other, invite.code)
    assert caught.value.code == "code_invalid"
    with world.ctx.uow() as uow:
        assert uow.roles.of_person(other) == []
    fresh = people.create_invite(world.ctx, RoleKind.MANAGER, estate_key="haibin")
    world.clock.advance(timedelta(days=world.ctx.invite_ttl_days, seconds=1))
    with pytest.raises(UserError) as caught:
        people.redeem_invite(world.ctx, other, fresh.code)
    assert caught.value.code == "code_invalid"
    with pytest.raises(NotFound):
        people.create_invite(world.ctx, RoleKind.STAFF, estate_key="nowhere")
    with pytest.raises(NotFound):
        people.create_invite(world.ctx, RoleKind.OFFICIAL, office_key="nowhere")


def test_language_choice(world: World) -> None:
    zhang = world.pid(ZHANG_OWNER)
    people.set_language(world.ctx, zhang, "en")
    with world.ctx.uow() as uow:
        person = uow.people.get(zhang)
        assert person is not None and person.language == "en"
    with pytest.raises(NotFound):
        people.set_language(world.ctx, 999999, "en")


def test_delete_my_data_anonymises_the_reporter_and_keeps_the_tickets(world: World) -> None:
    zhang, li, ho = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR), world.pid(HO_OWNER)
    first = world.report()
    second = world.report(description="地下车库漏水严重")
    other = world.report(HO_OWNER, description="楼道灯不亮了好几天")
    tickets.acknowledge(world.ctx, li, first.id or 0)
    mine = people.my_data(world.ctx, zhang)
    assert mine["telegram_id"] == ZHANG_OWNER and mine["display_name"] == "张女士"
    assert sorted(mine["tickets"]) == sorted([first.number, second.number])
    assert ("owner", first.estate_id, "3栋2单元501") in mine["roles"]

    world.clock.advance(timedelta(hours=2))
    assert people.delete_my_data(world.ctx, zhang) == 2

    for kept in (first, second):
        ticket = world.ticket(kept.id or 0)
        assert ticket.number == kept.number and ticket.description == kept.description  # the record stays
        assert ticket.reporter_id is None and ticket.reporter_unit is None
        last = world.events(kept.id or 0)[-1]
        assert last.event is Event.ANONYMISE and last.at == world.clock.now()
        assert last.from_status == last.to_status == ticket.status
    assert world.ticket(other.id or 0).reporter_id == ho  # nobody else's data is touched
    with world.ctx.uow() as uow:  # their row is gone: nothing can link them to the record
        assert uow.people.get(zhang) is None
        assert uow.people.by_telegram_id(ZHANG_OWNER) is None
        assert uow.roles.of_person(zhang, active_only=False) == []
        assert uow.tickets.of_reporter(zhang) == []
    # Nobody can act as the erased person, and the work goes on without them.
    with pytest.raises(NotFound):
        tickets.confirm(world.ctx, zhang, first.id or 0)
    with pytest.raises(NotFound):
        people.my_data(world.ctx, zhang)
    with pytest.raises(UserError) as caught:
        tickets.ask_owner(world.ctx, li, first.id or 0, "在家吗？")
    assert caught.value.code == "reporter_gone"
    before = len(world.notifications())
    resolved = tickets.resolve(world.ctx, li, first.id or 0, "已修好")
    assert resolved.status is Status.RESOLVED
    assert all(n.person_id != zhang for n in world.notifications()[before:])  # nothing queued for them
    # Writing to the bot again is a new, empty person.
    back = people.touch_person(world.ctx, ZHANG_OWNER, "张女士")
    assert back.id != zhang and people.my_data(world.ctx, back.id or 0)["tickets"] == []


def test_managers_see_the_erasure_on_the_record(world: World) -> None:
    zhang = world.pid(ZHANG_OWNER)
    tid = world.report().id or 0
    people.delete_my_data(world.ctx, zhang)
    # The manager can still reassign and the reporter stays anonymous on every later event.
    ticket = tickets.assign(world.ctx, world.pid(WANG_MANAGER), tid, world.pid(LI_REPAIR))
    assert ticket.reporter_id is None
    assert [e.event for e in world.events(tid)] == [Event.OPEN, Event.ASSIGN, Event.ANONYMISE, Event.ASSIGN]
