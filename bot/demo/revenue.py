"""`wuye demo`, act three: a quarter of public revenue imported, previewed, published; owners told; the
chart drawn; an owner questions a line and it becomes a ticket; the street office sees the area."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.console.chats import ConsoleChats
from bot.demo.revenue_examples import example_rows
from bot.documents.revenue_files import write_xlsx
from handlers.clock import FixedClock
from handlers.ports import Translator
from handlers.services.context import Context
from handlers.services.revenue_deadlines import sweep_deadlines

SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER, MANAGER, STREET = 200001, 100001, 100051

QUESTION: dict[str, str] = {
    "zh_Hans": "物业公司的管理分成27,960元是按什么比例算的？合同哪一条约定的？",
    "zh_Hant": "物業公司的管理分成27,960元是按什麼比例算的？合同哪一條約定的？",
    "en": "How was the company's share of 27,960 yuan worked out, and which clause of the contract says so?",
}


async def revenue_act(
    lang: str,
    clock: FixedClock,
    chats: ConsoleChats,
    ctx: Context,
    stage: Callable[[str], None],
    t: Callable[..., str],
    out: TextIO,
    tr: Translator,
    save_dir: Path,
) -> None:
    """Act three. The clock moves to January 2027: 2026Q4 is due on 15 January. `t` is the demo's
    narrator (bot/demo/story.py), passed in so that this act need not import the demo back."""
    assert chats.outbox is not None
    out.write(
        "\n\n"
        + t(
            "Act three: public revenue in the open (公共收益公示). The quarter's disclosure is due on the "
            "15th of the month after it; the sweep reminds the project manager on working days."
        )
        + "\n"
    )
    chats.save_dir = save_dir
    clock.set(datetime(2027, 1, 8, 9, 30, tzinfo=SHANGHAI))
    stage(t("five working days before the due date: a reminder to the project manager"))
    report = sweep_deadlines(ctx)
    for key, quarter, days in report.reminded:
        line = t(
            "{estate} {quarter}: reminder, {days} working days before the due date",
            estate=_estate_name(ctx, key),
            quarter=quarter,
            days=days,
        )
        chats._print_line(0, f"⚙ {line}")
    await chats.outbox.drain()

    clock.set(datetime(2027, 1, 11, 10, 0, tzinfo=SHANGHAI))
    stage(t("the project manager fills in the template and sends it; a preview, then publish"))
    await chats.handle(chats.incoming(MANAGER, "/revenue_template"))
    data = write_xlsx(example_rows(tr, "2026Q4"))
    await chats.handle(chats.document(MANAGER, data, "revenue-2026Q4.xlsx", "2026Q4"))
    await chats.handle(chats.press(MANAGER, "rv:pub:"))

    clock.set(datetime(2027, 1, 11, 19, 40, tzinfo=SHANGHAI))
    stage(t("an owner opens it: the chart, the statement, on time or late"))
    await chats.handle(chats.press(OWNER, "rv:v:"))

    stage(t("the owner questions a line: it becomes a ticket for the project manager"))
    await chats.handle(chats.press(OWNER, "rv:q:"))
    with ctx.uow() as uow:
        estate = uow.estates.by_key("haibin")
        published = uow.disclosures.published(estate.id or 0, "revenue") if estate else []
    share = next(x for x in published[0].lines if x.item == "management_share")
    await chats.handle(chats.press(OWNER, f"rv:ql:{share.id}"))
    await chats.handle(chats.incoming(OWNER, QUESTION[lang]))

    clock.set(datetime(2027, 1, 18, 9, 30, tzinfo=SHANGHAI))
    stage(t("after the due date: the sweep marks who did not publish; the street office sees the area"))
    report = sweep_deadlines(ctx)
    for key, quarter in report.missed:
        line = t(
            "{estate} {quarter}: not published by the due date — marked, community and street told",
            estate=_estate_name(ctx, key),
            quarter=quarter,
        )
        chats._print_line(0, f"⚙ {line}")
    await chats.outbox.drain()
    await chats.handle(chats.incoming(STREET, "/disclosure 2026Q4"))
    if chats.saved:
        out.write("\n" + t("Files the bot sent in this act were saved to:") + "\n")
        for path in chats.saved:
            out.write(f"  {path}\n")


def _estate_name(ctx: Context, key: str) -> str:
    """The estate's name, as people call it, for the sweep's lines (the sweep reports keys)."""
    with ctx.uow() as uow:
        estate = uow.estates.by_key(key)
    return estate.name if estate is not None else key
