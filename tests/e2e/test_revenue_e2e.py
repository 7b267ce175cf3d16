"""Public revenue end to end: the real python-telegram-bot and aiogram stacks against the stand-in Bot
API. The manager uploads the quarter, previews it and publishes; every owner is told; an owner opens
it (chart and statement), questions a line, and the manager gets the ticket."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.demo.revenue_examples import example_xlsx
from bot.documents.revenue_files import RevenueDocuments
from bot.documents.setup_file import read_setup
from bot.holidays import ChineseCalendarSource
from bot.telegram.front_aiogram import AiogramFrontEnd
from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.runtime import Runtime
from handlers.clock import FixedClock
from handlers.conversations.buttons import unversioned
from handlers.conversations.core import Core
from handlers.services.context import Context
from handlers.services.setup import apply_setup
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.support.botapi import StandInBotAPI
from tests.support.databases import TEMPLATES
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

SETUP = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
MANAGER, OWNER, OWNER_HANT, COMMITTEE = 100001, 200001, 200002, 100031
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def bot(botapi: StandInBotAPI, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    shutil.copyfile(TEMPLATES.migrated_sqlite(), tmp_path / "wuye.db")  # migrated once per test process
    engine = make_engine(f"sqlite:///{tmp_path / 'wuye.db'}")
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine),
        clock=FixedClock(datetime(2026, 10, 12, 10, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)),
        holidays=ChineseCalendarSource(),
        documents=RevenueDocuments(),
    )
    apply_setup(ctx, read_setup(SETUP))
    translations = shared_translations()
    runtime = Runtime(ctx, Core(ctx, translations), translations.for_lang, engine=engine)
    for user, name, lang in (
        (MANAGER, "王建国", "zh-hans"),
        (OWNER, "张", "zh-hans"),
        (OWNER_HANT, "何", "zh-hant"),
        (COMMITTEE, "周", "zh-hans"),
    ):
        botapi.add_user(user, name, language_code=lang)
    front = request.param(runtime, botapi.token, api_url=botapi.url, poll_timeout=1)
    await front.start()
    try:
        yield front
    finally:
        await front.stop()
        engine.dispose()


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], prefix: str) -> str:
    datas = [b["callback_data"] for b in buttons(message)]
    return next(d for d in datas if unversioned(d).startswith(prefix))


async def wait_message(botapi: StandInBotAPI, chat: int, test: Any, timeout: float = 10) -> dict[str, Any]:
    return await botapi.wait_until(
        lambda: next((m for m in botapi.sent(chat) if test(m)), None),
        timeout=timeout,
        what=f"message to {chat}",
    )


def text_of(m: dict[str, Any]) -> str:
    return str(m.get("text") or m.get("caption") or "")


@pytest.mark.parametrize("bot", [PtbFrontEnd, AiogramFrontEnd], ids=["ptb", "aiogram"], indirect=True)
async def test_a_manager_publishes_a_quarter_and_an_owner_questions_a_line(
    botapi: StandInBotAPI, bot: Any
) -> None:
    # The blank template, in the manager's language, as a real XLSX.
    botapi.push_command(MANAGER, "revenue_template")
    template = await wait_message(botapi, MANAGER, lambda m: m["method"] == "sendDocument")
    book = load_workbook(io.BytesIO(botapi.file_bytes(template["document"]["file_id"])))
    assert book.worksheets[0]["A2"].value.endswith("[quarter]")

    # A bad file first: nothing is published, the problem is named by row and column.
    bad = example_xlsx()
    botapi.push_document(MANAGER, b"%PDF-1.7 not a sheet", file_name="scan.pdf", mime_type="application/pdf")
    refusal = await wait_message(botapi, MANAGER, lambda m: "❌" in text_of(m))
    assert "xlsx" in text_of(refusal)

    botapi.push_document(MANAGER, bad, file_name="revenue-2026Q3.xlsx", mime_type=XLSX_MIME, caption="2026Q3")
    preview = await wait_message(botapi, MANAGER, lambda m: "📝" in text_of(m))
    assert "278,620.00" in text_of(preview) and "2026年第三季度" in text_of(preview)

    botapi.push_callback(MANAGER, preview["message_id"], button(preview, "rv:pub:"))
    await botapi.wait_until(
        lambda: (
            "📢" in text_of(next(m for m in botapi.sent(MANAGER) if m["message_id"] == preview["message_id"]))
        ),
        timeout=10,
        what="the preview edited to say published",
    )

    # Every owner of the estate is told, in their own language, through the outbox.
    notices = {
        chat: await wait_message(botapi, chat, lambda m: "rv:v:" in str(m.get("reply_markup")))
        for chat in (OWNER, OWNER_HANT, COMMITTEE)
    }
    assert all("278,620.00" in text_of(n) or "278,620" in text_of(n) for n in notices.values())

    # The owner opens it: the chart and the statement, then questions the management share.
    mark = botapi.mark()
    botapi.push_callback(OWNER, notices[OWNER]["message_id"], button(notices[OWNER], "rv:v:"))
    chart = await wait_message(botapi, OWNER, lambda m: m["method"] == "sendPhoto")
    png = botapi.file_bytes(chart["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG")
    statement = await wait_message(botapi, OWNER, lambda m: "rv:q:" in str(m.get("reply_markup")))
    botapi.push_callback(OWNER, statement["message_id"], button(statement, "rv:q:"))
    lines = await wait_message(botapi, OWNER, lambda m: "rv:ql:" in str(m.get("reply_markup")))
    share = next(b for b in buttons(lines) if "27,960.00" in b["text"])
    botapi.push_callback(OWNER, lines["message_id"], share["callback_data"])
    await wait_message(
        botapi, OWNER, lambda m: m["message_id"] > lines["message_id"]
    )  # "what is your question?"
    botapi.push_message(OWNER, "管理费分成为什么是15%？依据哪份合同？")
    confirmed = await wait_message(botapi, OWNER, lambda m: "HB-2026-" in text_of(m))
    found = re.search(r"HB-2026-\d+", text_of(confirmed))
    assert found is not None
    number = found.group(0)

    # The question is a ticket for the project manager (money goes to the manager, not line staff).
    ticket = await wait_message(botapi, MANAGER, lambda m: number in text_of(m))
    assert "管理费分成" in text_of(ticket) or "management_share" in text_of(ticket)
    assert botapi.mark() > mark
