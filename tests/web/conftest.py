"""The web pages on the example world (SQLite and PostgreSQL), through aiohttp's own test client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine

from bot.documents.revenue_files import RevenueDocuments
from bot.web.app import WebDeps
from bot.web.page_cache import PageCache, changes_for
from bot.web.session import Signer
from bot.web.site import make_web_app
from handlers.services import web_access
from storage.engine import reading_engine
from tests.service.world import SH, START, World, build_world
from tests.support.botapi import StandInBotAPI
from tests.support.translations import shared_translations

KEY = b"k" * 40
# A token of the right shape for the Mini App's signature (nothing is sent to Telegram in these tests).
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_test"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Browser:
    """One person's browser: a client with its own cookie jar."""

    client: TestClient
    world: World

    async def csrf(self, path: str = "/") -> str:
        page = await self.client.get(path)
        found = _CSRF.search(await page.text())
        assert found, f"no form on {path}"
        return found.group(1)

    async def post(self, path: str, data: dict[str, object], form_on: str = "/") -> tuple[int, str]:
        token = await self.csrf(form_on)
        response = await self.client.post(path, data={"csrf": token, **data})
        return response.status, await response.text()

    async def sign_in_as(self, telegram_id: int) -> int:
        pid = self.world.pid(telegram_id)
        code, _ = web_access.issue_sign_in_code(self.world.ctx, pid)
        status, _ = await self.post("/signin", {"code": code}, form_on="/signin")
        assert status == 200
        return pid


@pytest.fixture
def world(engine: Engine) -> World:
    found = build_world(engine, START)
    found.ctx.documents = RevenueDocuments()
    return found


def web_deps(world: World, data_dir: Path) -> WebDeps:
    """As `wuye web` makes them: on PostgreSQL the session check and the reading pages run on the
    reading engine (so every page test there goes through it); on SQLite there is none. The page cache
    is on, as by default: every page test reads its pages again after what it changed."""
    reader = reading_engine(world.engine)
    return WebDeps(
        ctx=world.ctx,
        translations=shared_translations(tz=SH),
        signer=Signer(KEY),
        data_dir=data_dir,
        bot_token=BOT_TOKEN,
        executor=ThreadPoolExecutor(max_workers=1),
        reader=(world.engine, reader) if reader is not None else None,
        pages=PageCache(changes_for(world.engine), seconds=15),
    )


@pytest.fixture
async def server(world: World, tmp_path: Path) -> AsyncIterator[TestServer]:
    async with TestServer(make_web_app(web_deps(world, tmp_path))) as started:
        yield started


@pytest.fixture
async def browser(server: TestServer, world: World) -> AsyncIterator[Browser]:
    async with TestClient(server) as client:
        yield Browser(client, world)


@pytest.fixture
async def other_browser(server: TestServer, world: World) -> AsyncIterator[Browser]:
    async with TestClient(server) as client:
        yield Browser(client, world)


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    """A started stand-in Bot API server, for the browser tests' `wuye run`."""
    async with StandInBotAPI() as started:
        yield started
