"""Uploads read off the conversation path (bot/documents/sheet_worker.py, bot/telegram/runtime.py): in a child
process with hard limits, before the turn reaches the core, while other chats' turns go on and each chat's own
updates keep their order. What each child spent is measured in the child (getrusage)."""

from __future__ import annotations

import asyncio
import pickle
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.demo.revenue_examples import example_xlsx
from bot.documents.sheet_worker import CPU_SECONDS, TOO_COMPLEX, Limits, SheetReader, read_in_child
from bot.processes.core_process import CoreProcesses
from bot.telegram.runtime import Runtime
from handlers.conversations.io import Incoming, Kind, Output, Send
from handlers.services.revenue_import import FileProblem, SheetRead
from tests.support import hostile_files as H
from tests.support import processes as P
from tests.support import slow_readers

MEMORY_BYTES = 100 << 20
MANAGER = 100001  # 王建国, project manager of 海滨花园 in examples/setup.yaml

NAMED = [
    ("cells at A1, XFD1 and A600", H.sparse_xlsx, "q.xlsx", "too_many_columns"),
    ("a zip of 200,000 rows", H.zip_bomb_rows, "q.xlsx", "too_many_rows"),
    ("a 50,000-row sheet", H.many_rows_xlsx, "q.xlsx", "too_many_rows"),
    ("broken sheet XML", H.broken_sheet_xml, "q.xlsx", "not_a_spreadsheet"),
    ("a CSV field of 200,000 characters", H.csv_long_field, "q.csv", "too_long_cell"),
]


@pytest.mark.slow  # a child process
@pytest.mark.parametrize(("make", "name", "code"), [n[1:] for n in NAMED], ids=[n[0] for n in NAMED])
def test_each_file_the_issue_names_is_refused_by_its_reader_under_100_mb(
    make: Callable[[], bytes], name: str, code: str
) -> None:
    outcome = read_in_child(make(), name)
    assert [p.code for p in outcome.read.problems] == [code]
    assert outcome.usage is not None
    assert outcome.usage.peak_bytes < MEMORY_BYTES, f"{outcome.usage.peak_bytes / 2**20:.0f} MB"


@pytest.mark.slow  # a child process
def test_a_file_that_reads_comes_back_as_rows() -> None:
    outcome = read_in_child(example_xlsx(), "revenue-2026Q3.xlsx")
    assert outcome.read.problems == () and len(outcome.read.grid) == 28
    assert outcome.usage is not None


@pytest.mark.slow  # a child process
def test_a_reader_that_never_stops_is_stopped_by_its_cpu_limit() -> None:
    outcome = read_in_child(b"x", "q.csv", reader=slow_readers.spin)
    assert outcome.read == TOO_COMPLEX
    # The child said so itself, having spent its CPU seconds: stopped by neither the hard limit behind
    # them (it would have died without a word) nor the wall-clock one (answered for it: no usage). Not
    # timed here: on a busy machine CPU seconds take longer than seconds.
    assert outcome.usage is not None and outcome.usage.cpu_seconds < CPU_SECONDS + 0.5


@pytest.mark.slow  # a child process
def test_a_reader_that_hoards_memory_is_stopped_by_its_memory_limit() -> None:
    limits = Limits()
    outcome = read_in_child(b"x", "q.csv", reader=slow_readers.hoard)
    assert outcome.read == TOO_COMPLEX
    assert outcome.usage is not None and outcome.usage.peak_bytes < limits.memory_bytes + (16 << 20)


@pytest.mark.slow  # a child process
def test_a_reader_that_hangs_is_killed_after_the_wall_time() -> None:
    began = time.monotonic()
    outcome = read_in_child(b"x", "q.csv", Limits(wall_seconds=1.0), reader=slow_readers.hang)
    assert outcome == type(outcome)(TOO_COMPLEX, None)
    assert time.monotonic() - began < 3


@pytest.mark.slow  # a child process
def test_a_reader_that_dies_or_breaks_gets_an_ordinary_answer() -> None:
    assert read_in_child(b"x", "q.csv", reader=slow_readers.die).read == TOO_COMPLEX
    broken = read_in_child(b"x", "q.csv", reader=slow_readers.fail).read
    assert broken == SheetRead(problems=(FileProblem("not_a_spreadsheet"),))


def test_rows_read_ahead_cross_into_the_cores_process_as_they_are() -> None:
    inc = Incoming(
        chat_id=1,
        user_id=1,
        user_name="王",
        kind=Kind.DOCUMENT,
        sheet=SheetRead(grid=[["parking", Decimal("96000.50"), None, 3]]),
    )
    assert pickle.loads(pickle.dumps(inc)).sheet == inc.sheet  # as bot/processes/core_process.py frames it


# -- the runtime -----------------------------------------------------------------------------------------


class Turns:
    """Stands in for the conversation core on the runtime's database thread: answers every update with
    what it was, and whether a document came with rows read ahead."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []

    def handle(self, inc: Incoming) -> list[Output]:
        what = inc.text
        if inc.kind is Kind.DOCUMENT:
            what = f"document read ahead: {len(inc.sheet.grid)} rows" if inc.sheet else "document unread"
        self.seen.append((inc.chat_id, what))
        return [Send(inc.chat_id, what)]


@pytest.mark.slow  # a child process
async def test_other_chats_are_answered_while_a_slow_file_is_read_and_its_own_chat_keeps_its_order() -> None:
    data = example_xlsx()
    fetched: list[int] = []
    events: list[tuple[float, str]] = []
    reading = asyncio.Event()
    reader = SheetReader(reader=slow_readers.slow)  # the real reader, after 2 s, in a child process

    async def read_sheet(data: bytes, filename: str | None) -> SheetRead:
        reading.set()
        sheet = await reader.read(data, filename)
        events.append((time.monotonic(), "read done"))
        return sheet

    def fetch() -> bytes:
        fetched.append(1)
        return data

    async def perform(outputs: list[Output]) -> None:
        events.extend((time.monotonic(), f"{o.chat_id}: {o.text}") for o in outputs if isinstance(o, Send))

    core = Turns()
    runtime = Runtime(ctx=None, core=core, translators=None, read_sheet=read_sheet)  # type: ignore[arg-type]
    manager, owner = 1, 2
    document = Incoming(
        chat_id=manager,
        user_id=manager,
        user_name="王",
        kind=Kind.DOCUMENT,
        file_name="revenue-2026Q3.xlsx",
        file_size=len(data),
        fetch=fetch,
    )
    text = Incoming(chat_id=manager, user_id=manager, user_name="王", kind=Kind.TEXT, text="and then")
    upload = asyncio.create_task(runtime.handle(document, perform))
    await asyncio.wait_for(reading.wait(), 10)  # the runtime began reading the file
    after = asyncio.create_task(runtime.handle(text, perform))  # the manager's next message waits its turn
    began = time.monotonic()
    for i in range(5):  # another chat, meanwhile: answered at once, each time
        await runtime.handle(
            Incoming(chat_id=owner, user_id=owner, user_name="张", kind=Kind.TEXT, text=f"hi {i}"), perform
        )
    answered = time.monotonic() - began
    await asyncio.gather(upload, after)

    order = [what for _, what in events]
    assert order == [
        *[f"2: hi {i}" for i in range(5)],
        "read done",
        "1: document read ahead: 28 rows",
        "1: and then",
    ]
    assert answered < 1.0 < slow_readers.SLOW_SECONDS
    assert fetched == [1]  # downloaded once, by the runtime; the core never asked


async def test_a_document_that_is_no_spreadsheet_by_its_name_is_left_to_the_core() -> None:
    core = Turns()
    runtime = Runtime(ctx=None, core=core, translators=None)  # type: ignore[arg-type]
    pdf = Incoming(
        chat_id=1, user_id=1, user_name="王", kind=Kind.DOCUMENT, file_name="scan.pdf", fetch=lambda: b"%PDF"
    )

    async def perform(outputs: list[Output]) -> None:
        return None

    await runtime.handle(pdf, perform)
    assert core.seen == [(1, "document unread")]


@pytest.mark.slow  # a child process
async def test_the_core_in_its_own_process_answers_from_the_rows_read_ahead(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, P.days_ago(0))
    processes = CoreProcesses(load_settings(database_url=url), 1)
    await processes.start()
    fetched: list[str] = []
    replies: list[str] = []

    async def perform(outputs: list[Output]) -> None:
        replies.extend(o.text for o in outputs if isinstance(o, Send))

    try:
        # The front end's own core is never used when there are core processes.
        runtime = Runtime(app.ctx, None, None, engine=app.engine, processes=processes)  # type: ignore[arg-type]
        for name, data in (("broken.xlsx", H.broken_sheet_xml()), ("revenue-2026Q3.xlsx", example_xlsx())):
            fetched.clear()

            def fetch(name: str = name, data: bytes = data) -> bytes:
                fetched.append(name)
                return data

            inc = Incoming(
                chat_id=MANAGER,
                user_id=MANAGER,
                user_name="王建国",
                kind=Kind.DOCUMENT,
                text="2026Q3",
                file_id=name,
                file_size=len(data),
                file_name=name,
                fetch=fetch,
                update_id=len(replies) + 1,
            )
            await runtime.handle(inc, perform)
            assert fetched == [name]  # once, by the runtime: the core process did not ask for it
    finally:
        await processes.stop()
        app.engine.dispose()
    refusal, preview = replies
    assert "❌" in refusal and ".xlsx" in refusal
    assert "📝" in preview and "2026年第三季度" in preview
