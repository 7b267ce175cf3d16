"""Kills: `wuye run` (every process of it: the bot's and its core process) killed with SIGKILL again and
again during a fan-out and during ladder sweeps, then restarted; what was lost and what was doubled.

    .venv/bin/python bench/kills.py                       # 20 kills in each scenario, SQLite
    .venv/bin/python bench/kills.py --kills 5 --scenario fanout
    .venv/bin/python bench/kills.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

fanout: one comment owed to each of --chats committee members, delivered by `wuye run` through a
stand-in Bot API that counts strictly (30 in any second, one a second per chat); the process group is
killed at a random moment 0.5-3 s after deliveries resume, --kills times, then a last run drains the rest.

sweep: before each run --tickets more tickets, reported thirty days ago and never acknowledged, wait for
the ladder; the process group is killed at a random moment 0-0.3 s after that run's first escalation
(mid-sweep when the sweep is still going, else mid-delivery), --kills times, then a last run finishes.
The stand-in holds the bot to 30 messages a second but not to one a second per chat, and wuye is run
with WUYE_CHAT_INTERVAL=0.05, so that the officials' hundreds of cards drain in minutes.

Printed: kills, how many landed mid-sweep, sends in flight at the kills, messages owed, lost (owed and
never delivered; must be 0), doubled (a message delivered twice; target 0), escalations doubled (a rung
recorded twice for a ticket; must be 0). A doubled message needs a kill between Telegram accepting a
message and the durable record of it: after the ok arrived (the window bench/fanout.py measures), or,
with --latency, while the answer was still on its way (Telegram delivers it; the killed bot never hears,
and no Bot API call can ask afterwards whether a message went out).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.harness import table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.delivery.outbox_rows import LEASE  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from tests.support import processes as P  # noqa: E402
from tests.support.botapi import StandInBotAPI  # noqa: E402
from tests.support.databases import postgres_schema  # noqa: E402

FIRST_CHAT = 600_000
LATENCY = 0.0  # --latency
OWNERS = (200001, 200002, 200003)


def start(
    url: str, server: StandInBotAPI, workdir: Path, chat_interval: str | None = None
) -> subprocess.Popen[bytes]:
    """`wuye run` in a process group of its own, so one signal reaches the core process too."""
    out = open(workdir / "wuye.out", "ab")  # noqa: SIM115 (the child owns it)
    try:
        return subprocess.Popen(
            [str(P.WUYE), "run"],
            cwd=workdir,
            # Telegram's real pace unless told (not the tests' quick one)
            env=P.wuye_env(
                url,
                server,
                "ptb",
                WUYE_CHAT_INTERVAL=chat_interval or str(Settings.model_fields["chat_interval"].default),
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        out.close()


async def kill_all(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    await asyncio.to_thread(proc.wait, 10)
    await asyncio.sleep(0.2)  # the core process, killed with it, is reaped by init


def in_flight(server: StandInBotAPI) -> int:
    return sum(1 for c in server.calls if c.method in P.SEND_METHODS and c.status == 0)


def seed_fanout(url: str, chats: int) -> None:
    app, _ = P.world_app(url, datetime.now(UTC))
    P.committee_owed_a_comment(app, FIRST_CHAT, chats, "今晚22点至次日6点停水检修", "kills")
    app.engine.dispose()


async def fanout(url: str, workdir: Path, kills: int, chats: int) -> list[Any]:
    seed_fanout(url, chats)
    engine = make_engine(url)
    flying: list[int] = []
    async with StandInBotAPI() as server:
        P.know_everyone(server)
        for i in range(chats):
            server.add_user(FIRST_CHAT + i, f"委员{i}")
        server.rate_limit(30.0, retry_after=1, per_chat=1, strict=True)
        server.delay(LATENCY, methods=P.SEND_METHODS)
        started = time.monotonic()
        for _ in range(kills):
            proc = start(url, server, workdir)
            before = len(server.sent())
            # on PostgreSQL the killed instance's claims wait out their lease: nothing can tell it died
            resume = 60 + LEASE.total_seconds()
            await P.wait_for(
                lambda b=before: len(server.sent()) > b, resume, "deliveries to resume", proc, workdir
            )
            await asyncio.sleep(random.uniform(0.5, 3.0))
            flying.append(in_flight(server))
            await kill_all(proc)
        last = start(url, server, workdir)
        await P.wait_for(lambda: P.undelivered(engine) == 0, 900, "the outbox to drain", last, workdir)
        await P.stop(last)
        elapsed = time.monotonic() - started
        got = Counter(int(m["chat"]["id"]) for m in server.sent() if int(m["chat"]["id"]) >= FIRST_CHAT)
    engine.dispose()
    lost = sum(1 for i in range(chats) if got[FIRST_CHAT + i] == 0)
    doubled = sum(n - 1 for n in got.values() if n > 1)
    return ["fanout", kills, "—", sum(flying), max(flying, default=0), chats, lost, doubled, "—",
            f"{elapsed:.0f}"]  # fmt: skip


async def sweep(url: str, workdir: Path, kills: int, tickets: int) -> list[Any]:
    app, _ = P.world_app(url, P.days_ago(30))
    engine = make_engine(url)
    flying: list[int] = []
    mid_sweep = 0
    async with StandInBotAPI() as server:
        P.know_everyone(server)
        server.rate_limit(30.0, retry_after=1, strict=True)
        server.delay(LATENCY, methods=P.SEND_METHODS)
        started = time.monotonic()
        for round_ in range(kills + 1):
            # this run's sweep: more tickets, a month overdue, one owner in turn
            P.open_tickets(app, tickets, owner=OWNERS[round_ % len(OWNERS)])
            due = len(P.rows(engine, "SELECT id FROM ticket")) * len(RUNGS)
            before = sum(P.escalations(engine).values())
            proc = start(url, server, workdir, chat_interval="0.05")
            if round_ == kills:  # the last run finishes the work
                await P.wait_for(lambda d=due: sum(P.escalations(engine).values()) >= d, 300, "the sweep",
                                 proc, workdir)  # fmt: skip
                await P.wait_for(
                    lambda: P.undelivered(engine) == 0, 1800, "the outbox to drain", proc, workdir
                )
                await P.stop(proc)
                break
            await P.wait_for(lambda b=before: sum(P.escalations(engine).values()) > b, 60, "escalations",
                             proc, workdir)  # fmt: skip
            await asyncio.sleep(random.uniform(0.0, 0.3))
            flying.append(in_flight(server))
            await kill_all(proc)
            mid_sweep += sum(P.escalations(engine).values()) < due
        elapsed = time.monotonic() - started
        sent = P.delivered_messages(server)
    app.engine.dispose()
    owed = P.committed_parts_by_chat(engine)
    escalations_doubled = sum(n - 1 for n in P.escalations(engine).values() if n > 1)
    engine.dispose()
    distinct = Counter(chat for chat, _ in set(sent))
    lost = sum(max(0, n - distinct[chat]) for chat, n in owed.items())
    doubled = len(sent) - len(set(sent))
    for (chat, text_), n in Counter(sent).items():
        if n > 1:
            print(f"  doubled in chat {chat}: {text_[:60]!r}")
    return ["sweep", kills, mid_sweep, sum(flying), max(flying, default=0), sum(owed.values()), lost, doubled,
            escalations_doubled, f"{elapsed:.0f}"]  # fmt: skip


@contextmanager
def database(server: str | None, tmp: Path) -> Iterator[str]:
    """A SQLite file, or a schema of its own on the PostgreSQL server (dropped afterwards)."""
    if server is None:
        yield f"sqlite:///{tmp / 'kills.db'}"
        return
    with postgres_schema(server, prefix="wuye_kills") as url:
        yield url


RUNGS = ("manager", "community", "street", "bureau")


async def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--scenario", choices=("fanout", "sweep"), action="append")
    parser.add_argument("--chats", type=int, default=2000, help="fan-out: chats owed a message")
    parser.add_argument(
        "--tickets", type=int, default=20, help="sweep: overdue tickets added before each run"
    )
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: a SQLite file)")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the stand-in takes to answer a send (Telegram: ~0.1)",
    )
    parser.add_argument("--seed", type=int, default=None, help="where the kills land (default: random)")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # a killed bot's requests cut short
    global LATENCY
    LATENCY = args.latency
    rows = []
    for scenario in args.scenario or ["fanout", "sweep"]:
        with tempfile.TemporaryDirectory(prefix="wuye-kills-") as tmp:
            with database(args.database_url, Path(tmp)) as url:
                run = fanout(url, Path(tmp), args.kills, args.chats) if scenario == "fanout" else sweep(
                    url, Path(tmp), args.kills, args.tickets)  # fmt: skip
                rows.append(await run)
            print(table(HEADERS, rows[-1:]), flush=True)
    print()
    print(table(HEADERS, rows))
    return 1 if any(r[6] for r in rows) or any(r[8] not in ("—", 0) for r in rows) else 0


HEADERS = ["scenario", "kills", "mid-sweep", "in flight", "max in flight", "messages owed", "lost",
           "doubled", "escalations doubled", "seconds"]  # fmt: skip

if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
