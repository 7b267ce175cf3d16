"""The outbox: notifications queued once per key, leased to one dispatcher at a time, sent or given up."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, text, update
from sqlmodel import col, select

from handlers.domain.notifications import Notification, Outcome
from storage.mapping import to_row_values
from storage.repositories.base import Repository
from storage.repositories.statements import Plain, connection_of, insert_ignoring_duplicates
from storage.tables import UNFINISHED_NOTIFICATION, NotificationRow

_N = NotificationRow.__table__  # type: ignore[attr-defined]
_INSERT = Plain(
    "notification insert",
    lambda s: (
        insert_ignoring_duplicates(s, _N)
        .values({c.name: bindparam(c.name) for c in _N.columns if c.name != "id"})
        .on_conflict_do_nothing(index_elements=[_N.c.key])
        .returning(_N.c.id)
    ),
)


class NotificationRepository(Repository[Notification, NotificationRow]):
    row, domain = NotificationRow, Notification

    def add(self, item: Notification) -> bool:  # type: ignore[override]
        # ON CONFLICT rather than look-then-insert: two sweeps queueing the same key at once must not
        # abort each other's transaction with a unique violation.
        values = to_row_values(item)
        values.pop("id")
        inserted = _INSERT.first(self.session, values)
        if inserted is None:
            return False
        item.id = inserted.id
        return True

    def pending(self, now: datetime, limit: int) -> list[Notification]:
        return self._many(
            col(NotificationRow.sent_at).is_(None),
            col(NotificationRow.failed_at).is_(None),
            (col(NotificationRow.not_before).is_(None)) | (col(NotificationRow.not_before) <= now),
            order=col(NotificationRow.id),
            limit=limit,
        )

    def claim(
        self,
        now: datetime,
        limit: int,
        lease_until: datetime,
        person_ids: Collection[int] | None = None,
        token: str | None = None,
    ) -> list[Notification]:
        """Take a lease on pending notifications that nobody else holds (SKIP LOCKED on PostgreSQL), so
        two dispatchers never send the same one; a dispatcher that dies loses its lease when it expires.
        With `person_ids`, only those people's private messages (`wuye chat` delivers to whom it plays).
        The leases are marked with `token`; when some still carry it, this claim ran before (its answer
        was lost) and those are returned as they are, nothing more taken."""
        if token is not None:
            taken = self._many(
                text(UNFINISHED_NOTIFICATION),
                col(NotificationRow.claimed_by) == token,
                col(NotificationRow.claimed_until).is_not(None),
                order=col(NotificationRow.id),
            )
            if taken:
                return taken
        pending = (
            select(NotificationRow.id)
            .where(
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
                (col(NotificationRow.not_before).is_(None)) | (col(NotificationRow.not_before) <= now),
                (col(NotificationRow.claimed_until).is_(None)) | (col(NotificationRow.claimed_until) <= now),
            )
            .order_by(col(NotificationRow.id))
            .limit(limit)
        )
        if person_ids is not None:
            pending = pending.where(
                col(NotificationRow.person_id).in_(list(person_ids)), col(NotificationRow.chat_id).is_(None)
            )
        if self.session.get_bind().dialect.name == "postgresql":
            pending = pending.with_for_update(skip_locked=True)
        ids = [i for i in self.session.exec(pending).all() if i is not None]
        if not ids:
            return []
        self.session.execute(
            update(NotificationRow)
            .where(col(NotificationRow.id).in_(ids))
            .values(claimed_until=lease_until, claimed_by=token)
        )
        self.session.flush()
        return self._many(col(NotificationRow.id).in_(ids), order=col(NotificationRow.id))

    def counts(self, now: datetime) -> dict[str, int]:
        """How many are waiting, sent, uncertain, blocked, rerouted or failed (for `wuye status`)."""
        rows = self.session.execute(
            select(NotificationRow.outcome, func.count()).group_by(NotificationRow.outcome)
        ).all()
        out = {str(outcome or "waiting"): int(n) for outcome, n in rows}
        return out

    def kept_for_web(self, person_id: int, since: datetime | None, limit: int) -> list[Notification]:
        """A person's private messages kept for the web pages (newest first), since a moment."""
        where = [
            col(NotificationRow.person_id) == person_id,
            col(NotificationRow.outcome) == Outcome.WEB.value,
            col(NotificationRow.chat_id).is_(None),
        ]
        if since is not None:
            where.append(col(NotificationRow.sent_at) > since)
        return self._many(*where, order=col(NotificationRow.sent_at).desc(), limit=limit)

    def waiting(self) -> int:
        """Counted over the partial index ix_notification_unfinished: `UNFINISHED_NOTIFICATION` as written."""
        stmt = select(func.count()).select_from(NotificationRow).where(text(UNFINISHED_NOTIFICATION))
        return int(self.session.execute(stmt).scalar_one())

    def exists(self, key: str) -> bool:
        stmt = select(NotificationRow.id).where(col(NotificationRow.key) == key).limit(1)
        return self.session.exec(stmt).first() is not None

    def renew(self, notification_id: int, held_until: datetime, lease_until: datetime) -> bool:
        """Extend a lease if it is still the one we took (nobody re-claimed it after it expired)."""
        result = self.session.execute(
            update(NotificationRow)
            .where(
                col(NotificationRow.id) == notification_id,
                col(NotificationRow.claimed_until) == held_until,
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
            )
            .values(claimed_until=lease_until)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def hold_back(self, leases: Mapping[int, datetime], until: datetime | None) -> int:
        values: dict[str, Any] = {"claimed_until": None}
        if until is not None:
            values["not_before"] = until
        let_go = 0
        for notification_id, held in leases.items():  # a chat's queue, or what a stop held: a few
            result = self.session.execute(
                update(NotificationRow)
                .where(col(NotificationRow.id) == notification_id, col(NotificationRow.claimed_until) == held)
                .values(**values)
            )
            let_go += result.rowcount  # type: ignore[attr-defined]
        return let_go

    def release_leases(self) -> int:
        """Drop every lease on unfinished notifications (only safe when no other dispatcher runs)."""
        result = self.session.execute(
            update(NotificationRow)
            .where(
                col(NotificationRow.sent_at).is_(None),
                col(NotificationRow.failed_at).is_(None),
                col(NotificationRow.claimed_until).is_not(None),
            )
            .values(claimed_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def oldest_waiting(self, now: datetime | None = None) -> Notification | None:
        # A notice held for the morning (never tried, not_before ahead) is not late; a retry is.
        due = (
            [
                col(NotificationRow.not_before).is_(None)
                | (col(NotificationRow.not_before) <= now)
                | (col(NotificationRow.attempts) > 0)
            ]
            if now is not None
            else []
        )
        found = self._many(
            text(UNFINISHED_NOTIFICATION),
            *due,
            order=col(NotificationRow.id),
            limit=1,
        )
        return found[0] if found else None

    def add_many(self, items: Sequence[Notification]) -> int:
        """INSERT … ON CONFLICT DO NOTHING for many rows at once: one statement compiled once, sent by the
        driver in batches ("insertmanyvalues"); thousands of owners in a few round trips."""
        if not items:
            return 0
        rows = []
        for item in items:
            values = to_row_values(item)
            values.pop("id")
            rows.append(values)
        table = NotificationRow.__table__  # type: ignore[attr-defined]
        stmt = (
            insert_ignoring_duplicates(self.session, NotificationRow)
            .on_conflict_do_nothing(index_elements=[NotificationRow.key])
            .returning(table.c.id)
        )
        return len(connection_of(self.session).execute(stmt, rows).all())
