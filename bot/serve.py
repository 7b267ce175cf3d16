"""`wuye run` and `wuye chat`: start a front end on the configured database."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

import httpx
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.console.session import ConsoleSession
from bot.delivery.pace import Pace, RateLimiter
from bot.processes.core_build import build_core
from bot.processes.core_process import CoreProcesses
from bot.processes.heap import settled_heap
from bot.processes.instance import AlreadyRunning, SingleInstance
from bot.telegram.runtime import Runtime
from handlers.clock import ShiftedClock
from handlers.ports import Clock
from storage.engine import brief
from storage.pacing import SharedPace

if TYPE_CHECKING:  # each front end imports its own framework: only the configured one is loaded
    from bot.telegram.front_aiogram import AiogramFrontEnd
    from bot.telegram.front_ptb import PtbFrontEnd
    from bot.web.serve import WebServer


log = logging.getLogger("wuye.serve")


class StartError(Exception):
    """Start-up failed for a reason the operator can fix; the message is one line."""


def make_runtime(settings: Settings, migrate: bool = True, clock: Clock | None = None) -> Runtime:
    built = build_core(settings, migrate=migrate, clock=clock)
    app = built.app
    # Telegram's limits are the bot's: on PostgreSQL, where several instances may serve it, one pace in
    # the database for all of them (storage/pacing.py); on SQLite one process, its own limiter.
    rate, private, group = settings.send_rate, settings.chat_interval, settings.group_seconds
    pace: Pace = (
        SharedPace(app.engine, per_second=rate, private_interval=private, group_interval=group)
        if app.engine.dialect.name == "postgresql"
        else RateLimiter(per_second=rate, private_interval=private, group_interval=group)
    )
    return Runtime(
        app.ctx,
        built.core,
        built.translators,
        engine=app.engine,
        queued=app.queued,
        limiter=pace,
        data_dir=settings.data_dir,
        outbox_lease=timedelta(seconds=settings.outbox_lease),
    )


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (to this process or to a core process), or until ``stop`` is set (an
    embedding program or a test). A signal during start-up stops wuye as soon as it has started."""
    _check_settings(settings)
    guard = SingleInstance(settings.url)
    try:
        guard.check()  # another process on this SQLite file: say so before asking Telegram anything
        await check_token(settings)  # a rejected token: said before the lock file and database exist
        guard.acquire()
    except AlreadyRunning as exc:
        raise StartError(str(exc)) from None
    stop = stop or asyncio.Event()
    with _stopped_by_signals(stop):
        try:
            await _serve(settings, stop)
        finally:
            guard.release()


def _check_settings(settings: Settings) -> None:
    """What makes start-up fail whatever the database and Telegram say: checked before either."""
    if not settings.bot_token:
        raise StartError("WUYE_BOT_TOKEN: missing (get one from @BotFather; see README: running on Telegram)")
    if settings.webhook_url and not settings.webhook_secret:
        raise StartError("WUYE_WEBHOOK_SECRET: required with a webhook, so forged calls are refused")
    count = settings.core_processes
    if count > 1 and make_url(settings.url).get_backend_name() == "sqlite":
        raise StartError(
            f"WUYE_CORE_PROCESSES={count}: SQLite takes one writer, so at most 1 (or use PostgreSQL)"
        )


async def check_token(settings: Settings, timeout: float = 30.0) -> None:
    """Ask the Bot API who the token belongs to (getMe), so that a rejected token is reported before
    anything is created; StartError, one line, when it is rejected or the Bot API cannot be reached."""
    token = settings.bot_token or ""
    base = (settings.api_url or "https://api.telegram.org").rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            answer = await client.get(f"{base}/bot{token}/getMe")
    except httpx.HTTPError as exc:
        said = (str(exc).splitlines() or [""])[0].replace(token, "<token>")
        raise StartError(f"cannot reach the Bot API at {base}: {type(exc).__name__}: {said}") from None
    if answer.status_code in (401, 404):  # Telegram: 401 for a revoked token, 404 for a mangled one
        raise StartError("WUYE_BOT_TOKEN: Telegram rejected this token (revoked or mistyped?)")
    if answer.status_code != 200:
        raise StartError(f"the Bot API at {base} answered getMe with HTTP {answer.status_code}")


@contextlib.contextmanager
def _stopped_by_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`, for the whole run: start-up and shutdown included, so a second one
    (Ctrl+C pressed twice, `systemctl stop` after a Ctrl+C) never interrupts the shutdown midway."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows; not the main thread
            loop.add_signal_handler(sig, _asked_to_stop, stop, sig.name)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _asked_to_stop(stop: asyncio.Event, what: str) -> None:
    if stop.is_set():
        log.debug("%s: already stopping", what)
        return
    log.info("%s: stopping (updates in hand are finished first)", what)
    stop.set()


async def _serve(settings: Settings, stop: asyncio.Event) -> None:
    try:
        runtime = make_runtime(settings)
    except Exception as exc:  # the server does not answer, the disk is full, the file is not a database
        where = make_url(settings.url).render_as_string(hide_password=True)
        raise StartError(f"cannot open the database {where}: {brief(exc)}") from None
    try:
        await _start_processes(settings, runtime, stop)
        await _serve_with(settings, runtime, stop)
    finally:
        await runtime.stop_processes()


async def _start_processes(settings: Settings, runtime: Runtime, stop: asyncio.Event) -> None:
    """The core in its own process(es), unless WUYE_CORE_PROCESSES=0 keeps it on a thread of this one."""
    count = settings.core_processes
    if count == 0:
        return
    processes = CoreProcesses(settings, count, on_signal=functools.partial(_asked_to_stop, stop))
    try:
        await processes.start()
    except Exception as exc:
        raise StartError(f"the core process did not start: {exc}") from None
    runtime.processes = processes


async def _serve_with(settings: Settings, runtime: Runtime, stop: asyncio.Event) -> None:
    front = _front_end(settings, runtime)
    server = None
    if settings.webhook_url:
        assert runtime.engine is not None  # make_runtime gives every runtime its engine
        from urllib.parse import urlparse

        from bot.telegram.webhook import WebhookServer

        host, port = settings.listen_host_port
        path = urlparse(settings.webhook_url).path or "/"
        server = WebhookServer(
            front.feed_raw, settings.webhook_secret or "", path, runtime.engine, host, port
        )
        try:
            await server.start()
        except OSError as exc:
            raise StartError(f"--listen {settings.listen}: {exc.strerror or exc}") from None
    try:
        await front.start(webhook_url=settings.webhook_url, secret=settings.webhook_secret)
    except Exception as exc:
        if server is not None:
            await server.stop()
        raise StartError(_explain_start_failure(settings, exc)) from None
    how = f"by webhook on {settings.listen}" if settings.webhook_url else "by long polling"
    pages = await _start_web(settings, runtime)
    if pages is not None:
        how += f", web pages on {settings.web_listen}"
    print(f"wuye: running as @{front.username} with {settings.framework} {how}; Ctrl+C stops", flush=True)
    try:
        with settled_heap():
            await stop.wait()
    finally:
        if pages is not None:
            await pages.stop()
        runtime.stopping()
        if runtime.processes is not None:  # a core process that exits now is not started again
            runtime.processes.stopping()
        try:
            if server is not None:  # take no more updates first; Telegram redelivers what got no 200
                await server.stop()
        finally:
            await front.stop()


async def _start_web(settings: Settings, runtime: Runtime) -> WebServer | None:
    """The web pages beside the bot (WUYE_WEB_LISTEN), on the bot's database and use cases."""
    if not settings.web_listen:
        return None
    from bot.web.serve import WebServer, web_deps
    from bot.web.site import make_web_app

    assert runtime.engine is not None  # make_runtime gives every runtime its engine
    host, _, port = settings.web_listen.rpartition(":")
    pages = WebServer(make_web_app(web_deps(settings, runtime.ctx, runtime.engine)), host, int(port))
    try:
        await pages.start()
    except OSError as exc:
        raise StartError(f"--web-listen {settings.web_listen}: {exc.strerror or exc}") from None
    return pages


def _front_end(settings: Settings, runtime: Runtime) -> AiogramFrontEnd | PtbFrontEnd:
    if settings.framework == "aiogram":
        from bot.telegram.front_aiogram import AiogramFrontEnd

        return AiogramFrontEnd(runtime, settings.bot_token or "", settings.api_url)
    from bot.telegram.front_ptb import PtbFrontEnd

    return PtbFrontEnd(runtime, settings.bot_token or "", settings.api_url)


def _explain_start_failure(settings: Settings, exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else name
    if (
        name in ("InvalidToken", "TelegramUnauthorizedError", "Unauthorized")
        or "unauthorized" in text.lower()
    ):
        return "WUYE_BOT_TOKEN: Telegram rejected this token (revoked or mistyped?)"
    where = settings.api_url or "https://api.telegram.org"
    return f"cannot reach the Bot API at {where}: {name}: {text}"


async def run_console(
    settings: Settings,
    telegram_id: int,
    name: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: ShiftedClock | None = None,
) -> None:
    """`wuye chat`: one person at a time (bot/console/session.py), on a clock /wait moves on."""
    clock = clock or ShiftedClock()
    session = ConsoleSession(make_runtime(settings, clock=clock), clock, stdout, telegram_id, name)
    await session.begin()
    while True:
        stdout.write(session.prompt)
        stdout.flush()
        line = await _read_line(stdin)
        if not line:
            stdout.write("\n")
            return
        await session.line(line)


async def _read_line(stdin: TextIO) -> str:
    """A line of `stdin`, read on a daemon thread of its own: on Ctrl+C the program ends at once, where
    a read on asyncio's executor would keep it waiting for the thread until Enter is pressed."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(line or "")

    def read() -> None:
        try:
            line, error = stdin.readline(), None
        except Exception as exc:  # a closed or broken input: the loop gets it as the read's outcome
            line, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits for the line
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=read, name="wuye-chat-input", daemon=True).start()
    return await done
