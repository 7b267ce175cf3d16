"""A ticket card's Mini App button opens the ticket's page: the page Telegram opens signs the person in
from initData (checked on the server) and goes on to that ticket; nothing but a ticket number is taken
from the address, so the page sends nobody elsewhere."""

from __future__ import annotations

import re

from tests.service.world import ZHANG_OWNER, World
from tests.web.conftest import BOT_TOKEN, Browser
from tests.web.test_web_pages import init_data


async def test_the_mini_app_opened_from_a_card_signs_in_and_goes_on_to_the_tickets_page(
    browser: Browser, world: World
) -> None:
    ticket = world.report()
    page = await (await browser.client.get(f"/app?t={ticket.number}")).text()
    assert f'name="next" value="/t/{ticket.number}"' in page
    now = int(world.ctx.clock.now().timestamp())
    token = await browser.csrf(f"/app?t={ticket.number}")
    response = await browser.client.post(
        "/app/auth",
        data={
            "csrf": token,
            "init_data": init_data(BOT_TOKEN, ZHANG_OWNER, now),
            "next": f"/t/{ticket.number}",
        },
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == f"/t/{ticket.number}"
    shown = await (await browser.client.get(response.headers["Location"])).text()
    assert ticket.number in shown and "3栋电梯门关不上" in shown


async def test_the_mini_app_sends_nobody_to_another_address(browser: Browser, world: World) -> None:
    for asked in ("//evil.example/x", "https://evil.example", "../../signout", "<script>"):
        page = await (await browser.client.get("/app", params={"t": asked})).text()
        assert re.search(r'name="next" value="/"', page), asked
    now = int(world.ctx.clock.now().timestamp())
    token = await browser.csrf("/app")
    response = await browser.client.post(
        "/app/auth",
        data={"csrf": token, "init_data": init_data(BOT_TOKEN, ZHANG_OWNER, now), "next": "//evil.example"},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/"
