"""The conversation tables through the real core: a button from an earlier step is no longer valid and
changes nothing, and a conversation stored by the version before the tables (its draft an untyped
dict) carries on where it was."""

from __future__ import annotations

from handlers.conversations.io import Kind
from handlers.ports import ChatState
from handlers.rules.lifecycle import Status
from tests.service.talk import Talk
from tests.service.world import LI_REPAIR, ZHANG_OWNER, World

NO_LONGER_VALID = "此按钮已失效。"  # the owner and the staff read the estate's language, zh_Hans


async def test_a_report_button_from_an_earlier_step_is_no_longer_valid(world: World) -> None:
    talk = Talk(world.ctx)
    await talk.command(ZHANG_OWNER, "report")
    await talk.press(ZHANG_OWNER, "r:cat:lift")
    await talk.text(ZHANG_OWNER, "3栋电梯门关不上，一直响警报")
    assert talk.state(ZHANG_OWNER) == ("report", "photos")
    with world.ctx.uow() as uow:
        before = uow.conversations.get(ZHANG_OWNER, ZHANG_OWNER)
    mark = len(talk.seen)
    for stale in ("r:cat:water", "r:urg:urgent", "r:ok", "r:est:1"):
        await talk.press(ZHANG_OWNER, stale)
    assert [s.text for s in talk.since(mark)] == [NO_LONGER_VALID] * 4
    with world.ctx.uow() as uow:
        assert uow.conversations.get(ZHANG_OWNER, ZHANG_OWNER) == before
    mark = len(talk.seen)
    await talk.handle(ZHANG_OWNER, Kind.OTHER, other="sticker")  # a message the step does not take
    assert "照片" in talk.since(mark)[0].text and talk.state(ZHANG_OWNER) == ("report", "photos")


async def test_a_report_stored_as_a_dict_draft_is_finished(world: World) -> None:
    """Stored by the version before drafts were typed: photos as lists, the category as text."""
    talk = Talk(world.ctx)
    old = {
        "estate_id": 1,
        "photos": [["photo-1", "u-1"]],
        "key": "0123456789abcdef0123456789abcdef",
        "category": "lift",
        "description": "3栋电梯门关不上，一直响警报",
        "editing": False,
    }
    with world.ctx.uow() as uow:
        uow.conversations.put(
            ChatState(ZHANG_OWNER, ZHANG_OWNER, "report", "location", old), world.clock.now()
        )
        uow.commit()
    await talk.text(ZHANG_OWNER, "3栋2单元电梯")
    assert talk.state(ZHANG_OWNER) == ("report", "urgency")
    for data in ("r:urg:urgent", "r:prv:government", "r:ok"):
        await talk.press(ZHANG_OWNER, data)
    assert talk.state(ZHANG_OWNER) is None
    with world.ctx.uow() as uow:
        [ticket] = uow.tickets.of_reporter(world.pid(ZHANG_OWNER), limit=5)
        photos = [a.file_id for a in uow.attachments.of_ticket(ticket.id or 0)]
    assert (ticket.category.value, ticket.location, photos) == ("lift", "3栋2单元电梯", ["photo-1"])


async def test_a_question_stored_by_the_version_before_is_answered(world: World) -> None:
    talk = Talk(world.ctx)
    tid = world.report().id or 0
    with world.ctx.uow() as uow:
        state = ChatState(LI_REPAIR, LI_REPAIR, "reject", "reason", {"ticket_id": tid})
        uow.conversations.put(state, world.clock.now())
        uow.commit()
    mark = len(talk.seen)
    await talk.text(LI_REPAIR, "这是业主家里的门，不归物业")
    assert "提交社区" in talk.since(mark)[0].text  # "… has been sent to the community with your reason."
    assert world.ticket(tid).status is Status.REJECTED and talk.state(LI_REPAIR) is None
