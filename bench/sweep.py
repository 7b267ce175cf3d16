"""Sweep cost: the ladder sweep over 10k, 100k and 1M tickets of which 1,000 are due.

    .venv/bin/python bench/sweep.py                          # SQLite, 10k / 100k / 1M
    .venv/bin/python bench/sweep.py --sizes 10000 100000 --database-url postgresql+psycopg://postgres@127.0.0.1/test

The tickets are copies of one ticket opened through the real use case (so the policy snapshot and
deadlines are real), 1,000 of them past their acknowledgement limit — the sweep escalates each to the
project manager and queues the notifications — and the rest due weeks later. Each size is swept
`--repeat` times (the due tickets are put back between runs, outside the timing); the table shows the
median time per sweep and the ratio to the smallest size (target: 1M / 10k at most 2, because the
sweep reads only the due rows through the index on next_action_at).
On PostgreSQL each size gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import SETUP, table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.clock import FixedClock  # noqa: E402
from handlers.rules.categories import Category, Privacy, Urgency  # noqa: E402
from handlers.services.ladder import sweep  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from handlers.services.tickets import TicketDraft, open_ticket  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.tables import NotificationRow, PersonRow, TicketEventRow, TicketRow  # noqa: E402

DUE = 1000
CHUNK = 20_000
OPENED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # Monday 09:30 in Shanghai
SWEEP_AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # two working days later: acknowledgement overdue


def _database(base: str | None, tmp: Path, size: int) -> tuple[str, Any]:
    if base is None:
        return f"sqlite:///{tmp / f'sweep-{size}.db'}", None
    schema = f"wuye_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), (admin, schema)


def populate(url: str, size: int) -> tuple[Any, list[int], dict[int, tuple[Any, ...]]]:
    clock = FixedClock(OPENED)
    app = build_app(Settings(database_url=url), clock=clock)
    apply_setup(app.ctx, read_setup(SETUP))
    with app.engine.connect() as c:
        owner = c.execute(select(PersonRow.id).where(PersonRow.telegram_id == 200001)).scalar_one()
    draft = TicketDraft(
        Category.LIFT, Urgency.ORDINARY, "3号楼B梯停在8楼不动，按钮没有反应。", privacy=Privacy.GOVERNMENT
    )
    first = open_ticket(app.ctx, owner, draft)
    with app.engine.begin() as c:
        found = c.execute(select(TicketRow.__table__).where(TicketRow.id == first.id))
        template = dict(found.mappings().one())
        c.execute(delete(NotificationRow.__table__))
    template.pop("id")
    later = template["next_action_at"] + timedelta(days=30)
    started = time.perf_counter()
    with app.engine.begin() as c:
        rows: list[dict[str, Any]] = []
        for i in range(1, size):
            row = dict(template, number=f"BENCH-{i:09d}")
            if i >= DUE:
                row["next_action_at"] = later
            rows.append(row)
            if len(rows) == CHUNK:
                c.execute(insert(TicketRow.__table__), rows)
                rows = []
        if rows:
            c.execute(insert(TicketRow.__table__), rows)
        if app.engine.dialect.name == "postgresql":
            c.execute(text("ANALYZE ticket"))
    took = time.perf_counter() - started
    print(f"  {size:>9,} tickets written in {took:.1f}s", file=sys.stderr, flush=True)
    cols = ("next_action_at", "rung", "reminders_sent", "version", "updated_at", "status")
    with app.engine.connect() as c:
        due = c.execute(select(TicketRow.id).where(TicketRow.next_action_at <= SWEEP_AT)).scalars().all()
        saved = {
            r[0]: tuple(r[1:])
            for r in c.execute(
                select(TicketRow.id, *[getattr(TicketRow, k) for k in cols]).where(TicketRow.id.in_(due))
            )
        }
    clock.set(SWEEP_AT)
    return app, list(due), saved


def put_back(app: Any, saved: dict[int, tuple[Any, ...]]) -> None:
    cols = ("next_action_at", "rung", "reminders_sent", "version", "updated_at", "status")
    with app.engine.begin() as c:
        for ticket_id, values in saved.items():
            c.execute(
                update(TicketRow.__table__)
                .where(TicketRow.id == ticket_id)
                .values(dict(zip(cols, values, strict=True)))
            )
        c.execute(delete(NotificationRow.__table__))
        c.execute(delete(TicketEventRow.__table__).where(TicketEventRow.at >= SWEEP_AT))


def measure(size: int, base: str | None, repeat: int, tmp: Path) -> list[Any]:
    url, pg = _database(base, tmp, size)
    try:
        app, due, saved = populate(url, size)
        times, steps = [], 0
        for _ in range(repeat):
            put_back(app, saved)
            started = time.perf_counter()
            report = sweep(app.ctx)
            times.append(time.perf_counter() - started)
            steps = len(report.steps)
            if report.failed:
                raise SystemExit(f"sweep failed on {report.failed} tickets")
        with app.engine.connect() as c:
            queued = c.execute(select(NotificationRow.id)).all()
        app.engine.dispose()
        return [size, len(due), steps, len(queued), statistics.median(times)]
    finally:
        if pg is not None:
            admin, schema = pg
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default: SQLite files)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="wuye-sweep-") as tmp:
        for size in args.sizes:
            rows.append(measure(size, args.database_url, args.repeat, Path(tmp)))
    base = rows[0][4]
    db = "postgresql" if args.database_url else "sqlite"
    print(
        table(
            [
                "database",
                "tickets",
                "due",
                "steps",
                "notifications",
                "sweep s",
                "per due ticket ms",
                f"ratio to {rows[0][0]:,}",
            ],
            [
                [
                    db,
                    f"{r[0]:,}",
                    r[1],
                    r[2],
                    r[3],
                    f"{r[4]:.3f}",
                    f"{1000 * r[4] / max(1, r[1]):.2f}",
                    f"{r[4] / base:.2f}",
                ]
                for r in rows
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
