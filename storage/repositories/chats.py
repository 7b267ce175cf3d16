"""Telegram's side: group chats bound to an estate or an office, and the updates already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from handlers.domain.notifications import GroupBinding
from storage.mapping import copy_into, to_domain, to_row_values
from storage.repositories.statements import connection_of, insert_ignoring_duplicates, prepared
from storage.tables import GroupBindingRow, ProcessedUpdateRow


class GroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, chat_id: int) -> GroupBinding | None:
        row = self.session.get(GroupBindingRow, chat_id)
        return to_domain(row, GroupBinding) if row is not None else None

    def put(self, item: GroupBinding) -> None:
        row = self.session.get(GroupBindingRow, item.chat_id)
        if row is None:
            self.session.add(GroupBindingRow(**to_row_values(item)))
        else:
            copy_into(row, item)
        self.session.flush()

    def delete(self, chat_id: int) -> bool:
        row = self.session.get(GroupBindingRow, chat_id)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def for_estate(self, estate_id: int) -> list[GroupBinding]:
        rows = self.session.exec(
            select(GroupBindingRow).where(col(GroupBindingRow.estate_id) == estate_id)
        ).all()
        return [to_domain(r, GroupBinding) for r in rows]

    def bound_by(self, person_id: int) -> list[GroupBinding]:
        rows = self.session.exec(
            select(GroupBindingRow).where(col(GroupBindingRow.person_id) == person_id)
        ).all()
        return [to_domain(r, GroupBinding) for r in rows]

    def for_office(self, office_id: int) -> list[GroupBinding]:
        rows = self.session.exec(
            select(GroupBindingRow).where(col(GroupBindingRow.office_id) == office_id)
        ).all()
        return [to_domain(r, GroupBinding) for r in rows]


class UpdateLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def seen(self, bot_id: int, update_id: int) -> bool:
        t = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
        stmt = prepared(
            self.session,
            "update seen",
            lambda _: (
                sa_select(t.c.id)
                .where(t.c.bot_id == bindparam("bot_id"), t.c.update_id == bindparam("update_id"))
                .limit(1)
            ),
        )
        params = {"bot_id": bot_id, "update_id": update_id}
        return connection_of(self.session).execute(stmt, params).first() is not None

    def mark(self, bot_id: int, update_id: int, now: datetime) -> None:
        t = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
        stmt = prepared(
            self.session,
            "update mark",
            lambda s: (
                insert_ignoring_duplicates(s, t)
                .values({k: bindparam(k) for k in ("bot_id", "update_id", "processed_at")})
                .on_conflict_do_nothing(index_elements=[t.c.bot_id, t.c.update_id])
            ),
        )
        params = {"bot_id": bot_id, "update_id": update_id, "processed_at": now}
        connection_of(self.session).execute(stmt, params)

    def prune(self, before: datetime) -> int:
        result = self.session.execute(
            delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.processed_at) < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
