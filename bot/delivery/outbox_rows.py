"""The outbox's transactions on its rows: claiming notifications under a lease and renewing it, recording
each part that went out, and how a delivery ended: sent, kept for the web, tried again later, given up,
or passed up to the next person when the recipient blocked the bot.

Each is one short unit of work, and none sends anything: the outbox (bot/delivery/outbox.py) runs them
where its database work runs, in a core process when there is one (which keeps an OutboxRows of its
own), and keeps the knowledge of which leases are its own on its side.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.sending import DeliveryError, Failure
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

# a notification, the parts of it to send and our renewed lease on it (see OutboxRows.load)
Loaded = tuple[Notification | None, list[Send | Edit] | None, datetime | None]


@dataclass
class OutboxRows:
    ctx: Context
    translators: Callable[[Lang], Translator]
    lease: timedelta = LEASE  # how long a claim holds a notification; renewed before each of its messages

    def claim(
        self, batch: int, person_ids: Collection[int] | None = None, token: str | None = None
    ) -> list[Notification]:
        """Up to `batch` notifications due now, leased to the caller (only these people's private
        messages, when `person_ids` is given). `token` names this claim (the caller makes a new one
        each time): the same claim run again (sent again to a core process's successor, the first run
        committed and its answer lost with the dead process) returns what the first run leased, which
        would otherwise wait for a whole term with nobody sending it."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            claimed = uow.notifications.claim(now, batch, now + self.lease, person_ids, token)
            uow.commit()
        return claimed

    def load(self, notification_id: int, held: datetime | None) -> Loaded:
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
            if held is None or not self._renew(uow, n, held, now):
                return n, None, None
            uow.commit()
            parts: list[Send | Edit] = list(notices.render(uow, self.translators, n, self.ctx))
            return n, parts, now + self.lease

    def release(self, leases: dict[int, datetime]) -> int:
        """Let go of these leases (id -> the lease held; at a stop), so that another instance or the next
        start sends them at once rather than after the lease ran out. Only those still ours: one that ran
        out and another dispatcher took is theirs to send, and letting it go would let a third take it
        while they send it. How many were let go."""
        with self.ctx.uow() as uow:
            let_go = uow.notifications.hold_back(leases, None)
            uow.commit()
        return let_go

    def hold_back(self, failed_id: int, rest: dict[int, datetime]) -> None:
        """The messages after one that must wait (a 429's retry_after) wait as long, unleased (those
        whose lease is still ours, id -> lease, as `release`)."""
        with self.ctx.uow() as uow:
            failed = uow.notifications.get(failed_id)
            until = failed.not_before if failed is not None else None
            uow.notifications.hold_back(rest, until)
            uow.commit()

    def _renew(self, uow: UnitOfWork, n: Notification, held: datetime, now: datetime) -> bool:
        """Extend our lease on `n` to a full term from now, if it is still ours: still the one we hold
        (`held`, compare-and-set), or one that moved on from it while most of our term was left and no
        further than this renewal would take it. Nobody else may claim it before our term ends, so only a
        renewal of ours moved it: this very request, run first in a core process that died between
        committing and answering, and now sent again to its successor. The half a term of margin keeps
        a clock a little ahead in another instance, which may claim it a little early, on the safe side."""
        until = now + self.lease
        if uow.notifications.renew(n.id or 0, held, until):
            return True
        moved = n.claimed_until
        if moved is None or not (held < moved <= until and held - now >= self.lease / 2):
            return False
        return uow.notifications.renew(n.id or 0, moved, until)

    @staticmethod
    def _open(uow: UnitOfWork, notification_id: int) -> Notification | None:
        n = uow.notifications.get(notification_id)
        return n if n is not None and n.sent_at is None and n.failed_at is None else None

    def progress(
        self, n: Notification, index: int, part: Send | Edit, message_id: int | None, note: str | None = None
    ) -> None:
        """Record at once that one part went out, so a restart does not send it again. Recorded already
        (this very request run twice), it changes nothing: the card's message is kept once."""
        with self.ctx.uow() as uow:
            row = self._open(uow, n.id or 0)
            if row is None or row.parts_sent > index:
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

    def finish(self, notification_id: int, outcome: Outcome, error: str | None = None) -> None:
        """Record how it ended; finished already (this request run twice), it changes nothing."""
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

    def failure(
        self, notification_id: int, exc: DeliveryError, held: datetime | None
    ) -> tuple[bool, str | None]:
        """Record a failed send: whether the notification is finished, and which of the stats it counts
        in (the caller counts it, and pauses its limiter on a 429: this may run in another process).
        Only while our lease (`held`) is still on it (compare-and-set): the same request run again, the
        first run committed in a core process that died before answering, changes nothing (it counted
        the attempt twice and pushed the next try twice) and answers what the first run decided."""
        now = self.ctx.clock.now()
        counted: str | None = None
        with self.ctx.uow() as uow:
            # a renewal to the same end: ours still, and locked (PostgreSQL) until this commits
            if held is None or not uow.notifications.renew(notification_id, held, held):
                return self._decided(uow.notifications.get(notification_id), exc)
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

    @staticmethod
    def _decided(row: Notification | None, exc: DeliveryError) -> tuple[bool, str | None]:
        """`failure`'s answer where the lease is no longer the caller's: what its earlier run for this
        very error decided, read back from the row it left (unleased, the error recorded); or, the row
        another's (the lease ran out and another dispatcher took it), finished or not, counted nowhere."""
        if row is None:
            return True, None
        finished = row.sent_at is not None or row.failed_at is not None
        if row.claimed_until is not None or row.attempts == 0 or row.last_error != str(exc)[:500]:
            return finished, None
        if not finished:
            return False, "rate_limited" if exc.kind == Failure.RETRY_AFTER else "retried"
        if row.outcome in (Outcome.BLOCKED, Outcome.REROUTED):
            return True, Outcome.BLOCKED
        return True, Outcome.FAILED if row.outcome == Outcome.FAILED else None
