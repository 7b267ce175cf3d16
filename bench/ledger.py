"""Writing a month's ledger (台账) of 100,000 tickets: time and peak memory of `/ledger` building it, and
of its two parts apart.

    .venv/bin/python bench/ledger.py                               # SQLite, 100,000 tickets
    .venv/bin/python bench/ledger.py --tickets 10000 100000 --database-url postgresql+psycopg://postgres@127.0.0.1/wuye_bench_ledger
    .venv/bin/python bench/ledger.py --parts rows                  # only the rows

The tickets are copies of one ticket opened through the real use case, spread over November at 海滨花园,
each with the history of a handled case (opened, acknowledged, resolved, confirmed, rated), so every
row is read with its events and every figure counted. Each part runs in a child process of its own,
whose peak resident memory is shown whole (the interpreter and the libraries included) and as the
growth during the part; wall and CPU seconds (the CPU seconds are the process's own, whatever else the
machine runs):

- rows: the 问题台账 sheet, its rows read a page at a time and written into the XLSX and the GBK CSV as
  they come (成果指标 left empty, nothing kept);
- figures: the 成果指标 figures of the street and each estate (`ledger_data`, no file written);
- build: the whole of `/ledger`: both, the typical cases, and the version kept;
- resend: `/ledger` asked again: the version build kept, its two files read back from the database.

Target (#18): the whole build under 30 s and under 200 MB. On PostgreSQL each size gets a schema of its
own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import importlib.util
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
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.i18n.translator import load_translations  # noqa: E402
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
        # The figures' moments (ticket_figure), which the repositories write beside each ticket and event,
        # are written here by the migration that introduced them, from the rows just inserted.
        FIGURES_MIGRATION.backfill(c)
        if app.engine.dialect.name == "postgresql":
            c.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            c.execute(text("ANALYZE ticket"))
            c.execute(text("ANALYZE ticket_event"))
    app.engine.dispose()
    print(
        f"  {size:>9,} tickets written in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True
    )


def _figures_migration() -> Any:
    path = Path(__file__).resolve().parent.parent / "storage/migrations/versions/0019_ticket_figures.py"
    spec = importlib.util.spec_from_file_location("figures_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES_MIGRATION = _figures_migration()


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    """This process's own peak resident memory (VmHWM). Not getrusage's ru_maxrss: a spawned child's
    counts the parent's resident memory it was forked with before it exec'd (Linux keeps the larger),
    and the parent has just written 100,000 tickets."""
    with open("/proc/self/status") as f:
        found = next(line for line in f if line.startswith("VmHWM:"))
    return int(found.split()[1]) / 1024


PARTS = ("rows", "figures", "build", "resend")


def _build(url: str, part: str, out: Any) -> None:
    """In the child: one part of the ledger of 嘉莲街道 for November, as /ledger builds it."""
    app = build_app(Settings(database_url=url), clock=FixedClock(BUILD_AT))
    words = load_translations().for_lang(LEDGER_LANG)
    assert app.ctx.documents is not None
    draw = drawer(app.ctx.documents, words)
    governed = ledger.office_scope(app.ctx, "jialian-street")
    november = Period.month(2026, 11)
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    rows, xlsx, csv_size = None, 0, 0
    if part in ("build", "resend"):  # resend: the version build kept, read back (built if none is)
        v = ledger.ledger(app.ctx, governed, november, draw, None).version
        rows, xlsx, csv_size = v.rows, len(v.xlsx or b""), len(v.csv or b"")
    else:
        with app.ctx.uow() as uow:
            data = ledger.ledger_data(
                app.ctx, uow, governed, november, BUILD_AT, 1, with_figures=part == "figures"
            )
            if part == "rows":
                files = draw(data)
                rows, xlsx, csv_size = files.rows, len(files.xlsx), len(files.csv)
            else:  # the tickets 成果指标 counted (received in the month): all of them, or it measured nothing
                rows = data.figures[0][1].received
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _peak_mb()
    out.send((took, cpu, peak, peak - before, rows, xlsx, csv_size))


def _child(url: str, part: str) -> tuple[Any, ...]:
    ctx = multiprocessing.get_context("spawn")  # a fresh process: its peak is the part's own
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=_build, args=(url, part, theirs))
    child.start()
    found: tuple[Any, ...] = mine.recv()
    child.join()
    return found


def measure(size: int, base: str | None, tmp: Path, parts: list[str]) -> list[list[Any]]:
    url, cleanup = _database(base, tmp, size)
    try:
        populate(url, size)
        return [[size, part, *_child(url, part)] for part in parts]
    finally:
        if cleanup is not None:
            admin, schema = cleanup
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f}" if n else "—"


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default: SQLite files)")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args(argv)
    db = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="wuye-ledger-") as tmp:
        results = [
            r for size in args.tickets for r in measure(size, args.database_url, Path(tmp), args.parts)
        ]
    header = ["database", "tickets", "part", "rows", "wall s", "cpu s", "peak RSS MB", "growth MB"]
    print(
        table(
            [*header, "xlsx MB", "csv MB"],
            [
                [
                    db,
                    f"{size:,}",
                    part,
                    f"{rows:,}" if rows is not None else "—",
                    f"{took:.1f}",
                    f"{cpu:.1f}",
                    f"{peak:.0f}",
                    f"{grown:.0f}",
                    _mb(xlsx),
                    _mb(csv_size),
                ]
                for size, part, took, cpu, peak, grown, rows, xlsx, csv_size in results
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
