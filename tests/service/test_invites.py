"""Invite codes: every code expires, a staff code is used exactly once even when two people send it at
the same moment, wrong codes get one answer and five of them in ten minutes mean waiting, and owner
codes can be replaced."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy.engine import Engine

from bot.documents.setup_file import read_setup
from handlers.domain.people import RoleKind
from handlers.ports import UnitOfWork
from handlers.services import people
from handlers.services.errors import UserError
from handlers.services.setup import apply_setup
from storage.repositories import InviteRepository
from storage.uow import OnFirstUse, SqlUnitOfWork
from tests.service.world import SETUP, World


def test_a_code_printed_by_the_setup_file_expires_and_a_reload_prints_a_fresh_one(world: World) -> None:
    with world.ctx.uow() as uow:
        [first] = uow.invites.pending_for("he-service")
    assert first.expires_at == world.clock.now() + timedelta(days=world.ctx.invite_ttl_days)
    again = apply_setup(world.ctx, read_setup(SETUP))
    assert ("he-service", "staff", first.code, first.expires_at) in again.invites  # the same code
    world.clock.advance(timedelta(days=world.ctx.invite_ttl_days, minutes=1))
    stranger = people.touch_person(world.ctx, 300030, "某人").id or 0
    with pytest.raises(UserError) as caught:
        people.redeem_invite(world.ctx, stranger, first.code)
    assert caught.value.code == "code_invalid"
    fresh = apply_setup(world.ctx, read_setup(SETUP))
    [(_, _, code, until)] = [i for i in fresh.invites if i[0] == "he-service"]
    assert code != first.code and until is not None and until > world.clock.now()
    assert people.redeem_invite(world.ctx, stranger, code).kind is RoleKind.STAFF


def test_unknown_used_and_expired_codes_get_the_same_answer(world: World) -> None:
    someone = people.touch_person(world.ctx, 300031, "甲").id or 0
    used = people.create_invite(world.ctx, RoleKind.STAFF, estate_key="haibin")
    people.redeem_invite(world.ctx, someone, used.code)
    expired = people.create_invite(world.ctx, RoleKind.STAFF, estate_key="haibin")
    world.clock.advance(timedelta(days=world.ctx.invite_ttl_days, seconds=1))
    answers = set()
    for n, code in enumerate(("SNOSUCHCODE", used.code, expired.code)):
        other = people.touch_person(world.ctx, 300040 + n, "乙").id or 0
        for attempt in (people.look_up_code, people.redeem_invite):
            with pytest.raises(UserError) as caught:
                attempt(world.ctx, other, code)
            answers.add((caught.value.code, tuple(caught.value.params.items())))
    assert answers == {("code_invalid", ())}


def test_five_wrong_codes_in_ten_minutes_mean_waiting_even_for_a_right_one(world: World) -> None:
    guesser = people.touch_person(world.ctx, 300033, "猜码的人").id or 0
    for n in range(5):
        with pytest.raises(UserError) as caught:
            people.look_up_code(world.ctx, guesser, f"EGUESS{n}")
        assert caught.value.code == "code_invalid"
        world.clock.advance(timedelta(minutes=1))
    with pytest.raises(UserError) as caught:
        people.look_up_code(world.ctx, guesser, "EHB7QK4M9W")  # even the right code now waits
    assert caught.value.code == "code_wait" and caught.value.params == {"minutes": 5}
    invite = people.create_invite(world.ctx, RoleKind.STAFF, estate_key="haibin")
    with pytest.raises(UserError):
        people.redeem_invite(world.ctx, guesser, invite.code)
    world.clock.advance(timedelta(minutes=5))
    assert people.look_up_code(world.ctx, guesser, "EHB7QK4M9W").kind is people.InviteKind.OWNER
    # Someone else was never held up by it.
    other = people.touch_person(world.ctx, 300034, "别人").id or 0
    assert people.redeem_invite(world.ctx, other, invite.code).kind is RoleKind.STAFF


def test_a_rotated_owner_code_stops_working_and_owners_who_joined_stay(world: World) -> None:
    owner = people.touch_person(world.ctx, 300035, "业主甲").id or 0
    people.join_estate(world.ctx, owner, "EHB7QK4M9W", "2栋101")
    code = people.rotate_owner_code(world.ctx, "haibin")
    assert code != "EHB7QK4M9W" and code.startswith("E") and len(code) == 11
    newcomer = people.touch_person(world.ctx, 300036, "业主乙").id or 0
    with pytest.raises(UserError) as caught:
        people.look_up_code(world.ctx, newcomer, "EHB7QK4M9W")
    assert caught.value.code == "code_invalid"
    assert people.look_up_code(world.ctx, newcomer, code).estate_name == "海滨花园"
    with world.ctx.uow() as uow:
        assert [r.kind for r in uow.roles.of_person(owner)] == [RoleKind.OWNER]


class _BothReadFirst(InviteRepository):
    """The conditional write runs only after both redeemers have read the code as unused."""

    barrier: threading.Barrier

    def use(self, invite_id: int, person_id: int, now: Any) -> bool:
        self.barrier.wait(timeout=10)
        return super().use(invite_id, person_id, now)


class _RaceUnitOfWork(SqlUnitOfWork):
    invites = OnFirstUse(_BothReadFirst)


def test_two_people_redeeming_one_staff_code_at_once_make_one_manager(world: World, engine: Engine) -> None:
    invite = people.create_invite(world.ctx, RoleKind.MANAGER, estate_key="haibin")
    one = people.touch_person(world.ctx, 300037, "一号").id or 0
    two = people.touch_person(world.ctx, 300038, "二号").id or 0
    _BothReadFirst.barrier = threading.Barrier(2)
    world.ctx.uow = lambda: cast(UnitOfWork, _RaceUnitOfWork(engine))
    results: dict[int, str] = {}

    def redeem(person: int) -> None:
        try:
            people.redeem_invite(world.ctx, person, invite.code)
            results[person] = "manager"
        except UserError as exc:
            results[person] = exc.code

    threads = [threading.Thread(target=redeem, args=(p,)) for p in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["code_invalid", "manager"]
    with world.ctx.uow() as uow:
        managers = [p for p in (one, two) if any(r.kind is RoleKind.MANAGER for r in uow.roles.of_person(p))]
    assert len(managers) == 1
