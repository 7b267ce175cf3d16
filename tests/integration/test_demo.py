"""`wuye demo`, the quick start's first command, as a user runs it: a process, in each language."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from handlers.conversations.labels import ROLE, STATUS
from handlers.domain.people import RoleKind
from handlers.rules.lifecycle import Status
from tests.support.translations import shared_translations

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = shared_translations()
# Everyone's Telegram id in the example setup: none may be printed, each chat is named by its owner.
TELEGRAM_IDS = [
    str(p["telegram_id"])
    for p in yaml.safe_load((ROOT / "examples" / "setup.yaml").read_text())["people"]
    if "telegram_id" in p
]


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "demo", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},  # no WUYE_* from the developer's shell
    )


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_demo_tells_all_three_acts_in_each_language(tmp_path: Path, lang: str) -> None:
    result = demo(tmp_path, "--lang", lang)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    tr = TRANSLATIONS.for_lang(lang)  # type: ignore[arg-type]
    # Act one: the lift is fixed and the owner confirms.
    assert "HB-2026-000001" in out
    assert tr.gettext(STATUS[Status.CLOSED]) in out
    # Act two: the ladder climbs until the district lists the case for supervision.
    assert "HB-2026-000002" in out
    assert tr.gettext("Listed for supervision by the district housing bureau (挂牌督办)") in out
    # Act three: the disclosure is published and charted; the chart is a real PNG.
    chart = tmp_path / "wuye-demo" / "05-chart.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in result.stderr
    # The narration between the chats speaks the chosen language too: every scene's title and every
    # step the ladder took (English words would show as runs of Latin letters; /my is a command).
    titles = re.findall(r"· (.+) ════", out)
    steps = [line.partition(": ")[2] for line in out.splitlines() if "⚙ HB-" in line]
    assert len(titles) >= 20 and len(steps) >= 5
    if lang != "en":
        english = [t for t in titles + steps if re.search(r"[A-Za-z]{3,}", t.replace("/my", ""))]
        assert not english
    # Every recipient is named by name and role (in the chosen language), never by a Telegram id.
    headers = re.findall(r"^── (.+?) ─+$", out, flags=re.M)
    roles = [tr.gettext(ROLE[kind]) for kind in (RoleKind.OWNER, RoleKind.STAFF, RoleKind.MANAGER)]
    assert len(headers) > 50 and all(role in " ".join(headers) for role in roles)
    unnamed = [h for h in headers if " · " not in h or not any(tr.gettext(r) in h for r in ROLE.values())]
    assert not unnamed
    assert not [i for i in TELEGRAM_IDS if re.search(rf"\b{i}\b", out)]
    # Act three shows the project manager's upload, kept beside the chart.
    upload = tmp_path / "wuye-demo" / "04-revenue-2026Q4.xlsx"
    assert f"▶ 📎 [revenue-2026Q4.xlsx: {upload}] 2026Q4" in out
    assert upload.read_bytes()[:2] == b"PK"  # a real .xlsx (a zip)
    # A file sent again (January's ledger: to the official who asked, with the draft, to the bureau) is
    # the one saved the first time, as Telegram sends it again: the folder holds no two alike.
    kept = Counter(
        (p.name[3:], hashlib.sha256(p.read_bytes()).digest()) for p in (tmp_path / "wuye-demo").iterdir()
    )
    assert not [name for (name, _), copies in kept.items() if copies > 1]
    january = re.findall(r"\[(ledger-2027-01-\S+): (\S+)\]", out)
    assert len(january) == 3 and len({path for _, path in january}) == 1, january


def test_zh_hans_chats_show_no_english_interface_text(tmp_path: Path) -> None:
    out = demo(tmp_path).stdout
    chat_lines = [line for line in out.splitlines() if line.lstrip().startswith(("◀", "✎", "[", "▶ ["))]
    assert chat_lines
    for english in ("Status:", "Urgency:", "Deadline", "Category:", "Please "):
        assert not [line for line in chat_lines if english in line], english


def test_an_unknown_language_is_one_line_naming_it(tmp_path: Path) -> None:
    result = demo(tmp_path, "--lang", "xx")
    assert result.returncode != 0
    expected = "wuye: --lang: unknown language 'xx' (zh_Hans, zh_Hant, en)"
    assert result.stderr.strip().splitlines() == [expected]


def test_the_kept_demo_says_how_to_open_it_in_a_browser_and_those_commands_work(tmp_path: Path) -> None:
    """As a user would: the plain demo says how to keep its database; the kept one prints the commands
    for the web pages, which, typed as printed, serve the story and let the street official sign in."""
    plain = demo(tmp_path).stdout
    assert "demo --keep wuye-demo.db" in plain.splitlines()[-1]
    kept = demo(tmp_path, "--keep", "story.db", "--lang", "en").stdout.splitlines()[-1]
    serve = re.search(r"(WUYE_DATABASE_URL=\S+ wuye web --listen 127\.0\.0\.1:8090)", kept)
    invite = re.search(r"(WUYE_DATABASE_URL=\S+ wuye invite web --person wu-street)", kept)
    assert serve and invite, kept
    shell = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    issued = subprocess.run(
        ["bash", "-c", invite.group(1)], cwd=tmp_path, env=shell, capture_output=True, text=True, timeout=120
    )
    assert issued.returncode == 0, issued.stderr
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b", issued.stdout)
    assert code, issued.stdout
    port = free_port()
    web = subprocess.Popen(
        ["bash", "-c", serve.group(1).replace("127.0.0.1:8090", f"127.0.0.1:{port}")],
        cwd=tmp_path,
        env=shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        page = sign_in(port, code.group(1))
        assert "吴科长" in page and "/area" in page, page[-2000:]
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(port: int, code: str) -> str:
    """Sign in at /signin with the code, as a browser would (cookie, CSRF token); the home page then."""
    import http.cookiejar
    import time
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # until the server answers
        try:
            form = opener.open(f"{base}/signin", timeout=5).read().decode()
            break
        except OSError:
            time.sleep(0.2)
    else:
        raise AssertionError("wuye web never answered")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    data = urllib.parse.urlencode({"csrf": csrf.group(1), "code": code}).encode()
    return opener.open(f"{base}/signin", data=data, timeout=30).read().decode()
