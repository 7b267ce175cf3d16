"""Sends owed notifications within Telegram's limits, and never loses one.

Each notification row is leased (so two dispatchers never send the same one), rendered in its
recipient's language, and sent part by part (a card, then its photos); each delivered part is
committed at once, so a restart resumes after the last part that went out. Telegram's answers decide
what happens next: 429 waits the `retry_after` it gave, 5xx and network errors back off exponentially
with jitter, 403 marks the person unreachable and hands the message to the next person up, and a
request that timed out — it may have been delivered — is counted as uncertain, not blindly resent. A
private message for someone with no Telegram chat (an owner who joined on the web) is kept for their
next visit to the web pages: not sent, and not a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.delivery.outage import Postponements
from handlers.conversations import notices
from handlers.conversations.io import Edit, Send
from handlers.domain.notifications import CardMessage, Notification, Outcome
from handlers.ports import Translator, UnitOfWork
from handlers.services.context import Context
from handlers.services.notify import keep_for_web, recipient_blocked
from handlers.text import Lang

log = logging.getLogger("wuye.outbox")

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=2)
BACKOFF_CAP = 300.0


class Failure(StrEnum):
    """Why a send failed, which says what to do about it."""

    BLOCKED = "blocked"  # the recipient blocked the bot: someone stands in (handlers.services.notify)
    RETRY_AFTER = "retry_after"  # Telegram's flood control: wait as long as it says
    TRANSIENT = "transient"  # the network or Telegram faltered: try again
    BAD_REQUEST = "bad_request"  # Telegram refused it: sending it again would not help
    UNCERTAIN = "uncertain"  # timed out after sending: it may have arrived, so it is not sent twice


class DeliveryError(Exception):
    """A send that failed; `kind` says what to do about it."""

    def __init__(self, kind: Failure, detail: str = "", retry_after: float = 0.0) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[DeliveryError], tuple[Failure, str, float]]:
        return DeliveryError, (self.kind, self.detail, self.retry_after)  # to a core process and back


Deliver = Callable[[Send | Edit], Awaitable[int | None]]
# Charts are drawn one at a time, off the event loop.
_DRAWING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wuye-chart")
# A part's chart to a PNG; by default the context's document tools draw it (bot/documents/rates_chart.py)
Draw = Callable[[object], Awaitable[bytes]]
# Where database work runs: a thread, so the event loop never waits on the database (on SQLite the
# runtime passes its single database thread, so writers queue instead of sleeping on the file lock).
RunDb = Callable[..., Awaitable[Any]]
# a notification, the parts of it to send and our renewed lease on it (see Outbox._load)
Loaded = tuple[Notification | None, list[Send | Edit] | None, datetime | None]


class Pace(Protocol):
    """Telegram's limits as a pace to keep: RateLimiter in one process, storage/pacing.py's SharedPace
    for several instances on one PostgreSQL database."""

    async def wait(self, chat_id: int) -> None: ...
    def pause(self, seconds: float) -> None: ...


class RateLimiter:
    """Telegram's limits: about 30 messages a second overall, one a second per private chat and
    twenty a minute per group. Slots are reserved before waiting, so concurrent senders queue fairly."""

    # Telegram counts strictly (at most 30 in any one second, one a second per private chat, twenty a
    # minute per group): pacing at exactly those rates turns every request that arrives a little late
    # into a 429, so the pace keeps 5 % in hand.
    def __init__(
        self,
        per_second: float = 30.0 * 0.95,
        private_interval: float = 1.0 * 1.05,
        group_interval: float = 3.0 * 1.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}

    def reserve_chat(self, chat_id: int) -> float:
        """Book the chat's next slot; returns how long to wait for it. A chat that must wait (its
        second message within a second) holds no overall slot while it waits: the others go on."""
        now = self.clock()
        start = max(now, self._next_chat.get(chat_id, 0.0))
        self._next_chat[chat_id] = start + self._chat_interval(chat_id)
        if len(self._next_chat) > 50_000:  # forget chats whose slot is long past
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        return start - now

    def reserve_overall(self, chat_id: int) -> float:
        """Book the next slot of the bot's overall pace; returns how long to wait for it. The chat's
        next slot is counted from this one."""
        now = self.clock()
        start = max(now, self._next_global)
        self._next_global = start + self.interval
        after = start + self._chat_interval(chat_id)
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), after)
        return start - now

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    async def wait(self, chat_id: int) -> None:
        delay = self.reserve_chat(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)
        delay = self.reserve_overall(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends before `seconds` have passed."""
        self._next_global = max(self._next_global, self.clock() + seconds)


def console_pace() -> RateLimiter:
    """No waiting: the terminal (`wuye chat`, `wuye demo`) is not Telegram and has no rate limits."""
    return RateLimiter(per_second=1e9, private_interval=0.0, group_interval=0.0)


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
    # notification id -> our lease's end. Kept here, beside the delivering, not in the transactions
    # below: those may run in a core process, and a core process that dies and is replaced must not
    # take the knowledge of which leases are ours with it.
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

    def _claim(self) -> list[Notification]:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            claimed = uow.notifications.claim(now, self.batch, now + self.lease, self.person_ids)
            uow.commit()
        return claimed

    def _load(self, notification_id: int, held: datetime | None) -> Loaded:
        """The notification, its parts and our renewed lease; (None, [], None) when it is finished,
        (n, None, None) when our lease (`held`) on it was lost (a chat's queue outlasted the lease and
        another dispatcher took it over)."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            n = self._open(uow, notification_id)
            if n is None:
                return None, [], None
            if keep_for_web(uow, n, now):  # no Telegram chat: their web pages show it, the next up is told
                uow.notifications.save(n)
                uow.commit()
                return n, [], None
            # Renew the lease before sending, only if it is still ours (compare-and-set).
            if held is None or not uow.notifications.renew(notification_id, held, now + self.lease):
                return n, None, None
            uow.commit()
            parts: list[Send | Edit] = list(notices.render(uow, self.translators, n, self.ctx))
            return n, parts, now + self.lease

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
                    rest = [n.id for n in queue if n.id is not None]
                    queue.clear()
                    for n_id in rest:
                        self._leases.pop(n_id, None)
                    if rest:
                        await self.run_db(self._hold_back, item.id or 0, rest)
                del queues[key]

        try:
            while True:
                exhausted = exhausted or self.stopping.is_set()
                if not exhausted and sum(len(q) for q in queues.values()) < max(1, self.batch // 2):
                    claimed = await self.run_db(self._claim)
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

    def held(self) -> list[int]:
        """The notifications this dispatcher holds a lease on and has not finished."""
        return list(self._leases)

    def release(self, ids: list[int]) -> int:
        """Let go of these leases (at a stop), so that another instance or the next start sends them at
        once rather than after the lease ran out."""
        with self.ctx.uow() as uow:
            uow.notifications.hold_back(ids, None)
            uow.commit()
        return len(ids)

    def _hold_back(self, failed_id: int, rest: list[int]) -> None:
        """The messages after one that must wait (a 429's retry_after) wait as long, unleased."""
        with self.ctx.uow() as uow:
            failed = uow.notifications.get(failed_id)
            until = failed.not_before if failed is not None else None
            uow.notifications.hold_back(rest, until)
            uow.commit()

    @staticmethod
    def _chat_key(n: Notification) -> int:
        return n.chat_id or n.person_id

    async def _deliver(self, notification_id: int) -> bool:
        """Send what is left of one notification; True when it is finished (either way)."""
        n, parts, renewed = await self.run_db(self._load, notification_id, self._leases.get(notification_id))
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
            await self.run_db(self._finish, notification_id, Outcome.FAILED, gone)
            return True
        uncertain = False
        record = self.record_db or self.run_db
        for index in range(n.parts_sent, len(parts)):
            try:
                part = await self._drawn(parts[index])
            except Exception as exc:  # a chart that cannot be drawn is not tried forever
                log.exception("notification %s: could not draw its chart", n.id)
                await self.run_db(self._finish, notification_id, Outcome.FAILED, f"could not draw: {exc}")
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
                    await record(self._progress, n, index, part, None, str(exc))
                    continue
                finished, counted = await self.run_db(self._failure, notification_id, exc)
                if counted:
                    setattr(self.stats, counted, getattr(self.stats, counted) + 1)
                if counted == "rate_limited":
                    self.limiter.pause(exc.retry_after)
                return bool(finished)
            ok_at = time.monotonic()
            await record(self._progress, n, index, part, message_id)
            self.stats.recorded_after.append(time.monotonic() - ok_at)
        await record(self._finish, notification_id, Outcome.UNCERTAIN if uncertain else Outcome.SENT)
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

    @staticmethod
    def _open(uow: UnitOfWork, notification_id: int) -> Notification | None:
        n = uow.notifications.get(notification_id)
        return n if n is not None and n.sent_at is None and n.failed_at is None else None

    def _progress(
        self, n: Notification, index: int, part: Send | Edit, message_id: int | None, note: str | None = None
    ) -> None:
        """Record at once that one part went out, so a restart does not send it again."""
        with self.ctx.uow() as uow:
            row = self._open(uow, n.id or 0)
            if row is None:
                return
            row.parts_sent = index + 1
            if note:
                row.last_error = note[:500]
            uow.notifications.save(row)
            if isinstance(part, Send) and part.card_key and message_id and n.ticket_id:
                uow.cards.add(
                    CardMessage(n.ticket_id, n.person_id, part.chat_id, message_id, self.ctx.clock.now())
                )
            uow.commit()

    def _finish(self, notification_id: int, outcome: Outcome, error: str | None = None) -> None:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = self._open(uow, notification_id)
            if row is None:
                return
            row.attempts += 1
            row.outcome = outcome
            row.claimed_until = None
            if outcome in (
                Outcome.SENT,
                Outcome.UNCERTAIN,
            ):  # uncertain: it may have arrived, so it is not resent
                row.sent_at = now
            else:
                row.failed_at = now
                row.last_error = (error or row.last_error or "")[:500]
            uow.notifications.save(row)
            uow.commit()

    def _failure(self, notification_id: int, exc: DeliveryError) -> tuple[bool, str | None]:
        """Record a failed send: whether the notification is finished, and which of the stats it counts
        in (the caller counts it, and pauses its limiter on a 429: this may run in another process)."""
        now = self.ctx.clock.now()
        counted: str | None = None
        with self.ctx.uow() as uow:
            row = self._open(uow, notification_id)
            if row is None:
                return True, None
            row.attempts += 1
            row.last_error = str(exc)[:500]
            row.claimed_until = None
            finished = True
            if exc.kind == Failure.BLOCKED:
                counted = Outcome.BLOCKED
                if recipient_blocked(uow, row, now):
                    log.warning("person %s blocked the bot; the message goes to the next up", row.person_id)
                else:
                    log.warning("person %s blocked the bot; nobody stands in for them", row.person_id)
            elif exc.kind == Failure.BAD_REQUEST or row.attempts >= MAX_ATTEMPTS:
                counted = Outcome.FAILED
                row.failed_at, row.outcome = now, Outcome.FAILED
                log.error("notification %s failed for good: %s", row.id, exc)
            else:
                finished = False
                if exc.kind == Failure.RETRY_AFTER:
                    counted = "rate_limited"
                    wait = exc.retry_after
                else:
                    counted = "retried"
                    # Capped exponential backoff with jitter, so a recovering server is not stampeded.
                    wait = min(BACKOFF_CAP, 2.0 ** min(row.attempts, 10)) * random.uniform(0.5, 1.0)
                row.not_before = now + timedelta(seconds=wait)
            uow.notifications.save(row)
            uow.commit()
            return finished, counted

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
