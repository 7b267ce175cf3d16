"""`wuye demo`, act four: what the street office reports. A month of reports at 海滨花园 is played
through the use cases (some acknowledged late, one fixed badly and reopened, one left overdue, most
confirmed and rated); then the street official asks for the month's figures (/stats: a chart and the
三率) and its ledger (/ledger: the 台账 workbook), and on the first working day of the next month the
weekly digest and the monthly bulletin arrive by the outbox; three working days before the ledger is
due, the report calendar's draft comes, and the official confirms and sends it to the bureau."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.console.chats import ConsoleChats
from bot.delivery.report_jobs import sweep_reports
from handlers.clock import FixedClock
from handlers.rules.categories import Category, Urgency
from handlers.services import tickets
from handlers.services.context import Context
from handlers.services.digests import sweep_digests
from handlers.services.tickets import TicketDraft, open_ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
STREET = 100051
OWNERS = (200001, 200002, 100031)  # 张女士, 何先生 and 周老师, owners at 海滨花园

REPORTS: dict[str, list[tuple[Category, str]]] = {
    "zh_Hans": [
        (Category.LIGHTS, "2栋3楼楼道灯坏了一周"),
        (Category.WATER_LEAK, "地下车库B区顶板漏水"),
        (Category.ACCESS_CONTROL, "5栋单元门门禁刷卡没反应"),
        (Category.DRAINS, "1栋一楼下水道堵塞返水"),
        (Category.NOISE, "小区广场晚上十点后还在跳广场舞"),
        (Category.LIFT, "3栋电梯运行时有异响"),
    ],
    "zh_Hant": [
        (Category.LIGHTS, "2棟3樓樓道燈壞了一週"),
        (Category.WATER_LEAK, "地下車庫B區頂板漏水"),
        (Category.ACCESS_CONTROL, "5棟單元門門禁刷卡沒反應"),
        (Category.DRAINS, "1棟一樓下水道堵塞返水"),
        (Category.NOISE, "社區廣場晚上十點後還在跳廣場舞"),
        (Category.LIFT, "3棟電梯運行時有異響"),
    ],
    "en": [
        (Category.LIGHTS, "The stairwell light on floor 3 of building 2 has been out for a week."),
        (Category.WATER_LEAK, "Water leaks from the ceiling of the garage, zone B."),
        (Category.ACCESS_CONTROL, "The door card reader of building 5 does not respond."),
        (Category.DRAINS, "The drain on the ground floor of building 1 is blocked and backs up."),
        (Category.NOISE, "Square dancing goes on past ten at night."),
        (Category.LIFT, "The lift of building 3 grinds when it moves."),
    ],
}


def _month(ctx: Context, clock: FixedClock, lang: str) -> dict[str, int]:
    """Twelve reports in January 2027, handled the way a month goes: most fixed and rated in time,
    two acknowledged late, one reopened, one not acknowledged yet. Returns what happened, for the
    narration."""
    with ctx.uow() as uow:
        owners = [
            p.id for t in OWNERS if (p := uow.people.by_telegram_id(t)) is not None and p.id is not None
        ]
    told = {"reports": 0, "late": 0, "open": 0}
    for n in range(12):
        category, description = REPORTS[lang][n % len(REPORTS[lang])]
        owner = owners[n % len(owners)]
        clock.set(datetime(2027, 1, 19 + n % 9, 9 + n % 6, 10, tzinfo=SHANGHAI))
        ticket = open_ticket(ctx, owner, TicketDraft(category, Urgency.ORDINARY, description))
        tid, staff = ticket.id or 0, ticket.assignee_id or 0
        told["reports"] += 1
        if n == 11:  # nobody acts on the last one
            told["open"] += 1
            continue
        late = n in (3, 7)
        clock.advance(timedelta(days=2) if late else timedelta(minutes=40))
        told["late"] += late
        tickets.acknowledge(ctx, staff, tid)
        clock.advance(timedelta(hours=5))
        tickets.resolve(ctx, staff, tid, "已处理完毕" if lang != "en" else "Done.")
        clock.advance(timedelta(hours=2))
        if n == 5:  # not fixed: reopened, then fixed for good
            tickets.reopen(ctx, owner, tid, "还是有异响" if lang != "en" else "It still grinds.")
            tickets.acknowledge(ctx, staff, tid)
            clock.advance(timedelta(hours=3))
            tickets.resolve(ctx, staff, tid, "更换了导靴" if lang != "en" else "Guide shoes replaced.")
            clock.advance(timedelta(hours=1))
        tickets.confirm(ctx, owner, tid)
        tickets.rate(ctx, owner, tid, 3 if n in (2, 5) else 5)
    return told


async def supervision_act(
    lang: str,
    clock: FixedClock,
    chats: ConsoleChats,
    ctx: Context,
    stage: Callable[[str], None],
    t: Callable[..., str],
    out: TextIO,
    save_dir: Path,
) -> None:
    """Act four. `t` is the demo's narrator (bot/demo/story.py), passed in so this act need not import it."""
    assert chats.outbox is not None
    out.write(
        "\n\n"
        + t(
            "Act four: what the street office reports. A month of reports is played through quickly "
            "(its messages are not shown); then the official asks for the month's figures and its "
            "ledger (台账), and the digests of the first working day arrive."
        )
        + "\n"
    )
    chats.save_dir = save_dir
    before = len(chats.saved)
    stage(t("January: a month of reports at 海滨花园"))
    told = _month(ctx, clock, lang)
    clock.set(datetime(2027, 1, 29, 17, 0, tzinfo=SHANGHAI))  # what was held for a morning is due too
    sweep_reports(ctx)  # December's ledgers went up in January (unprinted with the month's messages)
    printing, chats.out = chats.out, io.StringIO()  # the month's own messages go out, unprinted
    try:
        await chats.outbox.drain()
    finally:
        chats.out = printing
    before = len(chats.saved)  # December's ledgers, sent up unprinted, are not this act's to list
    chats._print_line(
        0,
        "⚙ "
        + t(
            "{reports} reports: {late} acknowledged late, one fixed only at the second try, {open} still "
            "waiting to be acknowledged; the others confirmed by the owners and rated.",
            reports=told["reports"],
            late=told["late"],
            open=told["open"],
        ),
    )

    clock.set(datetime(2027, 2, 1, 9, 30, tzinfo=SHANGHAI))  # Monday, the first working day of February
    stage(t("the first working day of February: the weekly digest and January's bulletin"))
    sweep_digests(ctx)
    await chats.outbox.drain()

    stage(t("the street official asks for January's figures and its ledger (台账)"))
    await chats.handle(chats.incoming(STREET, "/stats 2027-01"))
    await chats.handle(chats.incoming(STREET, "/ledger 2027-01"))

    # The ledger is due by the 20th (a Saturday: so the Friday before); three working days before it,
    # the draft, which the official confirms and sends to the bureau.
    clock.set(datetime(2027, 2, 16, 9, 30, tzinfo=SHANGHAI))
    stage(
        t("three working days before the ledger is due: the draft, Confirm and send, and the bureau gets it")
    )
    sweep_reports(ctx)
    await chats.outbox.drain()
    await chats.handle(chats.press(STREET, "ru:"))
    await chats.outbox.drain()
    if chats.saved[before:]:
        out.write("\n" + t("Files the bot sent in this act were saved to:") + "\n")
        for path in chats.saved[before:]:
            out.write(f"  {path}\n")
