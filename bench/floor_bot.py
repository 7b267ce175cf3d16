"""The report flow's Bot API traffic with nothing behind it: the floor under wuye in the throughput benchmark.

    python bench/floor_bot.py --framework ptb --door polling --api-url URL --token TOKEN
    python bench/floor_bot.py --framework aiogram --door webhook --api-url URL --token TOKEN --port 8443

It answers the benchmark's owners exactly as far as Telegram can see as wuye does: the same Bot API
calls in the same order for each update (a new message for a command or a text; for a button press the
pressed message edited into the next question, then the press answered; on submit the receipt plus a
ticket card sent to a member of staff; by webhook, a press's answer rides on the HTTP reply to Telegram,
as wuye's does), with texts and keyboards of the same shape and size in
Chinese. But there is no wuye behind it: no database, no conversation state, no ticket, the reply is
chosen from the update alone. Its rate against the echo bot's is therefore the most any implementation
of this flow can reach on that framework and door; wuye's rate against its rate is what wuye's own work
costs. Same framework set-up as wuye's (concurrent updates; on PTB its HTTP requests on aiohttp,
bot/telegram/ptb_request.py; the same webhook server class as bench/echo_bot.py).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.echo_bot import SECRET, bot_arguments, serve  # noqa: E402
from bot.telegram.webhook import reply_by_webhook  # noqa: E402

STAFF = (100002, 100003)  # the example setup's two repair staff, who get the cards in turn

Rows = list[list[tuple[str, str]]]  # (text, callback data)
Action = tuple[str, int, str, Rows]  # ("send" | "edit" | "answer", chat id, text, keyboard)

CATEGORY_ROWS: Rows = [[("🚨 紧急情况：火灾、有人被困电梯、燃气泄漏", "r:emg")]] + [
    [(label, f"r:cat:{key}")]
    for key, label in (
        ("revenue_disclosure", "📊 公共收益未公示"),
        ("revenue_misuse", "💴 公共收益被挪用"),
        ("common_space", "🏢 公共部位被占用"),
        ("service_rooms", "🚪 物业用房"),
        ("maintenance_fund", "🏦 维修资金"),
        ("shared_utilities", "🚰 共用设施设备"),
        ("lift", "🛗 电梯故障或老旧"),
        ("fire_safety", "🧯 消防安全"),
        ("service_quality", "🙋 服务质量"),
        ("unlawful_fees", "🧾 违规收费"),
        ("notices", "📋 信息公示"),
        ("owners_committee", "👥 业主委员会"),
        ("safety_hazard", "⚠️ 安全隐患"),
        ("other", "📝 其他问题"),
    )
]
PROMPT_PHOTOS = "如有需要，可发送照片（最多 5 张），发完后点击“完成”；不发照片请点击“跳过”。"
PRIVACY = (
    "紧急程度：一般\n\n谁可以看到您的姓名？投诉人受到保护，请按您的意愿选择。\n\n"
    "• 向所有经办人员显示我的姓名\n"
    "  物业人员、项目经理以及社区、街道和区里的工作人员都能看到您的姓名和房号。\n\n"
    "• 只向政府方面显示我的姓名\n"
    "  物业公司只看到“某业主”；社区、街道和区里的工作人员能看到您的姓名和房号。\n\n"
    "• 不向任何人显示我的姓名\n"
    "  任何人都看不到您的姓名和房号，政府工作人员也看不到；机器人代为转达消息，不透露您的身份。"
)
DRAFT = (
    "问题类别：电梯故障或老旧\n紧急程度：一般\n位置：—\n照片：0 张\n"
    "姓名可见范围：不向任何人显示我的姓名\n\n3号楼B梯停在8楼不动，按钮没有反应。"
)
RECEIPT = (
    "报事已提交。\n\n" + DRAFT + "\n\n"
    "您的报事编号是 HB-2026-000001，请保存好，电话咨询时可报此编号。\n"
    "须在 2026年12月3日 09:00 前办结（时限 7 个工作日）。"
    "每一步进展我都会通知您；发送 /my 可查看进度。"
)
CARD = (
    "🆕 您有新工单：\n\n🛗 HB-2026-000001 · 电梯故障或老旧\n状态：已派单 · 一般\n小区：海滨花园\n"
    "报事人：某业主（应本人要求不显示姓名）\n\n3号楼B梯停在8楼不动，按钮没有反应。\n\n"
    "签收时限：2026年11月25日 09:00\n办理时限：2026年12月3日 09:00\n承办人：李师傅（维修）"
)
CARD_ROWS: Rows = [
    [("✅ 签收", "ak:1")],
    [("↪️ 改派", "tr:1"), ("⏳ 申请延期", "xq:1")],
    [("🕘 办理记录", "tl:1")],
]
ASK_DESCRIPTION = "问题类别：电梯故障或老旧\n\n请用几句话描述问题：什么问题、从什么时候开始、对您有什么影响。"
SUMMARY = "请核对您的报事内容：\n\n" + DRAFT


def replies(chat_id: int, text: str | None, data: str | None, pressed: str | None) -> list[Action]:
    """What wuye would do for this update of the benchmark's join and report flows, from the update alone."""
    if data is None:
        text = text or ""
        if text.startswith("/start"):
            return [("send", chat_id, "欢迎使用物业服务台。请告诉我您的房号，例如 3栋2单元501。", [])]
        if text.startswith("/report"):
            return [("send", chat_id, "请问您要反映哪类问题？（发送 /cancel 退出）", CATEGORY_ROWS)]
        if "栋" in text and "单元" in text and len(text) < 20:
            rows = [[("简体中文", "lg:zh_Hans")], [("繁體中文", "lg:zh_Hant")], [("English", "lg:en")]]
            return [("send", chat_id, f"房号：{text}\n\n请选择语言 / 請選擇語言 / Choose a language", rows)]
        return [("send", chat_id, PROMPT_PHOTOS, [[("跳过", "r:skip"), ("完成", "r:done")]])]
    if data.startswith("lg:"):
        edit: Action = ("edit", chat_id, "设置完成。发送 /report 报事，发送 /my 查看报事进度。", [])
    elif data.startswith("r:cat:"):
        edit = ("edit", chat_id, ASK_DESCRIPTION, [])
    elif data == "r:skip" and pressed == PROMPT_PHOTOS:
        edit = ("edit", chat_id, "具体在哪里？（例如：3栋B梯；地下车库C排）", [[("⏭️ 跳过", "r:skip")]])
    elif data == "r:skip":
        edit = ("edit", chat_id, "情况有多紧急？", [[("紧急", "r:urg:urgent")], [("一般", "r:urg:ordinary")]])
    elif data.startswith("r:urg:"):
        rows = [
            [(name, f"r:prv:{key}")]
            for key, name in (
                ("public", "向所有经办人员显示我的姓名"),
                ("government", "只向政府方面显示我的姓名"),
                ("nobody", "不向任何人显示我的姓名"),
            )
        ]
        edit = ("edit", chat_id, PRIVACY, rows)
    elif data.startswith("r:prv:"):
        edit = ("edit", chat_id, SUMMARY, [[("📨 提交", "r:ok"), ("✏️ 修改", "r:edit")]])
    elif data == "r:ok":
        card = ("send", STAFF[chat_id % len(STAFF)], CARD, CARD_ROWS)
        return [("edit", chat_id, RECEIPT, []), ("answer", chat_id, "", []), card]
    else:
        return [("answer", chat_id, "", [])]
    return [edit, ("answer", chat_id, "", [])]


def _answered_by_webhook(query_id: str) -> bool:
    """By webhook a press's answer rides on the HTTP reply to Telegram, as wuye's does."""
    return reply_by_webhook("answerCallbackQuery", {"callback_query_id": query_id})


async def _ptb(api_url: str, token: str, door: str, port: int | None) -> tuple[Any, Any]:
    """(feed or None, stop) of the flow on python-telegram-bot."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    from bot.telegram.ptb_request import AiohttpRequest

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
        .request(AiohttpRequest())  # wuye's requests (bot/telegram/ptb_request.py)
        .get_updates_request(AiohttpRequest(slots=1))
    )
    if door == "webhook":
        builder = builder.updater(None)
    app = builder.build()

    def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
        return (
            InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])
            if rows
            else None
        )

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, message, bot = update.callback_query, update.effective_message, context.bot
        if message is None:
            return
        if query is not None:
            pressed = getattr(query.message, "text", None)
            actions = replies(message.chat_id, None, query.data, pressed)
        else:
            actions = replies(message.chat_id, message.text, None, None)
        for kind, chat_id, text, rows in actions:
            if kind == "send":
                await bot.send_message(chat_id, text, reply_markup=keyboard(rows))
            elif kind == "edit":
                await bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message.message_id, reply_markup=keyboard(rows)
                )
            elif query is not None and not _answered_by_webhook(query.id):
                await bot.answer_callback_query(query.id)

    app.add_handler(TypeHandler(Update, handle))
    await app.initialize()
    await app.start()
    feed = None
    if door == "webhook":
        await app.bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)

        async def feed(data: dict[str, Any]) -> None:
            update = Update.de_json(data, app.bot)
            if update is not None:
                await app.process_update(update)
    else:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)

    async def stop() -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return feed, stop


async def _aiogram(api_url: str, token: str, door: str, port: int | None) -> tuple[Any, Any]:
    """(feed or None, stop) of the flow on aiogram."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()

    def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
        buttons = [[InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows]
        return InlineKeyboardMarkup(inline_keyboard=buttons) if rows else None

    async def perform(actions: list[Action], message_id: int, query: CallbackQuery | None) -> None:
        for kind, chat_id, text, rows in actions:
            if kind == "send":
                await bot.send_message(chat_id, text, reply_markup=keyboard(rows))
            elif kind == "edit":
                await bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard(rows)
                )
            elif query is not None and not _answered_by_webhook(query.id):
                await bot.answer_callback_query(query.id)

    async def on_message(message: Message) -> None:
        await perform(replies(message.chat.id, message.text, None, None), message.message_id, None)

    async def on_press(query: CallbackQuery) -> None:
        pressed = query.message
        if isinstance(pressed, Message):
            actions = replies(pressed.chat.id, None, query.data, pressed.text)
            await perform(actions, pressed.message_id, query)

    dispatcher.message.register(on_message)
    dispatcher.callback_query.register(on_press)
    feed = polling = None
    if door == "webhook":
        await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token=SECRET)

        async def feed(data: dict[str, Any]) -> None:
            await dispatcher.feed_raw_update(bot, data)
    else:
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=10))

    async def stop() -> None:
        if polling is not None:
            await dispatcher.stop_polling()
            await polling
        await bot.session.close()

    return feed, stop


async def main(argv: list[str] | None = None) -> int:
    args = bot_arguments(__doc__ or "", argv)
    start = _ptb if args.framework == "ptb" else _aiogram
    feed, stop_bot = await start(args.api_url, args.token, args.door, args.port)
    await serve("floor bot", feed, stop_bot, args.port, args.frozen_heap)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
