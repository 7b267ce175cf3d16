"""`wuye chat` as someone tries it: the example setup loaded, lines typed one after another into its Python
entry point (bot/serve.py `run_console`), what it prints read back. One person at a time: a message for
someone else waits for them and is only noted; `/as` plays them and shows it. The sweep runs after every
line, and `/wait` moves the clock on so that a reminder arrives. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import load_settings
from bot.console.session import CONSOLE_COMMANDS
from bot.documents.setup_file import read_setup
from bot.serve import run_console
from bot.wiring import build_app
from handlers.clock import ShiftedClock
from handlers.conversations.core import COMMANDS
from handlers.services.setup import apply_setup
from tests.support.translations import shared_translations

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
OWNER, REPAIR = 200001, 100002  # 张女士 and 李师傅（维修）, both reading zh_Hans
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a working day, office hours
TR = shared_translations().for_lang("zh_Hans")
NUMBER = "HB-2026-000001"
# The owner reports a broken lift: urgent, name shown to the government side only, submitted.
REPORT = ["/report", "6", "3栋B梯停在8楼不动", "1", "3栋B梯", "1", "2", "1"]
NEW_TICKET = TR.gettext("New ticket for you:")
SENT = TR.gettext("Report sent.")
ACKNOWLEDGED = (
    TR.gettext("✅ Your report {number} was acknowledged by the property staff. Deadline: {due}.")
    .partition("{due}")[0]
    .format(number=NUMBER)
)
HALF_TIME = TR.gettext("⏰ Half the time for {number} has passed. Deadline: {due}.").partition("{due}")[0]


def chat(database_url: str, tmp_path: Path, as_: int, lines: list[str]) -> str:
    """Load the example setup, type `lines` into `wuye chat --as as_` on a Monday morning, return what it
    printed."""
    settings = load_settings(database_url=database_url, data_dir=tmp_path)
    app = build_app(settings)
    apply_setup(app.ctx, read_setup(EXAMPLE))
    app.engine.dispose()
    out = io.StringIO()
    typed = io.StringIO("".join(f"{line}\n" for line in lines))
    asyncio.run(run_console(settings, as_, "x", stdin=typed, stdout=out, clock=ShiftedClock(MONDAY)))
    return out.getvalue()


def test_each_person_sees_only_their_own_messages(database_url: str, tmp_path: Path) -> None:
    out = chat(database_url, tmp_path, OWNER, [*REPORT, "/as 100002", "1", "/as 200001"])
    # The technician's chat is shown once, when /as plays them, not when their card was sent.
    assert out.count("── 李师傅（维修）") == 1 and out.count("── 张女士") == 2
    owner_part, _, rest = out.partition("── 李师傅（维修）")
    tech_part, _, back = rest.partition("── 张女士")
    # Playing the owner: their report is confirmed; the technician's new-ticket card is not printed to
    # them, only noted as waiting for 李师傅, dim and indented, with how to see it.
    assert SENT in owner_part and NUMBER in owner_part
    assert NEW_TICKET not in owner_part, owner_part
    assert "      ✉ 1 waiting for 李师傅（维修）" in owner_part and "/as 100002 shows them" in owner_part
    # Playing the technician: the card arrives under their own name and role, with its buttons.
    assert tech_part.startswith(" · Property staff (Repairs), 海滨花园 ─"), tech_part[:80]
    assert NEW_TICKET in tech_part and "[1] ✅ 签收" in tech_part
    # They acknowledge ("1" presses their card's first button); the owner's notice waits for the owner.
    assert ACKNOWLEDGED not in tech_part
    assert "✉ 1 waiting for 张女士" in tech_part
    # Back as the owner, the acknowledgement arrives, and nothing of the technician's is shown there.
    assert ACKNOWLEDGED in back and NEW_TICKET not in back


def test_the_sweep_in_the_console_delivers_a_reminder(database_url: str, tmp_path: Path) -> None:
    # Nobody acknowledges; half of the urgent ticket's 12 hours pass; playing the technician, the sweep's
    # reminder arrives (the console runs the sweep after every line; /wait moves its clock on first).
    out = chat(database_url, tmp_path, OWNER, [*REPORT, "/as 100002", "/wait 7h"])
    before, _, waited = out.partition("⏩ 7h later: 2026-11-23 16:")
    assert waited, out
    assert HALF_TIME.format(number=NUMBER) not in before
    assert f"⚙ {NUMBER}: {TR.gettext('reminder: half the time has passed')}" not in waited  # English lines
    assert f"⚙ {NUMBER}: reminder: half the time has passed" in waited
    assert f"🔔 {HALF_TIME.format(number=NUMBER)}" in waited, waited


def test_bad_console_commands_are_explained_and_change_nothing(database_url: str, tmp_path: Path) -> None:
    typos = [
        "/wait soon",
        "/as someone",
        "/as 99",
        f"file {tmp_path}/nosuch.pdf 看看",
        f"file {tmp_path}",
        "/my",
    ]
    out = chat(database_url, tmp_path, OWNER, typos)
    assert "wuye chat: /wait takes a duration like 30m, 2h or 1d ('soon')" in out
    assert "wuye chat: /as takes a Telegram id like 100002, not 'someone'" in out
    assert "wuye chat: nobody with Telegram id 99 here; /as alone lists who" in out
    # A document that cannot be read (a typo in its path, a folder) is said, and nothing goes to the bot.
    assert f"wuye chat: file {tmp_path}/nosuch.pdf: No such file or directory; nothing was sent" in out
    assert f"wuye chat: file {tmp_path}: Is a directory; nothing was sent" in out
    assert TR.gettext("Report sent.") not in out and "📎" not in out
    assert "later:" not in out and out.count("── ") == 1  # the clock did not move; still the owner


def test_the_console_commands_are_no_commands_of_the_bot() -> None:
    assert not set(CONSOLE_COMMANDS) & set(COMMANDS)


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_walkthrough_does_what_it_says(database_url: str, tmp_path: Path) -> None:
    """The walkthrough in README "Trying it without Telegram", typed as written, at the time its `--at`
    gives: each line's comment is what happens."""
    text = README.read_text(encoding="utf-8")
    block = text.partition('wuye chat --as 200001 --at "')[2]
    at, _, rest = block.partition('"\n')
    lines = [line.split("  ")[0].strip() for line in rest.partition("```")[0].splitlines()]
    assert lines == ["/report", "/as 100002", "/wait 2h", "/wait 5h", "1", "1", "/as 200001", "/as 100001"]
    start = datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    settings = load_settings(database_url=database_url, data_dir=tmp_path)
    app = build_app(settings)
    apply_setup(app.ctx, read_setup(EXAMPLE))
    app.engine.dispose()
    out = io.StringIO()
    typed = io.StringIO("".join(f"{line}\n" for line in [*REPORT, *lines[1:]]))
    asyncio.run(run_console(settings, OWNER, "x", stdin=typed, stdout=out, clock=ShiftedClock(start)))
    seen = out.getvalue()
    card, _, waited = seen.partition("⏩ 2h later")
    assert NEW_TICKET in card and f"⚙ {NUMBER}: escalated → Project manager" not in card
    escalated, _, later = waited.partition("⏩ 5h later")
    assert f"⚙ {NUMBER}: escalated → Project manager" in escalated, escalated
    reminded, _, owner = later.partition("── 张女士")
    assert f"🔔 {HALF_TIME.format(number=NUMBER)}" in reminded, reminded
    assert TR.gettext("Acknowledged {number}. The owner has been told.").format(number=NUMBER) in reminded
    owner, _, manager = owner.partition("── 王建国")
    assert ACKNOWLEDGED in owner
    assert (
        TR.gettext("⬆️ {number} has been escalated to you: {reason}.")
        .partition("{reason}")[0]
        .format(number=NUMBER)
        in manager
    ), manager
