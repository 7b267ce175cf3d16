"""How long a page may be served as it was after another process's commit on PostgreSQL: from a commit
(returned to the writer) until the web's page cache (bot/web/page_cache.py `PostgresChanges`) has heard
of it, through the tables' triggers (migration 0022).

    .venv/bin/python bench/page_notice.py                 # 500 commits, one at a time
    .venv/bin/python bench/page_notice.py --commits 2000

A schema of its own (tests/support/databases.py `postgres_schema`), migrated and dropped afterwards.
The writer is an engine of its own (as the bot's core process is), so nothing but the notice tells the
cache. Printed: p50, p95, p99 and the largest, in milliseconds, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.harness import percentile, table  # noqa: E402
from bot.web.page_cache import PostgresChanges  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.support.databases import postgres_schema  # noqa: E402

DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure(url: str, commits: int) -> list[float]:
    """Milliseconds from each commit's return until the cache has heard of it."""
    web, writer = make_engine(url), make_engine(url)
    changes = PostgresChanges(web)
    try:
        upgrade(writer)
        changes.start()
        while changes.generation() is None:
            time.sleep(0.01)
        waits: list[float] = []
        for i in range(commits):
            before = changes.generation()
            with writer.begin() as c:
                c.execute(text("INSERT INTO setting (key, data) VALUES (:k, '{}')"), {"k": f"bench-{i}"})
            committed = time.perf_counter()
            while changes.generation() == before:
                time.sleep(0)
            waits.append(1000 * (time.perf_counter() - committed))
        return waits
    finally:
        changes.stop()
        web.dispose()
        writer.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--database-url", default=DATABASE)
    args = parser.parse_args(argv)
    with postgres_schema(args.database_url, prefix="wuye_bench_notice") as url:
        waits = measure(url, args.commits)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"commit to notice heard, {args.commits} commits, load {load}")
    print(
        table(
            ["p50 ms", "p95 ms", "p99 ms", "max ms"],
            [[f"{percentile(waits, q):.2f}" for q in (50, 95, 99)] + [f"{max(waits):.2f}"]],
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
