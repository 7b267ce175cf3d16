"""Where each chat is in a conversation, stored so a restart or another process carries on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session

from handlers.conversations.io import ChatState
from storage.repositories import _insert, _prepared
from storage.tables import ConversationRow


def _build_upsert(session: Session) -> Any:
    t = ConversationRow.__table__  # type: ignore[attr-defined]
    stmt = _insert(session, ConversationRow).values({c.name: bindparam(c.name) for c in t.columns})
    return stmt.on_conflict_do_update(
        index_elements=[t.c.chat_id, t.c.user_id],
        set_={k: stmt.excluded[k] for k in ("flow", "step", "data", "updated_at")},
    )


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, chat_id: int, user_id: int) -> ChatState | None:
        row = self.session.get(ConversationRow, (chat_id, user_id))
        if row is None:
            return None
        return ChatState(row.chat_id, row.user_id, row.flow, row.step, dict(row.data))

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
        self.session.execute(_prepared(self.session, "conversation upsert", _build_upsert), values)
        self.session.expire_all()  # a row loaded earlier in this session must not shadow the new state

    def clear(self, chat_id: int, user_id: int) -> None:
        row = self.session.get(ConversationRow, (chat_id, user_id))
        if row is not None:
            self.session.delete(row)
            self.session.flush()
