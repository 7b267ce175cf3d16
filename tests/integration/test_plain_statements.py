"""The hottest statements skip SQLAlchemy's execution (storage/repositories/statements.py `Plain`) and a
unit of work keeps its own connection (storage/uow.py): what comes back, what is refused, what listeners
see and what is committed or rolled back must be what SQLAlchemy and the session gave before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from handlers.domain.people import Person
from handlers.domain.ticket import Ticket
from handlers.ports import ChatState
from storage.mapping import to_domain
from storage.tables import TicketRow
from storage.uow import SqlUnitOfWork
from tests.integration.test_repositories import a_ticket, seed

Uow = Callable[[], SqlUnitOfWork]
NOW = datetime(2025, 3, 3, 1, 30, 15, 123456, tzinfo=UTC)


def test_a_row_read_by_a_plain_statement_is_the_row_sqlalchemy_reads(uow: Uow) -> None:
    ids = seed(uow)
    ticket = a_ticket(ids, due_at=NOW + timedelta(days=7), deadline_provisional=True, draft_key="d1")
    with uow() as u:
        u.tickets.add(ticket)
        u.commit()
    t = TicketRow.__table__  # type: ignore[attr-defined]
    with uow() as u:
        plain = u.tickets.by_draft("d1")
        row = u.session.connection().execute(select(*t.columns).where(t.c.draft_key == "d1")).first()
    assert plain is not None and row is not None
    assert plain == to_domain(row, Ticket)  # the enums, the JSON policy, every time in UTC, the flags


def test_a_chats_state_comes_back_as_it_was_written(uow: Uow) -> None:
    state = ChatState(7, 7, "report", "describe", {"photos": [["f", None]], "说明": "三号楼"}, NOW)
    with uow() as u:
        u.conversations.put(state, NOW)
        u.commit()
    with uow() as u:
        back = u.conversations.get(7, 7)
    assert back == state and back is not None and back.updated_at.tzinfo is UTC


def test_a_duplicate_through_a_plain_statement_is_sqlalchemys_integrity_error(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u:
        u.tickets.add(a_ticket(ids, number="HB-2025-0009"))
        u.commit()
    with uow() as u, pytest.raises(IntegrityError):
        u.tickets.add(a_ticket(ids, number="HB-2025-0009"))


def test_listeners_see_each_plain_statement_with_its_parameters(engine: Engine, uow: Uow) -> None:
    seen: list[tuple[str, object]] = []

    def before(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", before)
    try:
        with uow() as u:
            u.people.by_telegram_id(424242)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert [p for s, p in seen if "FROM person" in s] in ([(424242,)], [{"telegram_id": 424242}])


def test_a_unit_of_work_commits_and_rolls_back_plain_and_orm_writes_together(uow: Uow) -> None:
    def state(chat: int) -> ChatState:
        return ChatState(chat, chat, "report", "category", {}, NOW)

    with uow() as u:  # rolled back: neither the plain write nor the ORM's
        u.conversations.put(state(1), NOW)
        u.policies.put("p1", {"key": "p1"})
        u.rollback()
    with uow() as u:  # committed: both
        u.conversations.put(state(2), NOW)
        u.policies.put("p2", {"key": "p2"})
        u.commit()
        u.conversations.put(state(3), NOW)  # after a commit, in a transaction of its own: committed too
        u.commit()
        u.conversations.put(state(4), NOW)  # never committed: gone with the unit
    with uow() as u:
        chats = [c for c in (1, 2, 3, 4) if u.conversations.get(c, c) is not None]
        policies = [p["key"] for p in u.policies.all()]
    assert chats == [2, 3]
    assert "p1" not in policies and "p2" in policies


def test_a_person_added_then_read_in_one_unit_of_work_is_found(uow: Uow) -> None:
    with uow() as u:
        added = u.people.add(Person(display_name="王先生", telegram_id=515151, created_at=NOW))
        found = u.people.by_telegram_id(515151)
    assert found is not None and found.id == added.id
