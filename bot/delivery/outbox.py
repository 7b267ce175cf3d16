"""Sends owed notifications within Telegram's limits, and never loses one.

Each notification row is leased (so two dispatchers never send the same one), rendered in its
recipient's language, and sent part by part (a card, then its photos); each delivered part is
committed at once, so a restart resumes after the last part that went out. Telegram's answers decide
what happens next: 429 waits the `retry_after` it gave, 5xx and network errors back off exponentially
with jitter, 403 marks the person unreachable and hands the message to the next person up, and a
request that timed out — it may have been delivered — is counted as uncertain, not blindly resent. A
private message for someone with no Telegram chat (an owner who joined on the web) is kept for their
next visit to the web pages: not sent, and not a failure.

This module delivers; the pace it keeps is bot/delivery/pace.py's, and its transactions on the rows
(claiming, recording, giving up or passing up) are bot/delivery/outbox_rows.py's.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.delivery.outage import Postponements
from bot.delivery.outbox_rows import LEASE, OutboxRows
from bot.delivery.pace import Pace, RateLimiter
from bot.delivery.sending import Deliver, DeliveryError, Failure
from handlers.conversations.io import Edit, Send
from handlers.domain.notifications import Notification, Outcome
from handlers.ports import Translator
from handlers.services.context import Context
from handlers.text import Lang

log = logging.getLogger("wuye.outbox")

# Charts are drawn one at a time, off the event loop.
_DRAWING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wuye-chart")
# A part's chart to a PNG; by default the context's document tools draw it (bot/documents/rates_chart.py)
Draw = Callable[[object], Awaitable[bytes]]
# Where database work runs: a thread, so the event loop never waits on the database (on SQLite the
# runtime passes its single database thread, so writers queue instead of sleeping on the file lock).
RunDb = Callable[..., Awaitable[Any]]


class Queued:
    """Ticks when a unit of work commits new notifications (called on the committing thread). The
    runtime wakes the outbox after a turn only when it has ticked since the last wake: most updates
    queue nothing, and looking for due notifications after each of them cost a transaction each."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self.last = 0

    def __call__(self) -> None:
        self.last = next(self._ticks)  # atomic in CPython: concurrent commits each move it on


@dataclass
class OutboxStats:
    sent: int = 0
    uncertain: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    kept_for_web: int = 0  # for people with no Telegram chat: shown on their next visit to the web pages
    # seconds from Telegram's "ok" for a part to its record being committed: the window in which a kill
    # makes the message go out again after a restart (the latest few thousand)
    recorded_after: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


@dataclass
class Outbox:
    ctx: Context
    translators: Callable[[Lang], Translator]
    deliver: Deliver
    batch: int = 200
    concurrency: int = 32
    limiter: Pace = field(default_factory=RateLimiter)
    lease: timedelta = LEASE  # how long a claim holds a notification; renewed before each of its messages
    stats: OutboxStats = field(default_factory=OutboxStats)
    run_db: RunDb = asyncio.to_thread
    # Where a delivered part is recorded: right where Telegram's "ok" arrives, on a thread of this
    # process kept for it (not behind a core process's turns or the database thread's queue), so the
    # window in which a kill doubles a message stays short. None: run_db.
    record_db: RunDb | None = None
    # notification id -> our lease's end. Kept here, beside the delivering, not in the rows'
    # transactions: those may run in a core process, and a core process that dies and is replaced must
    # not take the knowledge of which leases are ours with it.
    _leases: dict[int, datetime] = field(default_factory=dict)
    _outage: Postponements = field(default_factory=lambda: Postponements("sending"))
    # Set when wuye stops: no further part is sent, the parts on their way are answered and recorded
    # (a send cut off after Telegram took it would be sent again after the restart)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Deliver only these people's private messages (their Person ids); None: everyone's. `wuye chat`
    # delivers to the person it plays; the others' messages wait in the outbox until it plays them.
    person_ids: set[int] | None = None
    # Draws a part's chart (Send.chart) before it is sent; None: bot/documents/rates_chart.py's, on a
    # thread of its own, so the outbox's other chats go on meanwhile
    draw: Draw | None = None
    # The transactions on the notification rows (claim, lease, record, give up), run through run_db
    rows: OutboxRows = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rows = OutboxRows(self.ctx, self.translators, self.lease)

    async def drain(self) -> int:
        """Deliver everything due now: a chat's messages one after another in order, chats side by side,
        and the next claim taken while the last is still going out, so the pace never waits for a
        batch's last chats. Returns how many notifications were finished."""
        finished = 0
        queues: dict[int, deque[Notification]] = {}
        workers: set[asyncio.Task[None]] = set()
        gate = asyncio.Semaphore(self.concurrency)
        exhausted = False

        async def one_chat(key: int) -> None:
            nonlocal finished
            queue = queues[key]
            async with gate:
                while queue and not self.stopping.is_set():
                    item = queue.popleft()
                    if await self._deliver(item.id or 0):
                        finished += 1
                        continue
                    if self.stopping.is_set():
                        break
                    # Not now (a 429, a server error): the chat's other messages wait as long, in order,
                    # and are let go at once, not after their lease ran out.
                    rest = {
                        n.id: held
                        for n in queue
                        if n.id is not None and (held := self._leases.pop(n.id, None))
                    }
                    queue.clear()
                    if rest:
                        await self.run_db(self.rows.hold_back, item.id or 0, rest)
                del queues[key]

        try:
            while True:
                exhausted = exhausted or self.stopping.is_set()
                if not exhausted and sum(len(q) for q in queues.values()) < max(1, self.batch // 2):
                    # a token of its own, so that the claim sent again (its core process died) is known
                    token = uuid.uuid4().hex
                    claimed = await self.run_db(self.rows.claim, self.batch, self.person_ids, token)
                    exhausted = not claimed
                    for n in claimed:
                        if n.id is not None and n.claimed_until is not None:
                            self._leases[n.id] = n.claimed_until
                        key = self._chat_key(n)
                        if key in queues:
                            queues[key].append(n)  # behind that chat's messages still going out
                        else:
                            queues[key] = deque([n])
                            workers.add(asyncio.create_task(one_chat(key)))
                if not workers:
                    return finished
                done, _ = await asyncio.wait(
                    workers, timeout=None if exhausted else 0.2, return_when=asyncio.FIRST_COMPLETED
                )
                workers -= done
                for task in done:
                    task.result()
        finally:
            # Stopped or failed part-way (the core processes stopping, the database gone): the other
            # chats' deliveries end here too, and their outcome is not left unread.
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def held(self) -> dict[int, datetime]:
        """The notifications this dispatcher holds a lease on and has not finished, with the lease."""
        return dict(self._leases)

    @staticmethod
    def _chat_key(n: Notification) -> int:
        return n.chat_id or n.person_id

    async def _deliver(self, notification_id: int) -> bool:
        """Send what is left of one notification; True when it is finished (either way)."""
        n, parts, renewed = await self.run_db(
            self.rows.load, notification_id, self._leases.get(notification_id)
        )
        if renewed is not None:
            self._leases[notification_id] = renewed
        if n is None:
            return True
        if n.outcome == Outcome.WEB:
            self._leases.pop(notification_id, None)
            self.stats.kept_for_web += 1
            return True
        if parts is None:
            log.warning("notification %s: lease lost to another dispatcher; leaving it to them", n.id)
            return False
        if not parts:
            gone = "nothing to send (recipient or ticket gone)"
            await self.run_db(self.rows.finish, notification_id, Outcome.FAILED, gone)
            return True
        uncertain = False
        record = self.record_db or self.run_db
        for index in range(n.parts_sent, len(parts)):
            try:
                part = await self._drawn(parts[index])
            except Exception as exc:  # a chart that cannot be drawn is not tried forever
                log.exception("notification %s: could not draw its chart", n.id)
                await self.run_db(self.rows.finish, notification_id, Outcome.FAILED, f"could not draw: {exc}")
                self._leases.pop(notification_id, None)
                self.stats.failed += 1
                return True
            await self.limiter.wait(part.chat_id)
            if self.stopping.is_set():
                return False  # the rest of it after the restart, from this part on
            try:
                message_id = await self.deliver(part)
            except DeliveryError as exc:
                if exc.kind == Failure.UNCERTAIN:  # it may have arrived: count it, do not send it twice
                    self.stats.uncertain += 1
                    uncertain = True
                    await record(self.rows.progress, n, index, part, None, str(exc))
                    continue
                finished, counted = await self.run_db(
                    self.rows.failure, notification_id, exc, self._leases.get(notification_id)
                )
                self._leases.pop(notification_id, None)  # let go of (or lost to another dispatcher)
                if counted:
                    setattr(self.stats, counted, getattr(self.stats, counted) + 1)
                if counted == "rate_limited":
                    self.limiter.pause(exc.retry_after)
                return bool(finished)
            ok_at = time.monotonic()
            await record(self.rows.progress, n, index, part, message_id)
            self.stats.recorded_after.append(time.monotonic() - ok_at)
        await record(self.rows.finish, notification_id, Outcome.UNCERTAIN if uncertain else Outcome.SENT)
        self._leases.pop(notification_id, None)
        self.stats.sent += 1
        return True

    async def _drawn(self, part: Send | Edit) -> Send | Edit:
        """The part with its chart drawn into the picture it is sent as."""
        if not isinstance(part, Send) or part.chart is None:
            return part
        if self.draw is None:
            self.draw = self._draw_with_documents
        return replace(part, chart=None, image=await self.draw(part.chart))

    async def _draw_with_documents(self, spec: object) -> bytes:
        """The chart drawn by the context's document tools (matplotlib, bot/documents), on a thread of
        its own: the event loop and the outbox's other chats go on meanwhile."""
        documents = self.ctx.documents
        if documents is None:
            raise RuntimeError("no document tools to draw a chart with")
        return await asyncio.get_running_loop().run_in_executor(_DRAWING, documents.rates_chart, spec)

    async def run_forever(self, wake: asyncio.Event, idle: float = 2.0) -> None:
        """Drain whenever woken (after each update or sweep) or every `idle` seconds, until stopping."""
        while not self.stopping.is_set():
            try:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that arrives as the wake-up
                # does, and the task never stops (seen as `wuye run` hanging on shutdown).
                async with asyncio.timeout(idle):
                    await wake.wait()
            except TimeoutError:
                pass
            wake.clear()
            try:
                await self._outage.guard(self.drain())
            except Exception:  # one bad round must not stop delivery for good
                log.exception("outbox round failed")
