"""A ticket card offers its web page as a Telegram Mini App only where Telegram allows one and the reader
could use it: in a private chat, when the pages have an https address (WUYE_WEB_URL). A group gets no
such button (Telegram refuses them there, and a group is read by people the page would not let in)."""

from __future__ import annotations

from handlers.conversations import cards, notices
from handlers.conversations.audience import audience_for
from handlers.domain.notifications import CardMessage
from handlers.services import tickets
from tests.service.world import LI_REPAIR, World
from tests.support.translations import shared_translations

WEB = "https://wuye.example.org"


def pages(rows: list[list[cards.Button]]) -> list[str]:
    return [b.web_app for row in rows for b in row if b.web_app]


def test_a_private_card_opens_the_tickets_page_and_a_group_card_does_not(world: World) -> None:
    ticket = world.report()
    tr = shared_translations().for_lang("zh_Hans")
    li = world.pid(LI_REPAIR)
    with world.ctx.uow() as uow:
        private = audience_for(uow, LI_REPAIR, li)
        group = audience_for(uow, -1001234567, None)
        assert pages(cards.card_buttons(uow, tr, ticket, private, None, WEB)) == [
            f"{WEB}/app?t={ticket.number}"
        ]
        assert pages(cards.card_buttons(uow, tr, ticket, group, None, WEB)) == []
        assert pages(cards.card_buttons(uow, tr, ticket, private, None, "http://127.0.0.1:8090")) == []
        assert pages(cards.card_buttons(uow, tr, ticket, private, None, None)) == []
        # the button has no callback data: nothing a press could carry
        [button] = [
            b for row in cards.card_buttons(uow, tr, ticket, private, None, WEB) for b in row if b.web_app
        ]
        assert button.data == ""


def test_the_assignees_card_and_its_refresh_carry_it_when_the_pages_are_on_https(world: World) -> None:
    world.ctx.web_url = WEB
    translations = shared_translations()
    ticket = world.report()
    [row] = world.notifications(ticket.id, "ticket.assigned")
    with world.ctx.uow() as uow:
        n = uow.notifications.get(row.id or 0)
        assert n is not None
        card = notices.render(uow, translations.for_lang, n, world.ctx)[0]
        uow.cards.add(CardMessage(ticket.id or 0, n.person_id, LI_REPAIR, 7, world.ctx.clock.now()))
        uow.commit()
    assert pages(card.buttons) == [f"{WEB}/app?t={ticket.number}"]
    tickets.acknowledge(world.ctx, row.person_id, ticket.id or 0)
    [refresh] = world.notifications(ticket.id, "card.refresh")
    with world.ctx.uow() as uow:
        n = uow.notifications.get(refresh.id or 0)
        assert n is not None
        [edit] = notices.render(uow, translations.for_lang, n, world.ctx)
    assert pages(edit.buttons) == [f"{WEB}/app?t={ticket.number}"]  # an edited card keeps it
