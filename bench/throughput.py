"""Throughput: N simulated owners complete the report flow; wuye against a bare echo bot, same run.

    .venv/bin/python bench/throughput.py                    # 200 owners, PTB and aiogram, polling and webhook
    .venv/bin/python bench/throughput.py --owners 50 --framework ptb --door polling

For each framework and door: the owners (all at once, each like a person: the next step only after the
bot answered the last, by a new message or by editing the pressed one into the next question) first join
the estate (not timed), then report a problem: /report, a category button, a description, skip photos,
skip the place, urgency, privacy, submit — 8 updates each. Three bots of the same framework and door
take turns, each fresh and in its own process, while the stand-in Bot API and the owners stay in this one:

- echo (bench/echo_bot.py): the same number of updates from the same owners, 8 texts each, each after the
  previous echo came back; one sendMessage per update. The baseline the target is set against: bare, as
  such a bot is written (--frozen-echo gives it the frozen heap of the two below, to see what that is worth).
- floor (bench/floor_bot.py): the report flow with the Bot API calls wuye makes (15 per 8 updates: a press
  is answered and its message edited, the submit sends a ticket card to staff), but chosen from the
  update alone, with no database or state behind them, and its start-up heap frozen as wuye's is
  (bot/processes/heap.py). Its ratio to the echo is the most any implementation of this flow can reach on that
  framework and door.
- wuye: `wuye run`, exactly as an operator starts it, on SQLite.

Printed: updates/s, p50/p95 latency from an update reaching the server to the bot's answer being recorded
there, the bot process's CPU time per update, the rates as fractions of the echo's (target for wuye: at
least 0.5 on SQLite) and wuye's as a fraction of the floor's. A round measures the three back to back;
figures are medians over the rounds (--rounds, default 3), a ratio the median of the rounds' own ratios
with the lowest and highest beside it: at 200 owners python-telegram-bot's HTTP pool makes single runs
vary by a third. Wall-clock figures depend on the machine; compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DOORS,
    FRAMEWORKS,
    Running,
    percentile,
    stand_in,
    start_echo,
    start_floor,
    start_wuye,
    table,
    workdir,
)
from handlers.conversations.buttons import unversioned

INVITE = "EHB7QK4M9W"
FIRST_OWNER = 300_000
STEP_TIMEOUT = 120.0


def _has_button(message: dict[str, Any], prefix: str) -> bool:
    markup = message.get("reply_markup") or {}
    return any(
        unversioned(str(b.get("callback_data", ""))).startswith(prefix)
        for row in markup.get("inline_keyboard", [])
        for b in row
    )


class Owner:
    def __init__(self, run: Running, user_id: int, latencies: list[float]) -> None:
        self.run, self.server, self.id, self.latencies = run, run.server, user_id, latencies

    async def _after(self, update: dict[str, Any], button: str | None, timed: bool) -> dict[str, Any]:
        """Feed one update; wait for the bot's next new message here (with a button starting ``button``),
        or, for a button press, for the pressed message edited into one (a form moving on in place)."""
        mark = self.server.mark()
        records, position = self.server._records, mark
        pressed = None
        if "callback_query" in update:
            message_id = update["callback_query"]["message"]["message_id"]
            pressed = next(
                r for r in reversed(records) if r.chat_id == self.id and r.message["message_id"] == message_id
            )
        edits_before = len(pressed.edits) if pressed is not None else 0
        start = time.perf_counter()
        self.run.feed(update)

        def answered() -> dict[str, Any] | None:
            # Messages recorded since the update went in, each looked at once (re-scanning them all for
            # every waiting owner at every change would make the benchmark, not the bot, the bottleneck).
            nonlocal position
            if pressed is not None and len(pressed.edits) > edits_before:
                message = pressed.view()
                if button is None or _has_button(message, button):
                    return message
            while position < len(records):
                record = records[position]
                position += 1
                if record.chat_id == self.id:
                    message = record.view()
                    if button is None or _has_button(message, button):
                        return message
            return None

        message = await self.server.wait_until(answered, timeout=STEP_TIMEOUT, what=f"owner {self.id}")
        if timed:
            self.latencies.append(time.perf_counter() - start)
        return message

    def text(self, text: str) -> dict[str, Any]:
        return self.server.make_message(self.id, text, first_name=f"业主{self.id}", language_code="zh-hans")

    def press(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        return self.server.make_callback(self.id, message, data)

    async def join(self) -> None:
        await self._after(self.text(f"/start {INVITE}"), None, False)
        unit = f"{self.id % 30 + 1}栋1单元{self.id % 900 + 101}"
        language = await self._after(self.text(unit), "lg:", False)
        await self._after(self.press(language, "lg:zh_Hans"), None, False)

    async def report(self) -> int:
        m = await self._after(self.text("/report"), "r:cat:", True)
        await self._after(self.press(m, "r:cat:lift"), None, True)
        m = await self._after(self.text("3号楼B梯停在8楼不动，按钮没有反应。"), "r:skip", True)
        m = await self._after(self.press(m, "r:skip"), "r:skip", True)
        m = await self._after(self.press(m, "r:skip"), "r:urg:", True)
        m = await self._after(self.press(m, "r:urg:ordinary"), "r:prv:", True)
        m = await self._after(self.press(m, "r:prv:nobody"), "r:ok", True)
        await self._after(self.press(m, "r:ok"), None, True)
        return 8

    async def echo(self) -> int:
        for i in range(8):
            await self._after(self.text(f"echo {i}"), None, True)
        return 8


Round = dict[str, dict[str, float]]  # "echo" / "floor" / "wuye" -> figure -> value
KINDS = ("echo", "floor", "wuye")
STARTERS = {"floor": start_floor, "wuye": start_wuye}


@dataclass(frozen=True)
class Options:
    frozen_echo: bool = False
    concurrent_echo: bool = False
    core_processes: int | None = None
    profile: Path | None = None  # py-spy wuye's processes (the bot's and its core's) into this file


def _profilers(process: subprocess.Popen[bytes], out: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy sampling `process` and each of its children (py-spy's own --subprocesses did not find the
    core process here) until told to stop (SIGINT), the stacks folded into `out` and `out`.PID (one line
    a stack and its samples, as flame graph tools read them)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    spies = []
    for pid in [str(process.pid), *children]:
        command = [str(spy), "record", "--pid", pid, "--rate", "250", "--format", "raw", "--nonblocking"]
        command += ["--output", str(out if pid == str(process.pid) else out.with_suffix(f".{pid}.txt"))]
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


async def measure(framework: str, door: str, owners: int, options: Options = Options()) -> Round:
    """One round: the echo bot, the floor bot, then wuye, each fresh; their figures by kind."""
    figures: Round = {}
    for kind in KINDS:
        async with stand_in() as server:
            with workdir() as tmp:
                if kind == "echo":
                    run = await start_echo(
                        server, framework, door, Path(tmp), options.frozen_echo, options.concurrent_echo
                    )
                elif kind == "wuye":
                    run = await start_wuye(server, framework, door, Path(tmp), options.core_processes)
                else:
                    run = await STARTERS[kind](server, framework, door, Path(tmp))
                try:
                    latencies: list[float] = []
                    people = [Owner(run, FIRST_OWNER + i, latencies) for i in range(owners)]
                    if kind != "echo":
                        await asyncio.gather(*(p.join() for p in people))
                    spies = []
                    if kind == "wuye" and options.profile is not None:
                        spies = _profilers(run.process, options.profile)
                        await asyncio.sleep(1)  # py-spy attached to every process
                    cpu_before, started = run.cpu_seconds(), time.perf_counter()
                    flows = [p.echo() if kind == "echo" else p.report() for p in people]
                    counts = await asyncio.gather(*flows)
                    elapsed, cpu = time.perf_counter() - started, run.cpu_seconds() - cpu_before
                    for spy in spies:
                        spy.send_signal(signal.SIGINT)
                    for spy in spies:
                        spy.wait()
                finally:
                    await run.stop()
        updates = sum(counts)
        figures[kind] = {
            "updates": updates,
            "seconds": elapsed,
            "rate": updates / elapsed,
            "p50": 1000 * percentile(latencies, 50),
            "p95": 1000 * percentile(latencies, 95),
            "cpu": 1000 * cpu / updates,
        }
    return figures


def rows_for(framework: str, door: str, owners: int, rounds: list[Round]) -> list[list[Any]]:
    """Each figure is the median over the rounds; a ratio is the median of each round's own ratio
    (the bots measured back to back), with the lowest and highest beside it. The floor's ratio to the
    echo is the most this flow can reach on that framework and door; wuye's to the floor, what wuye's
    own work costs."""

    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in rounds)

    def ratio(kind: str, base: str) -> tuple[str, str]:
        values = sorted(r[kind]["rate"] / r[base]["rate"] for r in rounds)
        spread = "" if len(values) == 1 else f"{values[0]:.2f}–{values[-1]:.2f}"
        return f"{statistics.median(values):.2f}", spread

    rows = []
    for kind in KINDS:
        to_echo = ("", "") if kind == "echo" else ratio(kind, "echo")
        to_floor = ratio(kind, "floor")[0] if kind == "wuye" else ""
        rows.append(
            [
                framework,
                door,
                kind,
                owners,
                int(med(kind, "updates")),
                len(rounds),
                f"{med(kind, 'seconds'):.2f}",
                f"{med(kind, 'rate'):.1f}",
                f"{med(kind, 'p50'):.0f}",
                f"{med(kind, 'p95'):.0f}",
                f"{med(kind, 'cpu'):.1f}",
                *to_echo,
                to_floor,
            ]
        )
    return rows


async def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="echo-then-wuye rounds per framework and door; medians are printed (default 3)",
    )
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append")
    parser.add_argument("--door", choices=DOORS, action="append")
    parser.add_argument(
        "--core-processes",
        type=int,
        default=None,
        help="WUYE_CORE_PROCESSES for wuye (default: wuye's own default)",
    )
    parser.add_argument(
        "--concurrent-echo",
        action="store_true",
        help="the PTB echo bot with concurrent updates on (PTB's default is off)",
    )
    parser.add_argument(
        "--load", action="store_true", help="a competing process keeps one CPU busy for the whole run"
    )
    parser.add_argument(
        "--frozen-echo",
        action="store_true",
        help="the echo bot too freezes its start-up heap, as wuye and the floor do",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="py-spy wuye's processes in each framework and door's first round into DIR (the bot's CPU "
        "figures then include py-spy's pauses)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.owners < 1:
        parser.error("--rounds and --owners must be at least 1")
    if args.profile and not Path(sys.executable).with_name("py-spy").exists():
        parser.error("--profile needs py-spy beside this Python: .venv/bin/pip install py-spy")
    rows: list[list[Any]] = []
    burner = _busy_core() if args.load else None
    load_before = os.getloadavg()
    try:
        await _all(args, rows)
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()
    print(
        table(
            [
                "framework",
                "door",
                "bot",
                "owners",
                "updates",
                "rounds",
                "seconds",
                "updates/s",
                "p50 ms",
                "p95 ms",
                "bot CPU ms/update",
                "ratio to echo",
                "ratio min–max",
                "wuye / floor",
            ],
            rows,
        )
    )
    print(
        f"machine: {os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after "
        f"{os.getloadavg()[0]:.2f}; competing load on one core: {'yes' if args.load else 'no'}; "
        f"wuye's core processes: {args.core_processes if args.core_processes is not None else 'default'}; "
        f"echo: {'concurrent updates' if args.concurrent_echo else 'the framework defaults'}"
    )
    return 0


def _busy_core() -> subprocess.Popen[bytes]:
    """Another program keeping one CPU busy, as on a shared machine."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


async def _all(args: argparse.Namespace, rows: list[list[Any]]) -> None:
    for framework in args.framework or FRAMEWORKS:
        for door in args.door or DOORS:
            rounds = []
            for i in range(args.rounds):
                profile = args.profile / f"{framework}-{door}.txt" if args.profile and i == 0 else None
                options = Options(args.frozen_echo, args.concurrent_echo, args.core_processes, profile)
                rounds.append(await measure(framework, door, args.owners, options))
                print(
                    f"  measured {framework}/{door}, round {i + 1} of {args.rounds}",
                    file=sys.stderr,
                    flush=True,
                )
            rows += rows_for(framework, door, args.owners, rounds)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
