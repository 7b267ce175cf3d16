"""One turn at a time per chat across processes (storage/turns.py): an update Telegram redelivers to a
second `wuye run` on the same PostgreSQL database while the first still handles it is not handled twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.wiring import build_app
from handlers.conversations.core import Core
from handlers.conversations.io import Incoming, Kind, Output
from storage.engine import make_engine
from storage.turns import AdvisoryChatTurns, ChatBusy
from tests.support import processes as P
from tests.support.translations import shared_translations

STEPS = [
    "/report",
    "r:cat:lift",
    "3号楼B梯停在8楼不动，按钮没有反应。",
    "r:skip",
    "r:skip",
    "r:urg:ordinary",
    "r:prv:nobody",
]


def update(update_id: int, what: str, user: int = P.OWNER) -> Incoming:
    common = dict(
        chat_id=user, user_id=user, user_name="张女士", language_code="zh-hans", update_id=update_id, bot_id=1
    )
    if what.startswith("/"):
        return Incoming(kind=Kind.COMMAND, command=what[1:], text="", **common)  # type: ignore[arg-type]
    if what.startswith("r:"):
        return Incoming(kind=Kind.BUTTON, data=what, callback_id=f"c{update_id}", message_id=1, **common)  # type: ignore[arg-type]
    return Incoming(kind=Kind.TEXT, text=what, **common)  # type: ignore[arg-type]


@pytest.mark.postgres
def test_an_update_redelivered_to_a_second_process_during_its_turn_is_handled_once(
    postgres_url: str,
) -> None:
    first, clock = P.world_app(postgres_url, P.days_ago(0))
    second = build_app(load_settings(database_url=postgres_url), clock=clock, migrate=False)
    translations = shared_translations()
    cores = [Core(first.ctx, translations), Core(second.ctx, translations)]
    try:
        for i, what in enumerate(STEPS, start=1):
            assert cores[0].handle(update(i, what))
        submit = update(len(STEPS) + 1, "r:ok")  # the press, delivered to both instances at once
        start = threading.Barrier(2)

        def handle(core: Core) -> list[Output]:
            start.wait()
            return core.handle(submit)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(handle, cores))
        assert sorted(bool(a) for a in answers) == [False, True]  # one answered, the other said nothing
        assert P.scalar(first.engine, "SELECT count(*) FROM ticket") == 1
    finally:
        first.engine.dispose()
        second.engine.dispose()


@pytest.mark.postgres
def test_a_chats_turn_waits_for_the_other_process_and_other_chats_do_not(postgres_url: str) -> None:
    one, other = (make_engine(postgres_url) for _ in range(2))  # two processes' pools
    mine, theirs = AdvisoryChatTurns(one, wait=0.5), AdvisoryChatTurns(other, wait=0.5)
    try:
        with mine(1, 42):
            started = time.monotonic()
            with pytest.raises(ChatBusy, match="chat 42"), theirs(1, 42):
                pass
            assert time.monotonic() - started >= 0.5
            with theirs(1, 43), theirs(2, 42):  # another chat, or the same chat of another bot
                pass
        with theirs(1, 42):  # released when the turn ended
            pass
    finally:
        one.dispose()
        other.dispose()


@pytest.mark.postgres
def test_a_turn_held_by_a_process_that_died_is_released_with_its_connection(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    turns = AdvisoryChatTurns(engine, wait=5)
    try:
        held = engine.connect()  # as a turn of a process that is then killed holds it
        held.execution_options(isolation_level="AUTOCOMMIT")
        held.exec_driver_sql("SELECT pg_advisory_lock(hashtextextended('wuye:turn:1:42', 0))")
        threading.Timer(0.3, held.invalidate).start()  # the server session ends with the process
        started = time.monotonic()
        with turns(1, 42):
            assert 0.3 <= time.monotonic() - started < 5
    finally:
        engine.dispose()


def test_on_sqlite_a_turn_takes_no_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wuye.db'}")
    turns = AdvisoryChatTurns(engine, wait=0)
    with turns(1, 42), turns(1, 42):  # one process serves a SQLite file; nothing to wait for
        pass
    engine.dispose()
