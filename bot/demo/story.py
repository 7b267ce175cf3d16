"""`wuye demo`: the main story, offline, on a temporary SQLite database and a controlled clock."""

from __future__ import annotations

import asyncio
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import load_settings
from bot.console.chats import ConsoleChats, action_text, describe
from bot.delivery.outbox import Outbox
from bot.delivery.pace import console_pace
from bot.demo.revenue import revenue_act
from bot.demo.supervision import supervision_act
from bot.documents.setup_file import read_setup
from bot.i18n.translator import load_translations
from bot.wiring import build_app
from handlers.clock import FixedClock
from handlers.conversations.core import Core
from handlers.conversations.labels import label
from handlers.ports import Translator
from handlers.services.context import Context
from handlers.services.setup import apply_setup
from handlers.text import N_

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in Xiamen, so the working-day arithmetic is easy to follow.
START = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)

OWNER, REPAIR, MANAGER, COMMUNITY = 200001, 100002, 100001, 100041
NEIGHBOUR, SERVICE, STREET, BUREAU, CHENGGUAN = 200002, 100004, 100051, 100061, 100071

SCRIPT: dict[str, dict[str, str]] = {
    "zh_Hans": {
        "description": "3号楼B梯从昨晚起停在8楼不动，按钮没反应，老人上下楼很困难。",
        "place": "3栋B梯",
        "question": "请问是3栋的哪一台电梯？B梯的门能打开吗？",
        "answer": "是B梯，门关着打不开，A梯正常。",
        "note": "更换了B梯的门机控制板，已试运行正常。",
        "comment": "师傅很负责，谢谢！",
    },
    "zh_Hant": {
        "description": "3號樓B梯從昨晚起停在8樓不動，按鈕沒反應，老人上下樓很困難。",
        "place": "3棟B梯",
        "question": "請問是3棟的哪一台電梯？B梯的門能打開嗎？",
        "answer": "是B梯，門關着打不開，A梯正常。",
        "note": "更換了B梯的門機控制板，已試運行正常。",
        "comment": "師傅很負責，謝謝！",
    },
    "en": {
        "description": "Lift B in building 3 is stuck on floor 8 since last night; the buttons do nothing.",
        "place": "Building 3, lift B",
        "question": "Which lift in building 3 exactly? Does the door of lift B open?",
        "answer": "Lift B; the door stays shut. Lift A works.",
        "note": "Replaced the door controller board of lift B; test runs are normal.",
        "comment": "Quick and careful, thank you!",
    },
}


# What the example setup creates, as the demo's first lines count it.
SETUP_KINDS = {
    "offices": N_("offices"),
    "companies": N_("companies"),
    "estates": N_("estates"),
    "people": N_("people"),
    "roles": N_("roles"),
    "policies": N_("policies"),
    "calendar": N_("calendar"),
}


def narrator(tr: Translator) -> Callable[..., str]:
    """The demo's own lines in the chosen language (the chats are the bot's, already translated)."""

    def t(message: str, **params: object) -> str:
        text = tr.gettext(message)
        return text.format(**params) if params else text

    return t


def run_demo(lang: str, keep: Path | None, out: TextIO) -> None:
    with tempfile.TemporaryDirectory(prefix="wuye-demo-") as tmp:
        db = keep or Path(tmp) / "demo.db"
        asyncio.run(_story(lang, db, out))
    tr = load_translations().for_lang(lang)  # type: ignore[arg-type]
    out.write("\n" + web_hint(tr, keep) + "\n")


def web_hint(tr: Translator, keep: Path | None) -> str:
    """How to look at the story in a browser: on the kept database, the commands to type as they are
    (the program as it was started, each with the database named); without one, how to keep it."""
    program = shlex.quote(sys.argv[0]) if Path(sys.argv[0]).name == "wuye" else "wuye"
    if keep is None:
        return tr.gettext(
            "To look at this story in a browser, play it again with {command}: the database is kept and the "
            "web pages' address is printed at the end."
        ).format(command=f"{program} demo --keep wuye-demo.db")
    database = "WUYE_DATABASE_URL=" + shlex.quote(f"sqlite:///{keep.resolve()}")
    return tr.gettext(
        "Try the web pages on this database: {command} and open http://127.0.0.1:8090/ ; sign in "
        "with the code that {invite} prints (the street official), or join as an owner with the "
        "estate's code {code}."
    ).format(
        command=f"{database} {program} web --listen 127.0.0.1:8090",
        invite=f"{database} {program} invite web --person wu-street",
        code="EHB7QK4M9W",
    )


async def _story(lang: str, db: Path, out: TextIO) -> None:
    settings = load_settings(database_url=f"sqlite:///{db}", data_dir=db.parent)
    clock = FixedClock(START)
    app = build_app(settings, clock=clock)
    report = apply_setup(app.ctx, read_setup(EXAMPLE))
    translations = load_translations(tz=settings.zone)
    core = Core(app.ctx, translations)
    with app.ctx.uow() as uow:  # everyone reads the story in its language, not only the cast
        for person in uow.people.with_roles():
            person.language = lang
            uow.people.save(person)
        uow.commit()
    tr = translations.for_lang(lang)  # type: ignore[arg-type]
    # Every chat is headed by its owner's name and role, never by a Telegram id.
    chats = ConsoleChats(core, out, describe=lambda chat_id: describe(app.ctx, tr, chat_id))
    chats.outbox = Outbox(app.ctx, translations.for_lang, chats.deliver, limiter=console_pace())
    s = SCRIPT[lang]

    def stage(title: str) -> None:
        local = clock.now().astimezone(SHANGHAI)
        out.write(f"\n\n════ {local:%Y-%m-%d %H:%M} (Asia/Shanghai) · {title} ════\n")
        chats._last_chat = 0

    t = narrator(tr)
    out.write(
        t("wuye demo: an owner reports a broken lift; staff acknowledge, ask, fix; the owner confirms.")
        + "\n"
    )
    counted = [t("{n} {kind}", n=n, kind=label(tr, SETUP_KINDS, k)) for k, n in report.created.items()]
    out.write(t("Example setup loaded: {what}.", what=t(", ").join(counted)) + "\n")

    stage(t("the owner reports"))
    await chats.handle(chats.incoming(OWNER, "/report"))
    await chats.handle(chats.press(OWNER, "r:cat:lift"))
    await chats.handle(chats.incoming(OWNER, s["description"]))
    await chats.handle(chats.incoming(OWNER, "photo"))
    await chats.handle(chats.press(OWNER, "r:done"))
    await chats.handle(chats.incoming(OWNER, s["place"]))
    await chats.handle(chats.press(OWNER, "r:urg:urgent"))
    await chats.handle(chats.press(OWNER, "r:prv:government"))
    await chats.handle(chats.press(OWNER, "r:ok"))

    clock.advance(timedelta(minutes=20))
    stage(t("the repair technician acknowledges (签收) and starts"))
    await chats.handle(chats.press(REPAIR, "ak:"))
    await chats.handle(chats.press(REPAIR, "st:"))

    clock.advance(timedelta(minutes=10))
    stage(t("staff ask the owner; the clock pauses"))
    await chats.handle(chats.press(REPAIR, "as:"))
    await chats.handle(chats.incoming(REPAIR, s["question"]))
    clock.advance(timedelta(minutes=45))
    await chats.handle(chats.press(OWNER, "rp:"))
    await chats.handle(chats.incoming(OWNER, s["answer"]))

    clock.advance(timedelta(minutes=30))
    stage(t("who sees whom: the community sees the owner's name, the company does not"))
    await chats.handle(chats.incoming(COMMUNITY, "/area"))
    await chats.handle(chats.press(COMMUNITY, "cd:"))

    clock.advance(timedelta(hours=2, minutes=30))
    stage(t("staff resolve with a note and a photo"))
    await chats.handle(chats.press(REPAIR, "rs:"))
    await chats.handle(chats.incoming(REPAIR, s["note"]))
    await chats.handle(chats.incoming(REPAIR, "photo"))

    clock.advance(timedelta(minutes=30))
    stage(t("the owner confirms and rates"))
    await chats.handle(chats.press(OWNER, "cf:"))
    await chats.handle(chats.press(OWNER, "rt:", suffix=":5"))
    await chats.handle(chats.incoming(OWNER, s["comment"]))

    stage(t("the record: the owner's /my and the ticket's timeline"))
    await chats.handle(chats.incoming(OWNER, "/my"))
    await chats.handle(chats.press(OWNER, "mt:"))
    await _ladder_act(lang, clock, chats, app.ctx, stage, out, tr)
    await revenue_act(
        lang,
        clock,
        chats,
        app.ctx,
        stage,
        t,
        out,
        tr,
        Path.cwd() / "wuye-demo",
    )
    await supervision_act(lang, clock, chats, app.ctx, stage, t, out, Path.cwd() / "wuye-demo")
    out.write(
        "\n"
        + t(
            "Everything above was stored in a SQLite database and went through the same core the "
            "Telegram front ends use."
        )
        + "\n"
    )


LADDER_SCRIPT: dict[str, dict[str, str]] = {
    "zh_Hans": {
        "description": "5栋架空层被物业出租给别人开了棋牌室，没有经过业主大会表决，晚上很吵。",
        "urge": "请物业两个工作日内说明架空层出租情况并恢复原状。",
        "transfer": "请城管到现场核查架空层违规经营，并反馈处理结果。",
        "note": "城管已责令棋牌室停业，架空层恢复为公共活动区。",
    },
    "zh_Hant": {
        "description": "5棟架空層被物業出租給別人開了棋牌室，沒有經過業主大會表決，晚上很吵。",
        "urge": "請物業兩個工作日內說明架空層出租情況並恢復原狀。",
        "transfer": "請城管到現場核查架空層違規經營，並回饋處理結果。",
        "note": "城管已責令棋牌室停業，架空層恢復為公共活動區。",
    },
    "en": {
        "description": "The ground floor of building 5 was let as a mahjong parlour without an owners' vote.",
        "urge": "Explain the letting of the ground floor within two working days and restore it.",
        "transfer": "City management: inspect the unlawful business on site and report back.",
        "note": "City management closed the parlour; the ground floor is a common area again.",
    },
}


async def _ladder_act(
    lang: str,
    clock: FixedClock,
    chats: ConsoleChats,
    ctx: Context,
    stage: Callable[[str], None],
    out: TextIO,
    tr: Translator,
) -> None:
    """Act two: nobody acts on a report, and the ladder climbs until the district supervises it."""
    outbox = chats.outbox  # set by _story, before the acts
    assert outbox is not None
    from handlers.services.ladder import sweep

    s = LADDER_SCRIPT[lang]
    t = narrator(tr)
    out.write(
        "\n\n"
        + t(
            "Act two: a report nobody acknowledges. The clock runs fast; the sweep runs as it would "
            "every few seconds in `wuye run`."
        )
        + "\n"
    )

    async def at(moment: datetime, title: str) -> None:
        clock.set(moment)
        stage(t(title))
        done = sweep(ctx)
        for number, action in done.steps:
            chats._print_line(0, f"⚙ {number}: {action_text(tr, action)}")
        await outbox.drain()

    await at(
        datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI),
        N_("an owner reports common space let out without a vote"),
    )
    await chats.handle(chats.incoming(NEIGHBOUR, "/report"))
    await chats.handle(chats.press(NEIGHBOUR, "r:cat:common_space"))
    await chats.handle(chats.incoming(NEIGHBOUR, s["description"]))
    await chats.handle(chats.press(NEIGHBOUR, "r:skip"))
    await chats.handle(chats.press(NEIGHBOUR, "r:skip"))
    await chats.handle(chats.press(NEIGHBOUR, "r:urg:ordinary"))
    await chats.handle(chats.press(NEIGHBOUR, "r:prv:nobody"))
    await chats.handle(chats.press(NEIGHBOUR, "r:ok"))
    await at(
        datetime(2026, 12, 1, 9, 5, tzinfo=SHANGHAI),
        N_("not acknowledged within a working day: the project manager"),
    )
    await at(datetime(2026, 12, 10, 9, 5, tzinfo=SHANGHAI), N_("half the time has passed: a reminder"))
    await at(
        datetime(2026, 12, 21, 9, 5, tzinfo=SHANGHAI), N_("the deadline passes: the community committee")
    )
    await chats.handle(chats.press(COMMUNITY, "ug:"))
    await chats.handle(chats.incoming(COMMUNITY, s["urge"]))
    await outbox.drain()
    await at(datetime(2026, 12, 22, 9, 0, tzinfo=SHANGHAI), N_("overdue: a reminder each working morning"))
    await at(
        datetime(2026, 12, 24, 9, 5, tzinfo=SHANGHAI),
        N_("3 working days after the deadline: the street office"),
    )
    await at(
        datetime(2026, 12, 28, 9, 5, tzinfo=SHANGHAI),
        N_("5 working days after: listed supervision by the district"),
    )
    await chats.handle(chats.incoming(BUREAU, "/supervision"))
    await chats.handle(chats.press(BUREAU, "cd:"))
    await chats.handle(chats.press(BUREAU, "td:"))
    await chats.handle(chats.press(BUREAU, "td:", suffix=""))
    await chats.handle(chats.incoming(BUREAU, s["transfer"]))
    await outbox.drain()
    clock.set(datetime(2026, 12, 29, 15, 0, tzinfo=SHANGHAI))
    stage(t("the department reports back and resolves"))
    await chats.handle(chats.press(CHENGGUAN, "rs:"))
    await chats.handle(chats.incoming(CHENGGUAN, s["note"]))
    await chats.handle(chats.press(CHENGGUAN, "rz:skip"))
    clock.set(datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI))
    stage(t("the owner confirms: 销号"))
    await chats.handle(chats.press(NEIGHBOUR, "cf:"))
    await chats.handle(chats.press(NEIGHBOUR, "rt:", suffix=":4"))
    await chats.handle(chats.press(NEIGHBOUR, "rc:"))
    await chats.handle(chats.incoming(NEIGHBOUR, "/my"))
    await chats.handle(chats.press(NEIGHBOUR, "mt:"))
