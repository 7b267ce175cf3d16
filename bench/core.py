"""The conversation core alone: the throughput benchmark's report flow, without a framework or HTTP.

    .venv/bin/python bench/core.py                 # 200 owners, SQLite
    .venv/bin/python bench/core.py --profile       # and the 30 costliest functions (cProfile)

Owners join the example estate (not timed), then each sends the 8 updates of a report straight to
`Core.handle`, one after another on one thread, as the database thread of `wuye run` would. Printed:
the mean time of each step and over all updates. This is the part of a turn that is wuye's own; the
rest (Telegram's HTTP, the framework) is what bench/throughput.py adds.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import SETUP, table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.serve import make_runtime  # noqa: E402
from handlers.conversations.io import Incoming, Kind  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402

INVITE = "EHB7QK4M9W"
STEPS = [
    "/report",
    "r:cat:lift",
    "3号楼B梯停在8楼不动，按钮没有反应。",
    "r:skip",
    "r:skip",
    "r:urg:ordinary",
    "r:prv:nobody",
    "r:ok",
]


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    update_ids = itertools.count(1)

    def incoming(user: int, what: str) -> Incoming:
        common = dict(
            chat_id=user,
            user_id=user,
            user_name=f"业主{user}",
            language_code="zh-hans",
            update_id=next(update_ids),
        )
        if what.startswith("/"):
            command, _, rest = what[1:].partition(" ")
            return Incoming(kind=Kind.COMMAND, command=command, text=rest, **common)  # type: ignore[arg-type]
        if what.startswith(("r:", "lg:")):
            return Incoming(kind=Kind.BUTTON, data=what, callback_id="c", message_id=1, **common)  # type: ignore[arg-type]
        return Incoming(kind=Kind.TEXT, text=what, **common)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/wuye.db")
        runtime = make_runtime(settings)
        apply_setup(runtime.ctx, read_setup(SETUP))
        core = runtime.core
        owners = range(300_000, 300_000 + args.owners)
        for user in owners:
            for what in (f"/start {INVITE}", f"{user % 30 + 1}栋1单元{user % 900 + 101}", "lg:zh_Hans"):
                core.handle(incoming(user, what))
        spent = [0.0] * len(STEPS)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        for user in owners:
            for i, what in enumerate(STEPS):
                update = incoming(user, what)
                started = time.perf_counter()
                core.handle(update)
                spent[i] += time.perf_counter() - started
        if profiler:
            profiler.disable()
        if runtime.engine is not None:
            runtime.engine.dispose()
    updates = args.owners * len(STEPS)
    rows: list[list[object]] = [
        [i + 1, what, f"{1000 * t / args.owners:.2f}"]
        for i, (what, t) in enumerate(zip(STEPS, spent, strict=True))
    ]
    rows.append(["all", f"{updates} updates", f"{1000 * sum(spent) / updates:.2f}"])
    print(table(["step", "update", "ms per update" + (" (profiled)" if profiler else "")], rows))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
