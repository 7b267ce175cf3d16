"""Owners without Telegram are told on the web: the messages the chat would have brought them are kept by
the outbox (not sent, not failed) and shown on their next visit, once, drawn in the page's language."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.delivery.outbox import Outbox
from bot.delivery.pace import console_pace
from handlers.conversations.io import Edit, Send
from handlers.rules.lifecycle import Status
from handlers.services import tickets
from storage.tables import NotificationRow, PersonRow, TicketRow
from tests.service.world import World
from tests.support.translations import shared_translations
from tests.web.conftest import Browser

HAIBIN_CODE = "EHB7QK4M9W"


def outbox(world: World, sent: list[Send | Edit]) -> Outbox:
    async def deliver(part: Send | Edit) -> int:
        sent.append(part)
        return len(sent)

    return Outbox(world.ctx, shared_translations().for_lang, deliver, limiter=console_pace())


async def test_a_web_only_owner_is_told_on_the_next_visit_and_nothing_counts_as_failed(
    browser: Browser, world: World
) -> None:
    status, _ = await browser.post(
        "/join", {"code": HAIBIN_CODE, "unit": "7栋1单元302", "name": "林女士"}, form_on="/join"
    )
    assert status == 200
    token = await browser.csrf("/report")
    form = {"csrf": token, "category": "lift", "urgency": "ordinary", "privacy": "government"}
    response = await browser.client.post("/report", data={**form, "description": "7栋电梯门关不上，一直响"})
    assert response.status == 200
    with Session(world.engine) as session:
        row = session.exec(select(TicketRow)).one()
        owner = session.exec(select(PersonRow).where(PersonRow.display_name == "林女士")).one()
    assert owner.telegram_id is None
    assert "没有新消息" in await (await browser.client.get("/")).text()

    world.clock.advance(timedelta(minutes=5))
    tickets.acknowledge(world.ctx, row.assignee_id or 0, row.id or 0)
    world.clock.advance(timedelta(minutes=5))
    tickets.ask_owner(world.ctx, row.assignee_id or 0, row.id or 0, "请问是哪一部电梯？")
    sent: list[Send | Edit] = []
    box = outbox(world, sent)
    await box.drain()
    with Session(world.engine) as session:
        mine = session.exec(select(NotificationRow).where(NotificationRow.person_id == owner.id)).all()
        staff = session.exec(select(NotificationRow).where(NotificationRow.person_id != owner.id)).all()
        person = session.get(PersonRow, owner.id)
    assert {n.kind for n in mine} >= {"ticket.acknowledged", "ticket.question"}
    assert all(n.outcome == "web" and n.failed_at is None for n in mine)  # kept, not failed
    assert box.stats.failed == 0 and box.stats.kept_for_web == len(mine)
    assert person is not None and not person.unreachable  # not taken for someone who blocked the bot
    assert all(n.outcome == "sent" for n in staff) and sent  # the staff's own went out as ever

    page = await (await browser.client.get("/", headers={"Accept-Language": "en"})).text()
    assert "请问是哪一部电梯？" in page and f'href="/t/{row.number}"' in page
    assert f"您的报事 {row.number} 已由物业签收" in page  # the chat's words, in the owner's language
    assert "没有新消息" in await (await browser.client.get("/")).text()  # told once
    assert world.ticket(row.id or 0).status is Status.WAITING_OWNER
