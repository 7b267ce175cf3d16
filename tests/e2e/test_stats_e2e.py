"""/stats end to end: the real python-telegram-bot and aiogram stacks against the stand-in Bot API. A
street official asks for last month's figures and gets the report, then the chart as a photo (a PNG that
opens), ranks it by another rate (the report edited in place), and asks for an estate of another
street (refused)."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

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
from handlers.services import tickets
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
STREET, OWNER = 100051, 200001


def december(ctx: Context, clock: FixedClock) -> None:
    """Three reports at 海滨花园 in December 2026: two acknowledged at once, one left waiting."""
    with ctx.uow() as uow:
        owner = uow.people.by_telegram_id(OWNER)
        assert owner is not None and owner.id is not None
    for day in (1, 2, 3):
        clock.set(datetime(2026, 12, day, 10, tzinfo=SH))
        ticket = open_ticket(ctx, owner.id, TicketDraft(Category.LIFT, Urgency.URGENT, "3栋电梯门关不上"))
        if day < 3:
            tickets.acknowledge(ctx, ticket.assignee_id or 0, ticket.id or 0)
    clock.set(datetime(2027, 1, 5, 10, tzinfo=SH))


@pytest.fixture
async def bot(botapi: StandInBotAPI, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    shutil.copyfile(TEMPLATES.migrated_sqlite(), tmp_path / "wuye.db")  # migrated once per test process
    engine = make_engine(f"sqlite:///{tmp_path / 'wuye.db'}")
    clock = FixedClock(datetime(2026, 11, 23, 10, tzinfo=SH).astimezone(UTC))
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine),
        clock=clock,
        holidays=ChineseCalendarSource(),
        documents=RevenueDocuments(),
    )
    apply_setup(ctx, read_setup(SETUP))
    december(ctx, clock)
    translations = shared_translations()
    runtime = Runtime(ctx, Core(ctx, translations), translations.for_lang, engine=engine)
    botapi.add_user(STREET, "吴科长", language_code="zh-hans")
    front = request.param(runtime, botapi.token, api_url=botapi.url, poll_timeout=1)
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


async def wait_message(botapi: StandInBotAPI, chat: int, test: Any, timeout: float = 15) -> dict[str, Any]:
    return await botapi.wait_until(
        lambda: next((m for m in botapi.sent(chat) if test(m)), None),
        timeout=timeout,
        what=f"message to {chat}",
    )


@pytest.mark.parametrize("bot", [PtbFrontEnd, AiogramFrontEnd], ids=["ptb", "aiogram"], indirect=True)
async def test_a_street_official_asks_for_stats_and_gets_the_figures_and_a_chart_photo(
    botapi: StandInBotAPI, bot: Any
) -> None:
    botapi.push_command(STREET, "stats")
    chart = await wait_message(botapi, STREET, lambda m: m["method"] == "sendPhoto")
    assert text_of(chart) == "嘉莲街道办事处2026年12月各小区三率"
    png = botapi.file_bytes(chart["photo"][-1]["file_id"])
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width > 600
    report = await wait_message(botapi, STREET, lambda m: text_of(m).startswith("📊"))
    # the figures first (the answer does not wait on the drawing), then the chart, through the outbox
    assert report["message_id"] < chart["message_id"]
    body = text_of(report)
    assert "受理 3 件" in body and "按时响应：2/3（样本数少于 5，不参与排名）" in body
    assert "• 莲花社区居委会：受理 3 件" in body

    # Ranked by satisfaction instead: the same message, edited in place.
    by_satisfaction = next(d for d in datas(report) if unversioned(d).endswith(":s:1"))
    botapi.push_callback(STREET, report["message_id"], by_satisfaction)
    await botapi.wait_until(
        lambda: any(
            m["message_id"] == report["message_id"] and "小区按满意率排名" in text_of(m)
            for m in botapi.sent(STREET)
        ),
        timeout=15,
        what="the report ranked by satisfaction",
    )

    # Another street's estate: refused in words, no chart.
    photos = sum(1 for m in botapi.sent(STREET) if m["method"] == "sendPhoto")
    botapi.push_command(STREET, "stats", "2026-12 前埔阳光城")
    await wait_message(botapi, STREET, lambda m: "您无权查看这些数据" in text_of(m))
    assert sum(1 for m in botapi.sent(STREET) if m["method"] == "sendPhoto") == photos


@pytest.mark.parametrize("bot", [PtbFrontEnd, AiogramFrontEnd], ids=["ptb", "aiogram"], indirect=True)
async def test_a_street_official_asks_for_the_ledger_and_gets_a_workbook_that_opens_and_the_same_again(
    botapi: StandInBotAPI, bot: Any
) -> None:
    from openpyxl import load_workbook

    botapi.push_command(STREET, "ledger", "2026-12")
    sent = await wait_message(botapi, STREET, lambda m: m["method"] == "sendDocument")
    data = botapi.file_bytes(sent["document"]["file_id"])
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["问题台账", "成果指标", "典型案例"]
    rows = [r for r in book["问题台账"].iter_rows(values_only=True) if r and str(r[0]).startswith("HB-")]
    assert len(rows) == 3  # the three December reports at 海滨花园
    # Asked again: the same bytes (that they come from the kept version is tests/service/test_ledger.py's).
    botapi.push_command(STREET, "ledger", "2026-12")
    again = await botapi.wait_until(
        lambda: [m for m in botapi.sent(STREET) if m["method"] == "sendDocument"][1:],
        timeout=15,
        what="the ledger sent again",
    )
    assert botapi.file_bytes(again[0]["document"]["file_id"]) == data
