"""Writing a month's ledger (台账) of 100,000 tickets: time and peak memory of `/ledger` building it.

    .venv/bin/python bench/ledger.py                               # SQLite, 100,000 tickets
    .venv/bin/python bench/ledger.py --tickets 10000 100000 --database-url postgresql+psycopg://postgres@127.0.0.1/test

The tickets are copies of one ticket opened through the real use case, spread over November at 海滨花园,
each with the history of a handled case (opened, acknowledged, resolved, confirmed, rated), so every
row is read with its events and every figure counted. The build (read, write the XLSX as rows come in
openpyxl's write-only mode, the GBK CSV beside it, keep the version) runs in a child process of its
own, whose peak resident memory is shown whole (the interpreter and the libraries included) and as
the growth during the build. Target: under 30 s and under 200 MB. On PostgreSQL each size gets a
schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import SETUP, table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.i18n import load_translations  # noqa: E402
from bot.setup_file import read_setup  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.clock import FixedClock  # noqa: E402
from handlers.conversations.ledger_sheets import LEDGER_LANG, drawer  # noqa: E402
from handlers.rules.categories import Category, Privacy, Urgency  # noqa: E402
from handlers.rules.periods import Period  # noqa: E402
from handlers.services import ledger  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from handlers.services.tickets import TicketDraft, open_ticket  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.tables import PersonRow, TicketEventRow, TicketRow  # noqa: E402

CHUNK = 10_000
MONTH_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 1 November, 00:00 in Shanghai
BUILD_AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def _database(base: str | None, tmp: Path, size: int) -> tuple[str, Any]:
    if base is None:
        return f"sqlite:///{tmp / f'ledger-{size}.db'}", None
    schema = f"wuye_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), (admin, schema)


def populate(url: str, size: int) -> None:
    clock = FixedClock(MONTH_START + timedelta(hours=2))
    app = build_app(Settings(database_url=url), clock=clock)
    apply_setup(app.ctx, read_setup(SETUP))
    with app.engine.connect() as c:
        owner = c.execute(select(PersonRow.id).where(PersonRow.telegram_id == 200001)).scalar_one()
    draft = TicketDraft(
        Category.LIFT, Urgency.URGENT, "3号楼B梯停在8楼不动，按钮没有反应。", privacy=Privacy.GOVERNMENT
    )
    first = open_ticket(app.ctx, owner, draft)
    with app.engine.connect() as c:
        template = dict(
            c.execute(select(TicketRow.__table__).where(TicketRow.id == first.id)).mappings().one()
        )
        opened = dict(
            c.execute(select(TicketEventRow.__table__).where(TicketEventRow.ticket_id == first.id))
            .mappings()
            .first()
            or {}
        )
    template.pop("id")
    opened.pop("id")
    step = timedelta(seconds=29 * 24 * 3600 / size)
    history = [("acknowledge", 20, "assigned", "acknowledged"), ("resolve", 240, "acknowledged", "resolved")]
    history += [("confirm", 300, "resolved", "closed"), ("rate", 301, "closed", "closed")]
    started = time.perf_counter()
    with app.engine.begin() as c:
        next_id = c.execute(select(TicketRow.id).order_by(TicketRow.id.desc())).scalars().first() or 0
        tickets: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for i in range(1, size + 1):
            at = MONTH_START + step * i
            tid = next_id + i
            done = at + timedelta(minutes=300)
            tickets.append(
                dict(
                    template,
                    id=tid,
                    number=f"HB-BENCH-{i:08d}",
                    created_at=at,
                    status="closed",
                    acknowledged_at=at + timedelta(minutes=20),
                    resolved_at=at + timedelta(minutes=240),
                    closed_at=done,
                    due_at=at + timedelta(hours=12),
                    ack_due_at=at + timedelta(hours=1),
                    rating=5,
                    next_action_at=None,
                    draft_key=None,
                    updated_at=done,
                )
            )
            events.append(dict(opened, ticket_id=tid, at=at))
            for event, minutes, before, after in history:
                data = {"stars": 5} if event == "rate" else {}
                if event == "resolve":
                    data = {"due_at": (at + timedelta(hours=12)).isoformat()}
                moment = at + timedelta(minutes=minutes)
                events.append(
                    dict(
                        opened,
                        ticket_id=tid,
                        at=moment,
                        event=event,
                        from_status=before,
                        to_status=after,
                        data=data,
                    )
                )
            if len(tickets) == CHUNK:
                c.execute(insert(TicketRow.__table__), tickets)
                c.execute(insert(TicketEventRow.__table__), events)
                tickets, events = [], []
        if tickets:
            c.execute(insert(TicketRow.__table__), tickets)
            c.execute(insert(TicketEventRow.__table__), events)
        if app.engine.dialect.name == "postgresql":
            c.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            c.execute(text("ANALYZE ticket"))
            c.execute(text("ANALYZE ticket_event"))
    app.engine.dispose()
    print(
        f"  {size:>9,} tickets written in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _build(url: str, out: Any) -> None:
    """In the child: build and keep the ledger of 嘉莲街道 for November, as /ledger does."""
    app = build_app(Settings(database_url=url), clock=FixedClock(BUILD_AT))
    words = load_translations().for_lang(LEDGER_LANG)
    assert app.ctx.documents is not None
    with app.ctx.uow() as uow:
        office = uow.offices.by_key("jialian-street")
        assert office is not None and office.id is not None
    governed = ledger.office_scope(app.ctx, "jialian-street")
    before = _rss_mb()
    started = time.perf_counter()
    found = ledger.ledger(app.ctx, governed, Period.month(2026, 11), drawer(app.ctx.documents, words), None)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    v = found.version
    out.send((took, peak, peak - before, v.rows, len(v.xlsx or b""), len(v.csv or b"")))


def measure(size: int, base: str | None, tmp: Path) -> list[Any]:
    url, cleanup = _database(base, tmp, size)
    try:
        populate(url, size)
        ctx = multiprocessing.get_context("spawn")  # a fresh process: its peak is the build's own
        mine, theirs = ctx.Pipe()
        child = ctx.Process(target=_build, args=(url, theirs))
        child.start()
        took, peak, grown, rows, xlsx, csv_size = mine.recv()
        child.join()
    finally:
        if cleanup is not None:
            admin, schema = cleanup
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return [size, rows, took, peak, grown, xlsx / 2**20, csv_size / 2**20]


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default: SQLite files)")
    args = parser.parse_args(argv)
    db = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="wuye-ledger-") as tmp:
        results = [measure(size, args.database_url, Path(tmp)) for size in args.tickets]
    print(
        table(
            ["database", "tickets", "rows", "build s", "peak RSS MB", "growth MB", "xlsx MB", "csv MB"],
            [
                [
                    db,
                    f"{r[0]:,}",
                    f"{r[1]:,}",
                    f"{r[2]:.1f}",
                    f"{r[3]:.0f}",
                    f"{r[4]:.0f}",
                    f"{r[5]:.1f}",
                    f"{r[6]:.1f}",
                ]
                for r in results
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
