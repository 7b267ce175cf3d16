"""Public revenue: how long an owner waits for the summary with its chart, and how long publishing to a
large estate takes until every notification is queued and until every one is delivered at Telegram's
rate (about 30 messages a second, so 5,000 owners take about 170 s) through the real outbox and
python-telegram-bot to the stand-in Bot API.

    .venv/bin/python bench/revenue.py                 # 5,000 owners
    .venv/bin/python bench/revenue.py --owners 300    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.delivery.outbox import Outbox  # noqa: E402
from bot.demo.revenue_examples import example_rows  # noqa: E402
from bot.documents.revenue_files import RevenueDocuments, read_grid, write_csv  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.holidays import ChineseCalendarSource  # noqa: E402
from bot.i18n.translator import load_translations  # noqa: E402
from bot.telegram.front_ptb import PtbFrontEnd  # noqa: E402
from bot.telegram.runtime import Runtime  # noqa: E402
from handlers.clock import SystemClock  # noqa: E402
from handlers.conversations.core import Core  # noqa: E402
from handlers.conversations.io import Incoming, Kind, Send  # noqa: E402
from handlers.domain.people import Person, Role, RoleKind  # noqa: E402
from handlers.services import revenue  # noqa: E402
from handlers.services.context import Context  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from handlers.text import NullTranslator  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import SqlUnitOfWork  # noqa: E402
from tests.support.botapi import StandInBotAPI  # noqa: E402

SETUP = ROOT / "examples" / "setup.yaml"
FIRST_OWNER = 5_000_000
OWNER = 200001


def pairs(row: list[str], widths: list[int]) -> list[tuple[str, int]]:
    return list(zip(row, widths, strict=True))


def table(headers: list[str], rows: list[list[str]]) -> str:
    cells = [headers, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(pairs(r, widths)))
        for r in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def world(url: str) -> Context:
    engine = make_engine(url)
    upgrade(engine)
    ctx = Context(
        uow=lambda: SqlUnitOfWork(engine),
        clock=SystemClock(),
        holidays=ChineseCalendarSource(),
        documents=RevenueDocuments(),
    )
    apply_setup(ctx, read_setup(SETUP))
    return ctx


def add_owners(ctx: Context, n: int) -> None:
    with ctx.uow() as uow:
        estate = uow.estates.by_key("haibin")
        assert estate is not None
        for i in range(n):
            p = uow.people.add(Person(f"业主{i}", telegram_id=FIRST_OWNER + i, language="zh_Hans"))
            uow.roles.add(Role(p.id or 0, RoleKind.OWNER, estate_id=estate.id, unit=f"{i // 100}栋{i % 100}"))
        uow.commit()


def publish(ctx: Context) -> tuple[int, float, int]:
    """Import and publish 2026Q3 as the manager; (disclosure id, seconds to publish and queue, queued)."""
    grid = read_grid(write_csv(example_rows(NullTranslator()), "utf-8"), "q.csv")
    with ctx.uow() as uow:
        manager = uow.people.by_telegram_id(100001)
        estate = uow.estates.by_key("haibin")
        assert manager is not None and estate is not None
    preview = revenue.import_draft(ctx, manager.id, estate.id or 0, grid)
    started = time.perf_counter()
    done = revenue.publish(ctx, manager.id, preview.stored.id or 0)
    return preview.stored.id or 0, time.perf_counter() - started, done.notified


def summary_ms(ctx: Context, disclosure_id: int, runs: int) -> list[float]:
    """What an owner waits for after pressing "Details": the statement and the chart, rendered."""
    core = Core(ctx, load_translations())
    times = []
    for i in range(runs):
        inc = Incoming(OWNER, OWNER, "张女士", Kind.BUTTON, data=f"rv:v:{disclosure_id}", callback_id=f"b{i}")
        started = time.perf_counter()
        outputs = core.handle(inc)
        times.append((time.perf_counter() - started) * 1000)
        assert any(isinstance(o, Send) and o.image for o in outputs), "no chart"
    return times


async def deliver_all(ctx: Context, owners: int) -> tuple[float, int, int]:
    """Send every queued notification through the outbox and PTB to the stand-in; (seconds, sent, calls)."""
    async with StandInBotAPI() as server:
        for i in range(owners):
            server.add_user(FIRST_OWNER + i, f"业主{i}")
        for uid in (OWNER, 200002, 100031):
            server.add_user(uid)
        translations = load_translations()
        runtime = Runtime(ctx, Core(ctx, translations), translations.for_lang)
        front = PtbFrontEnd(runtime, server.token, api_url=server.url)
        await front.application.initialize()
        outbox = Outbox(ctx, translations.for_lang, front.deliver)
        started = time.perf_counter()
        try:
            while await outbox.drain():
                pass
        finally:
            await front.application.shutdown()
        return time.perf_counter() - started, outbox.stats.sent, len(server.calls_to("sendMessage"))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=5000, help="owners of the estate (default 5000)")
    parser.add_argument("--runs", type=int, default=10, help="summary renderings to time (default 10)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--no-delivery", action="store_true", help="skip the (slow, rate-limited) delivery")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
        ctx = world(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        add_owners(ctx, args.owners)
        disclosure_id, queued_s, queued = publish(ctx)
        render = summary_ms(ctx, disclosure_id, args.runs)
        rows = [
            [
                "owner's summary with chart",
                f"{statistics.median(render):.0f} ms median",
                f"{max(render):.0f} ms max of {len(render)}",
            ],
            [f"publish to {queued:,} owners: all queued", f"{queued_s * 1000:.0f} ms", f"{queued:,} rows"],
        ]
        if not args.no_delivery:
            print(f"delivering {queued:,} notifications at ~30/s (about {queued / 30:.0f} s)...", flush=True)
            seconds, sent, calls = await deliver_all(ctx, args.owners)
            rows.append(
                [
                    f"publish to {queued:,} owners: all delivered",
                    f"{seconds:.1f} s",
                    f"{sent:,} sent, {sent / seconds:.1f}/s, {calls:,} sendMessage",
                ]
            )
    print(table(["what", "time", "detail"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
