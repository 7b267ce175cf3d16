"""Fan-out: 3,000 notifications to 3,000 private chats through a stand-in Bot API that enforces 30/s.

    .venv/bin/python bench/fanout.py                      # 3,000 chats, python-telegram-bot and aiogram
    .venv/bin/python bench/fanout.py --chats 600 --framework aiogram

The notifications are queued in the database the way a state change queues them (one comment on a
ticket owed to each of 3,000 people), then the real outbox delivers them through the real front end of
each framework to the stand-in server, which answers 429 with retry_after to anything beyond 30
messages a second. Printed: the achieved rate as a fraction of 30/s (target at least 0.9), the 429s
received, messages lost (owed but never delivered; must be 0) and duplicates (a chat that got the
message more than once; must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench.harness import FRAMEWORKS, SETUP, stand_in, table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.delivery.outbox import Outbox  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.i18n.translator import load_translations  # noqa: E402
from bot.telegram.runtime import Runtime  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.conversations.core import Core  # noqa: E402
from handlers.domain.notifications import Notification  # noqa: E402
from handlers.rules.categories import Category, Privacy, Urgency  # noqa: E402
from handlers.services.notify import notification_key  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from handlers.services.tickets import TicketDraft, open_ticket  # noqa: E402
from storage.tables import EstateRow, NotificationRow, PersonRow, RoleRow  # noqa: E402

FIRST_CHAT = 400_000
RATE = 30.0


def seed(url: str, chats: int) -> tuple[Any, list[int]]:
    app = build_app(Settings(database_url=url))
    apply_setup(app.ctx, read_setup(SETUP))
    now = datetime.now(UTC)
    with app.engine.begin() as c:
        owner = c.execute(select(PersonRow.id).where(PersonRow.telegram_id == 200001)).scalar_one()
        c.execute(
            insert(PersonRow.__table__),
            [
                {
                    "telegram_id": FIRST_CHAT + i,
                    "display_name": f"业主{i}",
                    "language": "zh_Hans",
                    "unreachable": False,
                    "created_at": now,
                }
                for i in range(chats)
            ],
        )
        people = c.execute(select(PersonRow.id).where(PersonRow.telegram_id >= FIRST_CHAT)).scalars().all()
        # committee members of the ticket's estate: a message is drawn only for people who may read it
        estate = c.execute(select(EstateRow.id).where(EstateRow.key == "haibin")).scalar_one()
        c.execute(
            insert(RoleRow.__table__),
            [
                {"person_id": p, "kind": "committee", "estate_id": estate, "active": True, "created_at": now}
                for p in people
            ],
        )
    ticket = open_ticket(
        app.ctx,
        owner,
        TicketDraft(
            Category.LIFT, Urgency.ORDINARY, "3号楼B梯停在8楼不动，按钮没有反应。", privacy=Privacy.NOBODY
        ),
    )
    with app.ctx.uow() as uow:
        uow.notifications.add_many(
            [
                Notification(
                    key=notification_key("ticket.comment", p, ticket, tag="bench"),
                    person_id=p,
                    kind="ticket.comment",
                    params={"comment": "电梯维保单位今天下午到场。"},
                    created_at=now,
                    ticket_id=ticket.id,
                )
                for p in people
            ]
        )
        uow.commit()
    with app.engine.begin() as c:  # only the fan-out is measured, not the ticket's own notices
        c.execute(NotificationRow.__table__.delete().where(NotificationRow.kind != "ticket.comment"))
    return app, list(people)


async def measure(framework: str, chats: int) -> list[Any]:
    async with stand_in() as server:
        for i in range(chats):
            server.add_user(FIRST_CHAT + i, f"业主{i}")
        # Telegram's limits read strictly: at most 30 in any one-second window, one a second per chat
        server.rate_limit(RATE, retry_after=1, per_chat=1, strict=True)
        with tempfile.TemporaryDirectory(prefix="wuye-fanout-") as tmp:
            app, _ = seed(f"sqlite:///{Path(tmp) / 'fanout.db'}", chats)
            translations = load_translations(tz=app.settings.zone)
            runtime = Runtime(app.ctx, Core(app.ctx, translations), translations.for_lang, engine=app.engine)
            if framework == "aiogram":
                from bot.telegram.front_aiogram import AiogramFrontEnd

                front: Any = AiogramFrontEnd(runtime, server.token, server.url)
                await front.bot.me()
            else:
                from bot.telegram.front_ptb import PtbFrontEnd

                front = PtbFrontEnd(runtime, server.token, server.url)
                await front.application.initialize()
            recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")

            async def record(fn: Any, *args: Any) -> Any:  # as `wuye run` records: a thread kept for it
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(recorder, functools.partial(fn, *args))

            outbox = Outbox(
                app.ctx, runtime.translators, front.deliver, run_db=runtime.run_db, record_db=record
            )
            started = time.perf_counter()
            while True:
                await outbox.drain()
                with app.ctx.uow() as uow:
                    waiting = uow.notifications.oldest_waiting()
                if waiting is None:
                    break
                await asyncio.sleep(0.05)  # a 429 set not_before: the next round picks it up
            elapsed = time.perf_counter() - started
            if framework == "aiogram":
                await front.bot.session.close()
            else:
                await front.application.shutdown()
            with app.ctx.uow() as uow:
                outcomes = uow.notifications.counts(app.ctx.clock.now())
            app.engine.dispose()
        delivered = Counter(r["chat"]["id"] for r in server.sent() if r["chat"]["id"] >= FIRST_CHAT)
        lost = sum(1 for i in range(chats) if delivered[FIRST_CHAT + i] == 0)
        duplicates = sum(n - 1 for n in delivered.values() if n > 1)
        rate = sum(delivered.values()) / elapsed
        gaps = sorted(outbox.stats.recorded_after)

        def ms(q: float) -> str:
            return f"{1000 * gaps[min(len(gaps) - 1, int(q * len(gaps)))]:.1f}" if gaps else "—"

        return [
            framework,
            chats,
            sum(delivered.values()),
            f"{elapsed:.1f}",
            f"{rate:.1f}",
            f"{rate / RATE:.2f}",
            server.stats.rate_limited,
            lost,
            duplicates,
            outcomes.get("sent", 0),
            outbox.stats.uncertain,
            ms(0.5),
            ms(0.99),
            ms(1.0),
        ]


async def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--chats", type=int, default=3000)
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append")
    args = parser.parse_args(argv)
    rows = [await measure(f, args.chats) for f in (args.framework or FRAMEWORKS)]
    print(
        table(
            [
                "framework",
                "chats",
                "delivered",
                "seconds",
                "msg/s",
                "of 30/s",
                "429s",
                "lost",
                "duplicates",
                "rows sent",
                "uncertain",
                "ok→recorded p50 ms",
                "p99 ms",
                "max ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
