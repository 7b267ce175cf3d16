"""Serving the web pages: alone (`wuye web`, in one process or several on one port), or beside the bot
(`wuye run --web-listen`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.i18n.translator import load_translations
from bot.web.app import WebDeps
from bot.web.page_cache import PageCache, changes_for
from bot.web.session import Signer, web_key
from bot.web.site import make_web_app
from handlers.services.context import Context
from storage.engine import reading_engine

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
        reader=_reader(engine),
        pages=PageCache(changes_for(engine), settings.web_cache_seconds)
        if settings.web_cache_seconds
        else None,
    )


def _reader(engine: Engine) -> tuple[Engine, Engine] | None:
    found = reading_engine(engine)
    return (engine, found) if found is not None else None


def default_workers(database_url: str) -> int:
    """Processes for `wuye web` when --workers is not given: one per CPU on PostgreSQL (a page is mostly
    Python, and one process runs Python on one CPU at a time), at most four; one on SQLite, whose file
    takes one writer at a time."""
    if database_url.startswith("sqlite"):
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


class WebServer:
    def __init__(self, app: web.Application, host: str, port: int, reuse_port: bool = False) -> None:
        self.runner = web.AppRunner(app, access_log=None)
        self.host, self.port, self.reuse_port = host, port, reuse_port

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, reuse_port=self.reuse_port or None)
        await site.start()

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_web(settings: Settings, listen: str, stop: asyncio.Event, workers: int = 1) -> None:
    """`wuye web`: the pages alone, until `stop` is set (or SIGTERM). With `workers` > 1, as many
    processes share the port (SO_REUSEPORT: the kernel spreads the connections over them); this one is
    the first, the others are started here and stopped with it."""
    from bot.wiring import build_app

    app = build_app(settings)  # migrates, once, before any worker starts
    host, _, port = listen.rpartition(":")
    shared = workers > 1
    server = WebServer(make_web_app(web_deps(settings, app.ctx, app.engine)), host, int(port), shared)
    await server.start()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows, nor off the main thread
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    others = [_start_worker(settings, listen) for _ in range(workers - 1)]
    many = f" in {workers} processes" if shared else ""
    print(f"wuye: web pages on http://{listen}/{many} ; Ctrl+C stops", flush=True)
    try:
        await stop.wait()
    finally:
        for process in others:
            process.terminate()
        for process in others:
            await asyncio.to_thread(process.join, 10)
        await server.stop()


def _start_worker(settings: Settings, listen: str) -> BaseProcess:
    # spawn, not fork: a fresh interpreter without the parent's threads, engine and event loop
    process = multiprocessing.get_context("spawn").Process(
        target=_worker, args=(settings, listen, os.getpid()), name="wuye-web-worker", daemon=True
    )
    process.start()
    return process


def _worker(settings: Settings, listen: str, parent: int) -> None:
    """One more process serving the same port, until SIGTERM or until its parent is gone."""
    asyncio.run(_serve_worker(settings, listen, parent))


async def _serve_worker(settings: Settings, listen: str, parent: int) -> None:
    from bot.wiring import build_app

    app = build_app(settings, migrate=False)
    host, _, port = listen.rpartition(":")
    server = WebServer(make_web_app(web_deps(settings, app.ctx, app.engine)), host, int(port), True)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)  # Ctrl+C reaches the whole group: the parent stops us
    try:
        while not stop.is_set() and os.getppid() == parent:  # a parent killed outright leaves no orphan
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        await server.stop()
        app.engine.dispose()
