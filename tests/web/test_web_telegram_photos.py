"""Photos reported in Telegram on the web ticket page: fetched once through the Bot API (getFile, then the
file; here the stand-in Bot API), kept under the data folder as a re-encoded JPEG, shown to whoever the
chat would show them to and to nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.site import make_web_app
from tests.service.world import SMITH_OWNER, ZHANG_OWNER, World
from tests.support.botapi import StandInBotAPI
from tests.web.conftest import Browser, web_deps
from tests.web.test_web_pages import png


@pytest.fixture
async def telegram_browser(world: World, tmp_path: Path, botapi: StandInBotAPI) -> AsyncIterator[Browser]:
    deps = replace(web_deps(world, tmp_path), bot_token=botapi.token, api_url=botapi.url)
    async with TestServer(make_web_app(deps)) as server, TestClient(server) as client:
        yield Browser(client, world)


async def test_a_photo_sent_on_telegram_is_fetched_once_kept_and_shown_on_the_page(
    telegram_browser: Browser, world: World, botapi: StandInBotAPI, tmp_path: Path
) -> None:
    sent = botapi.world.store_file(png((64, 48)), "photo")
    ticket = world.report(photos=[(sent.file_id, sent.file_unique_id)])
    await telegram_browser.sign_in_as(ZHANG_OWNER)
    page = await (await telegram_browser.client.get(f"/t/{ticket.number}")).text()
    assert f'src="/t/{ticket.number}/photo/0"' in page
    for _ in range(2):
        shown = await telegram_browser.client.get(f"/t/{ticket.number}/photo/0")
        assert shown.status == 200 and shown.content_type == "image/jpeg"
        assert (await shown.read())[:3] == b"\xff\xd8\xff"  # re-encoded as a JPEG
    assert len(botapi.calls_to("getFile")) == 1  # fetched once, then the kept copy
    assert (tmp_path / "photos" / f"tg-{sent.file_unique_id}.jpg").is_file()

    await telegram_browser.sign_in_as(SMITH_OWNER)  # another estate's owner
    refused = await telegram_browser.client.get(f"/t/{ticket.number}/photo/0")
    assert refused.status == 404 and refused.content_type == "text/html"


async def test_a_photo_telegram_cannot_give_is_refused_with_a_page_and_nothing_is_kept(
    telegram_browser: Browser, world: World, tmp_path: Path
) -> None:
    ticket = world.report(photos=[("AgACAgIAAxkBAAIBgone", "AQADgone")])
    await telegram_browser.sign_in_as(ZHANG_OWNER)
    refused = await telegram_browser.client.get(f"/t/{ticket.number}/photo/0")
    assert refused.status == 400 and "Telegram" in await refused.text()
    assert not (tmp_path / "photos" / "tg-AQADgone.jpg").exists()
