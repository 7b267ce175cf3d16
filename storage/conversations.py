"""Where each chat is in a conversation, stored so a restart or another process carries on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlmodel import Session

from handlers.ports import ChatState
from storage.repositories.statements import Plain, insert_ignoring_duplicates
from storage.tables import ConversationRow

_T = ConversationRow.__table__  # type: ignore[attr-defined]
_KEY = (_T.c.chat_id == bindparam("chat_id"), _T.c.user_id == bindparam("user_id"))
# Read, written and deleted with plain statements on the session's connection (same transaction), never
# as ORM objects: every update does this, and the ORM's identity map and flush cost more than the SQL.
_GET = Plain("conversation", lambda _: select(_T.c.flow, _T.c.step, _T.c.data, _T.c.updated_at).where(*_KEY))
_DELETE = Plain("conversation delete", lambda _: delete(_T).where(*_KEY))


def _upsert(session: Session) -> Any:
    t = _T
    stmt = insert_ignoring_duplicates(session, t).values({c.name: bindparam(c.name) for c in t.columns})
    return stmt.on_conflict_do_update(
        index_elements=[t.c.chat_id, t.c.user_id],
        set_={k: stmt.excluded[k] for k in ("flow", "step", "data", "updated_at")},
    )


_UPSERT = Plain("conversation upsert", _upsert)


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, chat_id: int, user_id: int) -> ChatState | None:
        row = _GET.first(self.session, {"chat_id": chat_id, "user_id": user_id})
        if row is None:
            return None
        return ChatState(chat_id, user_id, row.flow, row.step, dict(row.data), row.updated_at)

    def put(self, state: ChatState, now: datetime) -> None:
        """Insert or replace in one statement: two processes answering one chat cannot both insert."""
        values = dict(
            chat_id=state.chat_id,
            user_id=state.user_id,
            flow=state.flow,
            step=state.step,
            data=dict(state.data),
            updated_at=now,
        )
        _UPSERT.run(self.session, values)

    def clear(self, chat_id: int, user_id: int) -> None:
        _DELETE.run(self.session, {"chat_id": chat_id, "user_id": user_id})
