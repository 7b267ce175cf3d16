"""Telegram's side: group chats bound to an estate or an office, and the updates already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from handlers.domain.notifications import GroupBinding
from storage.mapping import copy_into, to_domain, to_row_values
from storage.repositories.statements import Plain, insert_ignoring_duplicates
from storage.tables import GroupBindingRow, ProcessedUpdateRow

_G = GroupBindingRow.__table__  # type: ignore[attr-defined]
_FOR_ESTATE = Plain(
    "groups of an estate", lambda _: sa_select(*_G.columns).where(_G.c.estate_id == bindparam("estate_id"))
)


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
        """Asked by every ticket opened or moved: a plain statement."""
        return [to_domain(r, GroupBinding) for r in _FOR_ESTATE.all(self.session, {"estate_id": estate_id})]

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


_U = ProcessedUpdateRow.__table__  # type: ignore[attr-defined]
_SEEN = Plain(
    "update seen",
    lambda _: (
        sa_select(_U.c.id)
        .where(_U.c.bot_id == bindparam("bot_id"), _U.c.update_id == bindparam("update_id"))
        .limit(1)
    ),
)
_MARK = Plain(
    "update mark",
    lambda s: (
        insert_ignoring_duplicates(s, _U)
        .values({k: bindparam(k) for k in ("bot_id", "update_id", "processed_at")})
        .on_conflict_do_nothing(index_elements=[_U.c.bot_id, _U.c.update_id])
    ),
)


class UpdateLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def seen(self, bot_id: int, update_id: int) -> bool:
        return _SEEN.first(self.session, {"bot_id": bot_id, "update_id": update_id}) is not None

    def mark(self, bot_id: int, update_id: int, now: datetime) -> None:
        _MARK.run(self.session, {"bot_id": bot_id, "update_id": update_id, "processed_at": now})

    def prune(self, before: datetime) -> int:
        result = self.session.execute(
            delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.processed_at) < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
