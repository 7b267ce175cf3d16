"""Serving the web pages: alone (`wuye web`), or beside the bot (`wuye run --web-listen`)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.i18n.translator import load_translations
from bot.web.app import WebDeps
from bot.web.session import Signer, web_key
from bot.web.site import make_web_app
from handlers.services.context import Context

log = logging.getLogger("wuye.web")


def web_deps(settings: Settings, ctx: Context, engine: Engine) -> WebDeps:
    from concurrent.futures import ThreadPoolExecutor

    sqlite = engine.dialect.name == "sqlite"
    return WebDeps(
        ctx=ctx,
        translations=load_translations(tz=settings.zone),
        signer=Signer(web_key(settings.web_secret, settings.data_dir)),
        data_dir=settings.data_dir,
        bot_token=settings.bot_token,
        api_url=settings.api_url,
        secure=bool(settings.web_url and settings.web_url.startswith("https://")),
        # SQLite takes one writer at a time: one thread queues the pages' work instead of sleeping on the lock
        executor=ThreadPoolExecutor(max_workers=1 if sqlite else 8, thread_name_prefix="wuye-web"),
    )


class WebServer:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None)
        self.host, self.port = host, port

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_web(settings: Settings, listen: str, stop: asyncio.Event) -> None:
    """`wuye web`: the pages alone, until `stop` is set."""
    from bot.wiring import build_app

    app = build_app(settings)
    host, _, port = listen.rpartition(":")
    server = WebServer(make_web_app(web_deps(settings, app.ctx, app.engine)), host, int(port))
    await server.start()
    print(f"wuye: web pages on http://{listen}/ ; Ctrl+C stops", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
