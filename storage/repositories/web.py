"""The web front door's records: sign-in codes (digests), attempts per client, last visits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from handlers.domain.people import WebCode, WebCodeKind
from storage.repositories.base import Repository
from storage.repositories.statements import connection_of, insert_ignoring_duplicates
from storage.tables import WebAttemptRow, WebCodeRow, WebVisitRow


class WebRepository(Repository[WebCode, WebCodeRow]):
    row, domain = WebCodeRow, WebCode

    def add_code(self, code: WebCode) -> WebCode:
        return self.add(code)

    def code_by_digest(self, digest: str) -> WebCode | None:
        return self._one(col(WebCodeRow.digest) == digest)

    def use_code(self, code_id: int, now: datetime) -> bool:
        t = self._table
        stmt = update(t).where(t.c.id == code_id, t.c.used_at.is_(None)).values(used_at=now)
        return bool(connection_of(self.session).execute(stmt).rowcount == 1)

    def retire_codes(self, person_id: int, kinds: Collection[WebCodeKind], now: datetime) -> int:
        t = self._table
        stmt = (
            update(t)
            .where(
                t.c.person_id == person_id,
                t.c.kind.in_([kind.value for kind in kinds]),
                t.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return int(connection_of(self.session).execute(stmt).rowcount or 0)

    def attempts(self, key: str) -> tuple[int, datetime | None]:
        t = WebAttemptRow.__table__  # type: ignore[attr-defined]
        found = (
            connection_of(self.session).execute(select(t.c.failures, t.c.since).where(t.c.key == key)).first()
        )
        if found is None:
            return 0, None
        return int(found[0]), found[1]

    def set_attempts(self, key: str, failures: int, since: datetime | None) -> None:
        t = WebAttemptRow.__table__  # type: ignore[attr-defined]
        stmt = insert_ignoring_duplicates(self.session, t).values(key=key, failures=failures, since=since)
        upsert = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"failures": failures, "since": since}
        )
        connection_of(self.session).execute(upsert)

    def last_seen(self, person_id: int) -> datetime | None:
        t = WebVisitRow.__table__  # type: ignore[attr-defined]
        found = connection_of(self.session).execute(select(t.c.seen_at).where(t.c.person_id == person_id))
        return found.scalar()

    def seen(self, person_id: int, at: datetime) -> None:
        t = WebVisitRow.__table__  # type: ignore[attr-defined]
        stmt = insert_ignoring_duplicates(self.session, t).values(person_id=person_id, seen_at=at)
        upsert = stmt.on_conflict_do_update(index_elements=["person_id"], set_={"seen_at": at})
        connection_of(self.session).execute(upsert)
