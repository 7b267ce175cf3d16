"""What every front end shares: per-chat ordering, the core off the event loop, the outbox loop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.delivery.outbox import Outbox, Queued
from bot.delivery.outbox_rows import LEASE
from bot.delivery.pace import Pace, RateLimiter
from bot.delivery.scheduler import LadderScheduler
from bot.delivery.sending import Deliver, DeliveryError, Failure
from bot.documents.sheet_worker import SheetReader, looks_like_spreadsheet
from bot.processes.core_process import CoreProcesses, TurnFailed, retry_pause
from bot.telegram.webhook import answer_params, reply_by_webhook
from bot.web.photos import with_local_photos
from handlers.conversations.core import Core
from handlers.conversations.io import Answer, Edit, Incoming, Output, Send, SetMenu
from handlers.ports import Translator
from handlers.services.context import Context
from handlers.services.revenue_import import SheetRead
from handlers.text import Lang
from storage.engine import brief, try_later

log = logging.getLogger("wuye.runtime")
TURN_PATIENCE = 15 * 60.0  # seconds a turn is tried again while the database is out of reach

Perform = Callable[[list[Output]], Awaitable[None]]
ReadSheet = Callable[[bytes, str | None], Awaitable[SheetRead]]


OUTBOX_PATIENCE = 10.0  # seconds a stop waits for the sends on their way to be answered and recorded
REPLY_TRIES = 6  # a reply waits out this many 429s or server errors before it is given up (and logged)


async def perform_outputs(
    outputs: list[Output],
    *,
    deliver: Deliver,
    answer: Callable[[Answer], Awaitable[object]],
    set_menu: Callable[[SetMenu], Awaitable[object]],
    refused: tuple[type[Exception], ...],
    pace: Pace | None = None,
) -> None:
    """What every Telegram front end does with a turn's outputs, in order. A press's answer rides on the
    webhook reply when there is one; an edit Telegram refuses (the message deleted, or too old) is sent
    as a new message, so the words still arrive; any other refusal (`refused`: the framework's errors)
    is logged and the rest go on. A reply waits out a 429's retry_after (and tells `pace`, so the
    outbox holds back too) or a server error, in the chat's order: someone in the middle of a report
    gets the next question however busy the bot is. Replies are not paced ahead of time: Telegram's
    thirty a second is for messages sent in bulk, and pacing every answer to it capped a busy bot at
    25 updates a second (measured with bench/throughput.py)."""
    logged: tuple[type[Exception], ...] = (DeliveryError, *refused)
    for output in outputs:
        try:
            if isinstance(output, Answer):
                if not reply_by_webhook("answerCallbackQuery", answer_params(output)):
                    await answer(output)
            elif isinstance(output, SetMenu):
                await set_menu(output)
            elif isinstance(output, Edit):
                try:
                    await _persist(deliver, output, pace)
                except DeliveryError as exc:
                    if exc.kind != Failure.BAD_REQUEST:
                        raise
                    log.info("could not edit message %s (%s); sending it anew", output.message_id, exc)
                    await _persist(deliver, Send(output.chat_id, output.text, output.buttons), pace)
            else:
                await _persist(deliver, output, pace)
        except logged as exc:
            log.warning("could not perform %s: %s", type(output).__name__, exc)


async def _persist(deliver: Deliver, part: Send | Edit, pace: Pace | None) -> int | None:
    """Send one reply, waiting out what Telegram asks (429) or a server's trouble, a few times."""
    for attempt in itertools.count():
        try:
            return await deliver(part)
        except DeliveryError as exc:
            if exc.kind not in (Failure.RETRY_AFTER, Failure.TRANSIENT) or attempt + 1 >= REPLY_TRIES:
                raise
            if exc.kind == Failure.RETRY_AFTER:
                wait = exc.retry_after
                if pace is not None:
                    pace.pause(wait)
            else:
                wait = min(10.0, 0.5 * 2.0**attempt) * random.uniform(0.5, 1.0)
            log.info("reply to chat %s: %s; sending it again in %.1f s", part.chat_id, exc.kind, wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: every try returns or raises")


@dataclass
class Runtime:
    ctx: Context
    core: Core
    translators: Callable[[Lang], Translator]
    engine: Engine | None = None  # for the webhook's health check
    queued: Queued | None = None  # None: wake the outbox after every update
    processes: CoreProcesses | None = None  # the core in child processes; None: on the database thread
    # Reads an uploaded spreadsheet before its turn, in a child process; None: the core reads it itself.
    read_sheet: ReadSheet | None = field(default_factory=lambda: SheetReader().read)
    # Where photos uploaded on the web are kept (bot/web/photos.py), for the outbox to send; None: none.
    data_dir: Path | None = None
    _locks: defaultdict[int, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    _holders: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _outbox_task: asyncio.Task[None] | None = None
    _ladder: LadderScheduler | None = None
    _db: ThreadPoolExecutor | None = None
    _woken_for: int = 0  # the `queued` tick the outbox was last woken for
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)  # ends the pauses between tries
    # Telegram's limits, one pace for the process: the outbox's messages and the replies alike
    limiter: Pace = field(default_factory=RateLimiter)
    outbox_lease: timedelta = LEASE  # how long the outbox holds a notification it claimed
    _recorder: ThreadPoolExecutor | None = None
    _outbox: Outbox | None = None

    def __post_init__(self) -> None:
        # SQLite has one writer at a time, and a thread that finds the file locked sleeps and retries:
        # with one database thread the turns, the outbox and the sweep queue up instead. PostgreSQL
        # takes concurrent transactions, so it gets a pool.
        sqlite = self.engine is not None and self.engine.dialect.name == "sqlite"
        self._db = ThreadPoolExecutor(max_workers=1 if sqlite else 8, thread_name_prefix="wuye-db")

    async def run_db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking database work off the event loop: in the core process when there is one, else on
        the runtime's database thread(s)."""
        if self.processes is not None:
            return await self.processes.call(fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._db, functools.partial(fn, *args))

    async def handle(self, inc: Incoming, perform: Perform) -> None:
        """Handle one update: updates of one chat one at a time, in order; other chats meanwhile."""
        chat = inc.chat_id
        self._holders[chat] += 1
        try:
            async with self._locks[chat]:
                if self.read_sheet is not None and looks_like_spreadsheet(inc):
                    inc = await self._read_ahead(inc, self.read_sheet)
                outputs = await self._turn(inc)
                if outputs is not None:
                    await perform(outputs)
        finally:
            self._holders[chat] -= 1
            if self._holders[chat] == 0:  # nobody waiting: forget the lock, so idle chats cost nothing
                del self._holders[chat], self._locks[chat]
            # After the turn's own answers: what it queued follows them. The ladder wakes the outbox
            # itself, and the outbox looks every couple of seconds anyway (other processes queue too).
            tick = self._queued_tick()
            if tick is None or tick != self._woken_for:
                self._woken_for = tick or 0
                self._wake.set()

    async def _read_ahead(self, inc: Incoming, read: ReadSheet) -> Incoming:
        """A spreadsheet is downloaded and read here, bounded, in a child process
        (bot/documents/sheet_worker.py), while this chat's later updates wait and every other chat's turns go
        on; the core gets the rows, or why not, with the update. A file read in the core would hold up every
        chat behind it."""
        assert inc.fetch is not None
        try:
            data = await asyncio.to_thread(inc.fetch)
        except Exception as exc:
            log.warning("could not download a document from chat %s: %s", inc.chat_id, exc)
            return inc  # the flow tries again itself, and says so when it cannot
        try:
            return replace(inc, sheet=await read(data, inc.file_name))
        except Exception:
            log.exception("could not read a document from chat %s in a child process", inc.chat_id)
            return inc

    async def _turn(self, inc: Incoming) -> list[Output] | None:
        """The core's outputs for `inc`; None when it failed. While the database is out of reach (a
        restart, the network) the turn is tried again, the chat's later updates waiting behind it, for
        up to `TURN_PATIENCE`: the update is neither lost nor handled twice (the core marks an update
        only once it is handled, and ignores one it has). A turn that failed after its flow began
        (`TurnBroken`) is not retried: part of it may be done."""
        loop, chat = asyncio.get_running_loop(), inc.chat_id
        deadline = loop.time() + TURN_PATIENCE
        for attempt in itertools.count():
            try:
                if self.processes is not None:
                    return await self.processes.handle(inc)
                return list(await self.run_db(self.core.handle, inc))
            except Exception as exc:
                cause = exc.__cause__ if isinstance(exc, TurnFailed) and exc.__cause__ else exc
                if not try_later(cause):
                    if isinstance(exc, TurnFailed):  # logged with its traceback in the core process
                        log.error("update from chat %s failed in the core process: %s", chat, exc)
                    else:
                        log.exception("update from chat %s failed", chat)
                    return None
                if loop.time() >= deadline or self._stopping.is_set():
                    log.error("update from chat %s not handled: %s", chat, brief(cause))
                    return None
                pause = retry_pause(attempt)
                log.warning("update from chat %s: %s; trying again in %.0f s", chat, brief(cause), pause)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await self._stopping.wait()  # a pause that ends early when wuye stops
                if self._stopping.is_set():
                    log.warning("update from chat %s not handled: stopping", chat)
                    return None
        raise AssertionError("unreachable: every try returns")

    def _queued_tick(self) -> int | None:
        """Moves whenever a commit here or in a core process queued notifications; None: not known."""
        if self.queued is None:
            return None
        return self.queued.last + (self.processes.tick if self.processes is not None else 0)

    def start_outbox(self, deliver: Deliver, idle: float = 2.0) -> Outbox:
        if self.engine is not None and self.engine.dialect.name == "sqlite":
            # One process per SQLite file (bot/processes/instance.py): a lease found now was left by a process
            # that died; waiting for it to expire would hold its messages back for minutes.
            with self.ctx.uow() as uow:
                if released := uow.notifications.release_leases():
                    log.info("released %d notification leases left by a stopped process", released)
                uow.commit()
        # A delivered part is recorded on a thread of this process kept for it, right where Telegram's
        # "ok" arrives: not behind a core process's turns nor the database thread's queue.
        self._recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wuye-record")
        if self.data_dir is not None:
            deliver = with_local_photos(deliver, self.data_dir)
        deliver = self._after_turns(deliver)
        outbox = Outbox(
            self.ctx,
            self.translators,
            deliver,
            run_db=self.run_db,
            record_db=self._record,
            limiter=self.limiter,
            lease=self.outbox_lease,
        )
        self._outbox = outbox
        self._outbox_task = asyncio.create_task(outbox.run_forever(self._wake, idle), name="wuye-outbox")
        self._wake.set()  # drain whatever was left from before a restart
        return outbox

    def _after_turns(self, deliver: Deliver) -> Deliver:
        """The outbox's deliver, waiting for the turn in hand in the chat it sends to: what a turn queued
        for its own chat (the /stats chart after the figures) follows the turn's answers, even when the
        outbox claimed it before those went out."""

        async def send(part: Send | Edit) -> int | None:
            await self.turn_done(part.chat_id)
            return await deliver(part)

        return send

    async def turn_done(self, chat: int) -> None:
        """Return once the chat's turns begun so far (in this process) have performed their outputs."""
        if chat not in self._locks:
            return
        self._holders[chat] += 1
        try:
            async with self._locks[chat]:
                pass
        finally:
            self._holders[chat] -= 1
            if self._holders[chat] == 0:
                del self._holders[chat], self._locks[chat]

    async def _record(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._recorder, functools.partial(fn, *args))

    def start_ladder(self, every_seconds: float = 5.0) -> LadderScheduler:
        """Sweep for due reminders and escalations; what it queues is sent by the outbox at once."""
        self._ladder = LadderScheduler(self.ctx, self._wake.set, every_seconds, run_db=self.run_db)
        self._ladder.start()
        return self._ladder

    def stopping(self) -> None:
        """Shutdown begins: turns waiting to be tried again give up (the webhook's are redelivered by
        Telegram; by polling they were taken already, as any update in hand at a stop)."""
        self._stopping.set()

    async def stop_processes(self) -> None:
        """Stop the core's processes (after the front end stopped taking updates)."""
        self._stopping.set()
        if self.processes is not None:
            await self.processes.stop()
            self.processes = None

    async def stop_background(self) -> None:
        if self._ladder is not None:
            self._ladder.stop()
            self._ladder = None
        if self._outbox_task is not None and self._outbox is not None:
            # No new part is sent; those on their way get their answer and are recorded (cut off after
            # Telegram took them, they would go out again after the restart), for a few seconds at most.
            self._outbox.stopping.set()
            self._wake.set()
            done, _ = await asyncio.wait({self._outbox_task}, timeout=OUTBOX_PATIENCE)
            if not done:
                self._outbox_task.cancel()
            try:
                await self._outbox_task
            except asyncio.CancelledError:
                pass
            try:
                if held := self._outbox.held():
                    let_go = await self.run_db(self._outbox.rows.release, held)
                    log.info("let go of %d claimed notifications; they go at the next start", let_go)
            except Exception as exc:  # the core processes or the database already gone: the leases expire
                log.info("could not let go of claimed notifications (%s); they wait for their lease", exc)
            self._outbox_task = None
            self._outbox = None
        if self._recorder is not None:
            self._recorder.shutdown(wait=True)  # a part delivered is recorded before wuye stops
            self._recorder = None
