"""What the benchmarks share: the stand-in Bot API, wuye and bare echo bots on either framework and door.

The stand-in server lives with the tests (tests/support/botapi.py); the benchmarks run from a clone, so
they import it from there. Nothing here is mocked: wuye runs exactly as `wuye run` does (the same
Settings, runtime, front end, outbox and webhook server), pointed at the stand-in's loopback URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from tests.support.botapi import StandInBotAPI  # noqa: E402
from tests.support.processes import free_port  # noqa: E402
from tests.support.processes import stop as stop_process  # noqa: E402

SETUP = ROOT / "examples" / "setup.yaml"
SECRET = "bench-secret-0123456789"

FRAMEWORKS = ("ptb", "aiogram")
DOORS = ("polling", "webhook")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in cells
    ]
    return "\n".join([out[0], line, *out[1:]])


@dataclass
class Running:
    """A bot under test, in its own process: how to feed it one update (push for polling, POST for
    webhook), how much CPU it has used, and how to stop it."""

    server: StandInBotAPI
    door: str
    process: subprocess.Popen[bytes]
    log: Path
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def feed(self, update: dict[str, Any]) -> None:
        if self.door == "polling":
            self.server.push_raw(update)
            return
        task = asyncio.create_task(self.server.post_webhook(update))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the bot so far: its process (all threads) and its children (wuye's
        core process), the living ones and those it has reaped."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            if stat.parent.name == str(self.process.pid):
                ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            elif fields[1] == str(self.process.pid):  # a child: ppid is the bot
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        await stop_process(self.process)


async def _started(
    server: StandInBotAPI, door: str, process: subprocess.Popen[bytes], log: Path, port: int
) -> Running:
    """Wait until the bot takes updates (polls, or set its webhook and listens); fail with its output."""
    method = "getUpdates" if door == "polling" else "setWebhook"
    for _ in range(1200):
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if any(c.method == method for c in server.calls) and (door == "polling" or _listening(port)):
            return Running(server, door, process, log)
        await asyncio.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the bot did not start within a minute:\n{log.read_text()[-3000:]}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _spawn(
    args: list[str], env: dict[str, str], workdir: Path, name: str
) -> tuple[subprocess.Popen[bytes], Path]:
    log = workdir / f"{name}.out"
    with open(log, "ab") as out:
        process = subprocess.Popen(args, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


async def start_wuye(
    server: StandInBotAPI, framework: str, door: str, workdir: Path, core_processes: int | None = None
) -> Running:
    """`wuye run` as its own process, exactly as an operator starts it, on a fresh SQLite file loaded
    with the example setup, pointed at the stand-in's loopback URL."""
    url = f"sqlite:///{workdir / 'wuye.db'}"
    app = build_app(Settings(database_url=url))
    apply_setup(app.ctx, read_setup(SETUP))
    app.engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    env.update(
        WUYE_DATABASE_URL=url,
        WUYE_BOT_TOKEN=server.token,
        WUYE_API_URL=server.url,
        WUYE_FRAMEWORK=framework,
        WUYE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if core_processes is not None:
        env.update(WUYE_CORE_PROCESSES=str(core_processes))
    if door == "webhook":
        env.update(
            WUYE_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            WUYE_WEBHOOK_SECRET=SECRET,
            WUYE_LISTEN=f"127.0.0.1:{port}",
        )
    process, log = _spawn([sys.executable, "-m", "bot.cli.main", "run"], env, workdir, "wuye")
    return await _started(server, door, process, log, port)


async def start_echo(
    server: StandInBotAPI,
    framework: str,
    door: str,
    workdir: Path,
    frozen_heap: bool = False,
    concurrent: bool = False,
) -> Running:
    """A bare echo bot of the same framework, by the same door, as its own process (bench/echo_bot.py),
    with the framework's defaults; `frozen_heap`: its start-up objects out of full garbage collections as
    in `wuye run`; `concurrent`: PTB's concurrent updates on (off by default in PTB)."""
    extra = ["--concurrent-updates"] if concurrent else []
    return await _start_script("echo_bot", server, framework, door, workdir, frozen_heap, extra)


async def start_floor(server: StandInBotAPI, framework: str, door: str, workdir: Path) -> Running:
    """The report flow's Bot API calls with no wuye behind them, as its own process (bench/floor_bot.py),
    with its heap frozen after start-up as `wuye run`'s is: the floor takes every saving wuye takes."""
    return await _start_script("floor_bot", server, framework, door, workdir, frozen_heap=True)


async def _start_script(
    name: str,
    server: StandInBotAPI,
    framework: str,
    door: str,
    workdir: Path,
    frozen_heap: bool = False,
    extra: list[str] | None = None,
) -> Running:
    port = free_port()
    args = [
        sys.executable,
        str(ROOT / "bench" / f"{name}.py"),
        "--framework",
        framework,
        "--door",
        door,
        "--api-url",
        server.url,
        "--token",
        server.token,
        "--port",
        str(port),
        *(extra or []),
    ]
    if frozen_heap:
        args.append("--frozen-heap")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process, log = _spawn(args, env, workdir, name)
    return await _started(server, door, process, log, port)


@contextlib.asynccontextmanager
async def stand_in() -> Any:
    """The stand-in Bot API, knowing the example setup's people (staff, managers, officials) as Telegram
    users who have started the bot, so the ticket cards sent to them are delivered, not refused."""
    async with StandInBotAPI() as server:
        for entry in read_setup(SETUP).get("people", []):
            if isinstance(entry.data.get("telegram_id"), int):
                server.add_user(entry.data["telegram_id"], str(entry.data.get("name") or ""))
        yield server


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="wuye-bench-")
