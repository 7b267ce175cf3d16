"""The report calendar end to end: the real python-telegram-bot and aiogram stacks against the stand-in
Bot API. On the draft day (11 February 2026: the Spring Festival moved the due day to the 14th) the street
official gets the draft ledger and a message with Confirm and send; pressing it sends the kept file to
the bureau official, who gets a workbook that opens, byte for byte the one the street official saw. The
same for a quarterly line (`every: quarter`, due 5 April, 清明: the 3rd, drafted on 1 April)."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.documents.revenue_files import RevenueDocuments
from bot.documents.setup_file import read_setup
from bot.holidays import ChineseCalendarSource
from bot.telegram.front_aiogram import AiogramFrontEnd
from bot.telegram.front_ptb import PtbFrontEnd
from bot.telegram.runtime import Runtime
from handlers.clock import FixedClock
from handlers.conversations.buttons import unversioned
from handlers.conversations.core import Core
from handlers.rules.categories import Category, Urgency
from handlers.services.context import Context
from handlers.services.setup import apply_setup
from handlers.services.tickets import TicketDraft, open_ticket
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.support.botapi import StandInBotAPI
from tests.support.databases import TEMPLATES
from tests.support.translations import shared_translations

pytestmark = pytest.mark.e2e

SETUP = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
SH = ZoneInfo("Asia/Shanghai")
STREET, BUREAU, OWNER = 100051, 100061, 200001


QUARTERLY = "\nreports:\n  - {office: street, report: ledger, due: 5, every: quarter}\n"
DRAFT_DAYS = {
    "month": datetime(2026, 2, 11, 9, 30, tzinfo=SH),
    "quarter": datetime(2026, 4, 1, 9, 30, tzinfo=SH),
}


@pytest.fixture
async def bot(botapi: StandInBotAPI, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """request.param: the front end, or (the front end, "quarter") for the quarterly line."""
    front_end, cadence = request.param if isinstance(request.param, tuple) else (request.param, "month")
    setup = SETUP
    if cadence == "quarter":
        setup = tmp_path / "setup.yaml"
        setup.write_text(SETUP.read_text(encoding="utf-8") + QUARTERLY, encoding="utf-8")
    shutil.copyfile(TEMPLATES.migrated_sqlite(), tmp_path / "wuye.db")  # migrated once per test process
    engine = make_engine(f"sqlite:///{tmp_path / 'wuye.db'}")
    clock = FixedClock(datetime(2026, 1, 5, 10, tzinfo=SH).astimezone(UTC))
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine),
        clock=clock,
        holidays=ChineseCalendarSource(),
        documents=RevenueDocuments(),
    )
    apply_setup(ctx, read_setup(setup))
    with ctx.uow() as uow:
        owner = uow.people.by_telegram_id(OWNER)
        assert owner is not None and owner.id is not None
    open_ticket(ctx, owner.id, TicketDraft(Category.LIFT, Urgency.ORDINARY, "3栋电梯门关不上，一直响警报"))
    clock.set(DRAFT_DAYS[cadence])  # the draft day: the scheduler drafts at start
    translations = shared_translations()
    runtime = Runtime(ctx, Core(ctx, translations), translations.for_lang, engine=engine)
    botapi.add_user(STREET, "吴科长", language_code="zh-hans")
    botapi.add_user(BUREAU, "郑处长", language_code="zh-hans")
    front = front_end(runtime, botapi.token, api_url=botapi.url, poll_timeout=1)
    await front.start()
    try:
        yield front
    finally:
        await front.stop()
        engine.dispose()


def text_of(m: dict[str, Any]) -> str:
    return str(m.get("text") or m.get("caption") or "")


def datas(m: dict[str, Any]) -> list[str]:
    markup = m.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def wait_message(botapi: StandInBotAPI, chat: int, test: Any, timeout: float = 30) -> dict[str, Any]:
    return await botapi.wait_until(
        lambda: next((m for m in botapi.sent(chat) if test(m)), None),
        timeout=timeout,
        what=f"message to {chat}",
    )


@pytest.mark.parametrize("bot", [PtbFrontEnd, AiogramFrontEnd], ids=["ptb", "aiogram"], indirect=True)
async def test_the_street_official_confirms_the_draft_and_the_bureau_official_gets_the_file(
    botapi: StandInBotAPI, bot: Any
) -> None:
    from openpyxl import load_workbook

    draft = await wait_message(
        botapi,
        STREET,
        lambda m: m["method"] == "sendDocument" and "嘉莲街道办事处2026年1月台账草稿" in text_of(m),
    )
    draft_bytes = botapi.file_bytes(draft["document"]["file_id"])
    ask = await wait_message(
        botapi, STREET, lambda m: any(unversioned(d).startswith("ru:") for d in datas(m))
    )
    assert "应于 2026年2月14日 报送至思明区建设局" in text_of(ask) and "受理 1 件" in text_of(ask)
    assert not [m for m in botapi.sent(BUREAU) if "嘉莲街道办事处报送了" in text_of(m)]

    [confirm] = [d for d in datas(ask) if unversioned(d).startswith("ru:")]
    botapi.push_callback(STREET, ask["message_id"], confirm)
    up = await wait_message(
        botapi, BUREAU, lambda m: m["method"] == "sendDocument" and "嘉莲街道办事处报送了" in text_of(m)
    )
    assert "由 吴科长（嘉莲街道） 于" in text_of(up)
    data = botapi.file_bytes(up["document"]["file_id"])
    assert data == draft_bytes  # what went up is what the street official checked
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["问题台账", "成果指标", "典型案例"]
    rows = [r for r in book["问题台账"].iter_rows(values_only=True) if r and str(r[0]).startswith("HB-")]
    assert len(rows) == 1
    # the draft's message now says it was sent, without the button
    await botapi.wait_until(
        lambda: any(
            m["message_id"] == ask["message_id"] and text_of(m).startswith("✅ 已报送") and not datas(m)
            for m in botapi.sent(STREET)
        ),
        timeout=30,
        what="the draft marked as sent",
    )


@pytest.mark.parametrize(
    "bot", [(PtbFrontEnd, "quarter"), (AiogramFrontEnd, "quarter")], ids=["ptb", "aiogram"], indirect=True
)
async def test_a_quarterly_ledger_is_drafted_confirmed_and_received_as_the_quarters(
    botapi: StandInBotAPI, bot: Any
) -> None:
    from openpyxl import load_workbook

    draft = await wait_message(
        botapi,
        STREET,
        lambda m: m["method"] == "sendDocument" and "嘉莲街道办事处2026年第一季度台账草稿" in text_of(m),
    )
    ask = await wait_message(
        botapi, STREET, lambda m: any(unversioned(d).startswith("ru:") for d in datas(m))
    )
    assert text_of(ask).startswith("📒 嘉莲街道办事处2026年第一季度台账应于 2026年4月3日 报送至思明区建设局")
    assert "/ledger 2026Q1 new" in text_of(ask)
    [confirm] = [d for d in datas(ask) if unversioned(d).startswith("ru:")]
    botapi.push_callback(STREET, ask["message_id"], confirm)
    up = await wait_message(
        botapi,
        BUREAU,
        lambda m: m["method"] == "sendDocument" and "嘉莲街道办事处报送了2026年第一季度台账" in text_of(m),
    )
    data = botapi.file_bytes(up["document"]["file_id"])
    assert data == botapi.file_bytes(draft["document"]["file_id"])
    book = load_workbook(io.BytesIO(data), read_only=True)
    [title] = next(book["问题台账"].iter_rows(max_row=1, max_col=1, values_only=True))
    assert "2026年第一季度" in str(title)
