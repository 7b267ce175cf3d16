"""Where each chat is in a conversation, stored so a restart or another process carries on."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers.conversations.io import ChatState
from storage.repositories import _insert
from storage.tables import ConversationRow


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
        stmt = _insert(self.session, ConversationRow).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ConversationRow.chat_id, ConversationRow.user_id],
            set_={k: stmt.excluded[k] for k in ("flow", "step", "data", "updated_at")},
        )
        self.session.execute(stmt)
        self.session.expire_all()  # a row loaded earlier in this session must not shadow the new state

    def clear(self, chat_id: int, user_id: int) -> None:
        row = self.session.get(ConversationRow, (chat_id, user_id))
        if row is not None:
            self.session.delete(row)
            self.session.flush()
