"""Stopping `wuye run` as operators do: SIGTERM to the whole process group (`systemctl stop`), Ctrl+C
(SIGINT to the group), or a signal to one of its processes. Each stops wuye cleanly on both frameworks:
exit code 0, no traceback, no core process started after the signal, the update in hand finished."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support import processes as P
from tests.support.botapi import Call, StandInBotAPI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

READY = "wuye-core-1 ready"  # the core process's DEBUG line once it takes turns


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    app, _ = P.world_app(url, datetime.now(UTC))
    app.engine.dispose()
    yield url


def start(database_url: str, botapi: StandInBotAPI, workdir: Path, framework: str) -> subprocess.Popen[bytes]:
    """`wuye run` in a process group of its own (as a service manager or a terminal starts it)."""
    with open(workdir / "wuye.out", "ab") as out:
        return subprocess.Popen(
            [str(P.WUYE), "run"],
            cwd=workdir,
            env=P.wuye_env(database_url, botapi, framework, WUYE_LOG_LEVEL="DEBUG"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def core_processes(pid: int) -> list[int]:
    """The core processes `pid` started (multiprocessing's spawned children, not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def group_members(pgid: int) -> list[str]:
    """The live processes of a process group (zombies aside), by their command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{entry.name}: {command}")
    return found


def answers(botapi: StandInBotAPI) -> list[Call]:
    """The bot's sendMessage requests to the owner's chat (each recorded as it arrives)."""
    return [c for c in botapi.calls if c.method == "sendMessage" and c.params.get("chat_id") == P.OWNER]


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    try:
        return await asyncio.to_thread(proc.wait, timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
        raise AssertionError(f"wuye did not stop within {timeout} s of the signal") from None


CASES = [
    pytest.param("ptb", signal.SIGTERM, "group", id="ptb-SIGTERM-group"),
    pytest.param("aiogram", signal.SIGTERM, "group", id="aiogram-SIGTERM-group"),
    pytest.param("ptb", signal.SIGINT, "group", id="ptb-SIGINT-group"),
    pytest.param("aiogram", signal.SIGINT, "group", id="aiogram-SIGINT-group"),
    pytest.param("ptb", signal.SIGTERM, "core", id="ptb-SIGTERM-core"),
    pytest.param("aiogram", signal.SIGINT, "core", id="aiogram-SIGINT-core"),
    pytest.param("aiogram", signal.SIGTERM, "main", id="aiogram-SIGTERM-main"),
]


@pytest.mark.parametrize(("framework", "sig", "target"), CASES)
async def test_a_signal_to_the_group_or_any_process_stops_wuye_cleanly_finishing_the_update_in_hand(
    botapi: StandInBotAPI,
    tmp_path: Path,
    database_url: str,
    framework: str,
    sig: signal.Signals,
    target: str,
) -> None:
    P.know_everyone(botapi)
    proc = start(database_url, botapi, tmp_path, framework)
    with P.reaped(proc):
        await P.wait_for(
            lambda: any(c.method == "getUpdates" for c in botapi.calls), 60, "wuye to poll", proc, tmp_path
        )
        [core] = core_processes(proc.pid)

        # An update in hand when the signal comes: its answer is on its way (Telegram is slow to take it).
        botapi.delay(1.5, methods=["sendMessage"])
        botapi.push_raw(botapi.make_command(P.OWNER, "help"))
        await P.wait_for(lambda: answers(botapi), 20, "the answer", proc, tmp_path)
        if target == "group":
            os.killpg(proc.pid, sig)
        else:
            os.kill(core if target == "core" else proc.pid, sig)
        code = await wait_exit(proc)

    output = P.output_of(tmp_path)
    assert code == 0, output
    for bad in ("Traceback", "BrokenPipeError", "KeyboardInterrupt", "ERROR"):
        assert bad not in output, f"{bad} in the output:\n{output}"
    assert output.count(READY) == 1, f"a core process was started after the signal:\n{output}"
    # multiprocessing's resource tracker leaves once it sees wuye gone; nothing else may be left
    await P.wait_for(lambda: not group_members(proc.pid), 10, "wuye's processes to be gone")
    [answer] = answers(botapi)
    assert answer.status == 200, "the update in hand was cut off"
    assert "/language" in str(answer.params.get("text")), answer.params


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
async def test_a_signal_to_the_group_while_the_core_process_starts_stops_wuye_once_started(
    botapi: StandInBotAPI, tmp_path: Path, database_url: str, sig: signal.Signals
) -> None:
    """The core process imports for a second or two after it is born: a signal then neither kills it nor
    prints a traceback; wuye finishes starting and stops."""
    P.know_everyone(botapi)
    proc = start(database_url, botapi, tmp_path, "ptb")
    with P.reaped(proc):
        await P.wait_for(lambda: core_processes(proc.pid), 60, "the core process to be born", proc, tmp_path)
        assert READY not in P.output_of(tmp_path)  # still importing
        os.killpg(proc.pid, sig)
        code = await wait_exit(proc)

    output = P.output_of(tmp_path)
    assert code == 0, output
    for bad in ("Traceback", "KeyboardInterrupt", "ERROR"):
        assert bad not in output, f"{bad} in the output:\n{output}"
    assert output.count(READY) == 1, output
    await P.wait_for(lambda: not group_members(proc.pid), 10, "wuye's processes to be gone")


async def test_ctrl_c_ends_wuye_chat_while_it_waits_for_a_line(tmp_path: Path, database_url: str) -> None:
    """The terminal's Ctrl+C (SIGINT to its process group) ends `wuye chat` at once, without a traceback,
    though the line it waits for never comes."""
    with open(tmp_path / "wuye.out", "ab") as out:
        proc = subprocess.Popen(
            [str(P.WUYE), "chat", "--as", str(P.OWNER)],
            cwd=tmp_path,
            env=P.wuye_env(database_url, StandInBotAPI()),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with P.reaped(proc):
        assert proc.stdin is not None
        proc.stdin.write(b"/help\n")
        proc.stdin.flush()
        await P.wait_for(
            lambda: P.output_of(tmp_path).count("> ") >= 2, 60, "the answer and a new prompt", proc, tmp_path
        )
        os.killpg(proc.pid, signal.SIGINT)  # the input stays open: nothing more will come
        code = await wait_exit(proc, timeout=10)
        proc.stdin.close()
    output = P.output_of(tmp_path)
    assert code == 0 and "/language" in output, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
