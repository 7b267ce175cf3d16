"""`wuye web --workers 2`: two processes serve one port (SO_REUSEPORT), and stopping the first stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.web.serve import default_workers
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def _listens(pid: int, inodes: set[str]) -> bool:
    try:
        links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(link.startswith("socket:[") and link[8:-1] in inodes for link in links)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_workers_serve_one_port_and_stop_with_the_first(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    env.update(WUYE_DATA_DIR=str(tmp_path / "data"), WUYE_DATABASE_URL=f"sqlite:///{tmp_path / 'wuye.db'}")
    command = [sys.executable, "-m", "bot.cli.main", "web", "--listen", f"127.0.0.1:{port}", "--workers", "2"]
    log = tmp_path / "web.out"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            inodes = _listening_inodes(port)
            workers = [pid for pid in _children(server.pid) if _listens(pid, inodes)]
            if workers and _listens(server.pid, inodes):
                break
            time.sleep(0.2)
        assert server.poll() is None, log.read_text()
        assert len(workers) == 1, (workers, log.read_text())
        for _ in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=30) as page:
                assert page.status == 200
        everyone = [server.pid, *_children(server.pid)]
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in everyone[1:]):
            time.sleep(0.2)
        assert not [pid for pid in everyone[1:] if _alive(pid)], log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_sqlite_gets_one_worker_unless_asked() -> None:
    """SQLite's file takes one writer at a time: one process by default."""
    assert default_workers("sqlite:///wuye.db") == 1
    assert default_workers("postgresql+psycopg://postgres@127.0.0.1/wuye") >= 1
