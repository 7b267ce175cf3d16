"""The web front door's use cases on a real database: /web's one-time code in the chat, owners joining
without Telegram, a manager's new link for an owner, erasure taking the web records along."""

from __future__ import annotations

import re

import pytest

from handlers.conversations.io import Send
from handlers.services import people, web_access
from handlers.services.errors import NotAllowed, UserError
from tests.service.talk import Talk
from tests.service.world import HUANG_MANAGER, LI_REPAIR, WANG_MANAGER, World

STRANGER = 299001


async def test_web_in_the_chat_gives_a_one_time_code_that_signs_in_once(world: World) -> None:
    talk = Talk(world.ctx)
    world.ctx.web_url = "https://wuye.example.org"
    said = [o.text for o in await talk.command(LI_REPAIR, "web") if isinstance(o, Send)]
    code = re.search(r"([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", said[0])
    assert code and "https://wuye.example.org/signin?code=" in said[0]
    signed = web_access.sign_in(world.ctx, "ip:test", code.group(1).lower())
    assert signed.person_id == world.pid(LI_REPAIR)
    with pytest.raises(UserError):
        web_access.sign_in(world.ctx, "ip:test", code.group(1))


async def test_a_stranger_gets_no_code(world: World) -> None:
    talk = Talk(world.ctx)
    said = [o.text for o in await talk.command(STRANGER, "web") if isinstance(o, Send)]
    assert "加入" in said[0] and not re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", said[0])


def test_a_code_expires_after_a_quarter_of_an_hour(world: World) -> None:
    from datetime import timedelta

    code, _ = web_access.issue_sign_in_code(world.ctx, world.pid(LI_REPAIR))
    world.clock.advance(timedelta(minutes=16))
    with pytest.raises(UserError):
        web_access.sign_in(world.ctx, "ip:test", code)


def test_only_the_estates_manager_issues_an_owner_a_new_link(world: World) -> None:
    joined = web_access.join_by_code(world.ctx, "ip:a", "EHB7QK4M9W", "9-9-909", "", "zh_Hans")
    with pytest.raises(NotAllowed):  # the manager of another estate
        web_access.new_owner_link(world.ctx, world.pid(HUANG_MANAGER), joined.person_id)
    link, recovery = web_access.new_owner_link(world.ctx, world.pid(WANG_MANAGER), joined.person_id)
    with pytest.raises(UserError):
        web_access.sign_in(world.ctx, "ip:a", joined.link)
    assert web_access.sign_in(world.ctx, "ip:a", link).person_id == joined.person_id


def test_erasing_an_owner_who_joined_on_the_web_removes_their_ways_in(world: World) -> None:
    joined = web_access.join_by_code(world.ctx, "ip:a", "EHB7QK4M9W", "9-9-909", "王先生", "en")
    people.delete_my_data(world.ctx, joined.person_id)
    with pytest.raises(UserError):
        web_access.sign_in(world.ctx, "ip:a", joined.link)
