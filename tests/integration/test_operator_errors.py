"""A careless operator at the real `wuye` command: each mistake gets one line on stderr naming it (exit 2)
and creates nothing (no database, no data folder, no lock file); `wuye status` is an honest health
check; `wuye load` says exactly what changed; unknown WUYE_* variables are named; `--version`."""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.pool import NullPool

from storage.engine import make_engine
from tests.support import processes as P
from tests.support.botapi import StandInBotAPI

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop

BAD_DATE = "calendar:\n  - date: 2027-02-30\n    working: false\n"
QUOTED_BAD_DATE = 'calendar:\n  - date: "2027-02-30"\n    working: false\n'


@dataclass
class Ran:
    code: int
    out: list[str]
    err: list[str]

    @property
    def line(self) -> str:
        """The one line on stderr (failing when there are more, or a traceback)."""
        assert len(self.err) == 1, self.err
        return self.err[0]


def wuye(cwd: Path, *args: str, **env: str) -> Ran:
    """The `wuye` console script in `cwd`, with only the WUYE_* variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("WUYE_")}
    done = subprocess.run(
        [str(P.WUYE), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout.splitlines(), done.stderr.splitlines())


def everything_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


# ---- wuye load --------------------------------------------------------------------------------------
def test_a_date_that_does_not_exist_is_one_line_and_creates_nothing(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(BAD_DATE, encoding="utf-8")
    (workdir / "quoted.yaml").write_text(QUOTED_BAD_DATE, encoding="utf-8")

    bare = wuye(workdir, "load", "bad.yaml")  # YAML itself reads 2027-02-30 as a date, and fails
    assert bare.code == 2 and bare.line.startswith("wuye: bad.yaml")
    assert "2027-02-30" in bare.line or "day is out of range for month" in bare.line

    quoted = wuye(workdir, "load", "quoted.yaml")  # a text the setup rules read as a date, and refuse
    assert quoted.code == 2
    assert quoted.line == (
        "wuye: quoted.yaml:2: calendar.date: '2027-02-30' is not a date like 2027-01-01 (nothing was written)"
    )
    assert everything_in(workdir) == {"bad.yaml", "quoted.yaml"}  # no data/, no wuye.db


# ---- wuye chat --------------------------------------------------------------------------------------
def test_a_console_start_time_that_is_no_time_is_one_line_and_creates_nothing(workdir: Path) -> None:
    for bad in ("2026-13-07 09:00", "09:00", "tomorrow"):
        ran = wuye(workdir, "chat", "--as", "200001", "--at", bad)
        assert ran.code == 2
        assert (
            ran.line
            == f"wuye: --at {bad!r}: write a local date and time as YYYY-MM-DD HH:MM, e.g. '2026-12-07 09:00'"
        )
    assert everything_in(workdir) == set()  # no data/, no wuye.db


def test_an_empty_setup_file_says_nothing_to_load_and_fails(workdir: Path) -> None:
    (workdir / "empty.yaml").write_text("# to be filled in\n", encoding="utf-8")
    (workdir / "sections.yaml").write_text("offices:\ncompanies:\n", encoding="utf-8")
    for name in ("empty.yaml", "sections.yaml"):
        ran = wuye(workdir, "load", name)
        assert ran.code == 2 and ran.out == []
        assert ran.line.startswith(f"wuye: {name}: nothing to load")
    assert everything_in(workdir) == {"empty.yaml", "sections.yaml"}


def test_loading_a_file_again_reports_that_nothing_changed_and_a_change_exactly(
    database_url: str, workdir: Path
) -> None:
    first = wuye(workdir, "load", str(P.SETUP), WUYE_DATABASE_URL=database_url)
    assert first.code == 0 and first.err == []
    assert first.out[0] == (
        f"loaded {P.SETUP}: created 9 offices, 2 companies, 3 estates, 16 people, 17 roles, 3 policies, "
        "1 calendar day, 1 setting; updated nothing"  # the setting: the default report calendar, kept
    )
    again = wuye(workdir, "load", str(P.SETUP), WUYE_DATABASE_URL=database_url)
    assert again.code == 0
    assert again.out[0] == f"loaded {P.SETUP}: nothing changed (the database already holds everything in it)"

    text_ = P.SETUP.read_text(encoding="utf-8")
    assert text_.count("  - key: haibin\n    name: 海滨花园\n") == 1
    changed = workdir / "changed.yaml"
    changed.write_text(
        text_.replace(
            "  - key: haibin\n    name: 海滨花园\n", "  - key: haibin\n    name: 海滨花园一期\n"
        ).replace("date: 2027-01-01", "date: 2027-01-02"),
        encoding="utf-8",
    )
    third = wuye(workdir, "load", "changed.yaml", WUYE_DATABASE_URL=database_url)
    assert third.code == 0
    assert third.out[0] == "loaded changed.yaml: created 1 calendar day; updated 1 estate"


def test_an_unknown_person_on_call_is_one_line_naming_them_and_loads_nothing(
    database_url: str, workdir: Path
) -> None:
    text_ = P.SETUP.read_text(encoding="utf-8")
    assert text_.count("    on_call: [sun-security]\n") == 1
    line = text_[: text_.index("    on_call: [sun-security]")].count("\n") + 1
    (workdir / "on_call.yaml").write_text(
        text_.replace("on_call: [sun-security]", "on_call: [sun-security, nobody-here]"), encoding="utf-8"
    )
    ran = wuye(workdir, "load", "on_call.yaml", WUYE_DATABASE_URL=database_url)
    assert ran.code == 2 and ran.out == []
    assert ran.line == (
        f"wuye: on_call.yaml:{line}: estates.on_call: unknown person 'nobody-here' (nothing was written)"
    )
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:  # no schema (a SQLite file is not even left), or an empty one
            for table in set(inspect(connection).get_table_names()) & {"estate", "person", "office"}:
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    finally:
        engine.dispose()
    # The example loads, and taking someone off call is an update of the estate.
    assert wuye(workdir, "load", str(P.SETUP), WUYE_DATABASE_URL=database_url).code == 0
    (workdir / "off.yaml").write_text(
        text_.replace("on_call: [sun-security]", "on_call: []"), encoding="utf-8"
    )
    off = wuye(workdir, "load", "off.yaml", WUYE_DATABASE_URL=database_url)
    assert off.code == 0 and off.out[0] == "loaded off.yaml: created nothing; updated 1 estate"


# ---- the database URL ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "not a url",
            "wuye: WUYE_DATABASE_URL: not a database URL (use sqlite:///path/to/wuye.db or "
            "postgresql+psycopg://user:password@host:5432/name)",
        ),
        (
            "postgresql+psycopg://user:secret@db.example:notaport/wuye",
            "wuye: WUYE_DATABASE_URL: not a database URL (use sqlite:///path/to/wuye.db or "
            "postgresql+psycopg://user:password@host:5432/name)",
        ),
        (
            "postgres://wuye:secret@db.example/wuye",
            "wuye: WUYE_DATABASE_URL: postgres:// is not a name SQLAlchemy knows; "
            "write postgresql+psycopg://wuye:***@db.example/wuye",
        ),
        (
            "postgresql://wuye:secret@db.example:5432/wuye",
            "wuye: WUYE_DATABASE_URL: postgresql:// names no driver; "
            "write postgresql+psycopg://wuye:***@db.example:5432/wuye",
        ),
        (
            "postgresql+psycopg2://wuye@db.example/wuye",
            "wuye: WUYE_DATABASE_URL: postgresql+psycopg2:// is not the driver wuye installs (psycopg); "
            "write postgresql+psycopg://wuye@db.example/wuye",
        ),
        (
            "mysql://wuye@db.example/wuye",
            "wuye: WUYE_DATABASE_URL: wuye runs on SQLite or PostgreSQL, not mysql (use "
            "sqlite:///path/to/wuye.db or postgresql+psycopg://user:password@host:5432/name)",
        ),
    ],
)
def test_a_database_url_wuye_cannot_use_is_one_line_with_a_hint_and_no_password(
    workdir: Path, url: str, expected: str
) -> None:
    for command in (["status"], ["load", str(P.SETUP)], ["db", "upgrade"]):
        ran = wuye(workdir, *command, WUYE_DATABASE_URL=url)
        assert ran.code == 2 and ran.line == expected and ran.out == [], command
        assert "secret" not in ran.line
    assert everything_in(workdir) == set()


# ---- wuye status ------------------------------------------------------------------------------------
def test_status_away_from_the_database_or_with_a_misspelled_variable_fails_and_creates_nothing(
    tmp_path: Path, workdir: Path
) -> None:
    elsewhere = wuye(workdir, "status")
    assert elsewhere.code == 2 and elsewhere.out == []
    assert elsewhere.line == (
        f"wuye: no database at {workdir.resolve() / 'data' / 'wuye.db'} (run this where wuye runs, or set "
        "WUYE_DATABASE_URL or WUYE_DATA_DIR; `wuye load` creates it)"
    )
    real = tmp_path / "real.db"
    misspelled = wuye(workdir, "status", WUYE_DATABSE_URL=f"sqlite:///{real}")
    assert misspelled.code == 2 and misspelled.out == []
    warning, error = misspelled.err
    assert warning == (
        "wuye: warning: ignored, not a setting: WUYE_DATABSE_URL (did you mean WUYE_DATABASE_URL?)"
    )
    assert error == elsewhere.line
    assert everything_in(workdir) == set() and not real.exists()


@pytest.mark.postgres
def test_status_of_a_postgresql_server_that_does_not_answer_or_has_no_wuye_tables_fails(
    postgres_url: str, workdir: Path
) -> None:
    gone = wuye(workdir, "status", WUYE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert gone.code == 2 and gone.out == []
    assert gone.line.startswith(
        "wuye: cannot open the database postgresql+psycopg://postgres@127.0.0.1:1/test:"
    )

    empty = wuye(workdir, "status", WUYE_DATABASE_URL=postgres_url)
    assert empty.code == 2 and empty.out == []
    assert empty.line.endswith(" has no wuye tables (the wrong database? `wuye load` creates them)")
    engine = make_engine(postgres_url, poolclass=NullPool)
    try:
        assert inspect(engine).get_table_names() == []  # it created none
    finally:
        engine.dispose()
    assert everything_in(workdir) == set()


def test_status_fails_when_the_oldest_undelivered_message_is_older_than_max_age(
    database_url: str, workdir: Path
) -> None:
    app, _ = P.world_app(database_url, datetime.now(UTC))
    P.open_tickets(app, 1)  # queues the assignment card
    with app.engine.begin() as connection:
        connection.execute(
            text("UPDATE notification SET created_at = :at"),
            {"at": datetime.now(UTC) - timedelta(minutes=25)},
        )
    app.engine.dispose()

    stale = wuye(workdir, "status", WUYE_DATABASE_URL=database_url)
    assert stale.code == 1
    assert stale.out[0] == "outbox: waiting 1" and "waiting 25 min" in stale.out[1]
    assert stale.line == "wuye: the oldest undelivered message has waited 25 min, longer than --max-age 10m"

    patient = wuye(workdir, "status", "--max-age", "1h", WUYE_DATABASE_URL=database_url)
    assert patient.code == 0 and patient.err == [] and patient.out == stale.out

    wrong = wuye(workdir, "status", "--max-age", "ten minutes", WUYE_DATABASE_URL=database_url)
    assert wrong.code == 2 and wrong.out == []
    assert wrong.line == "wuye: --max-age: 'ten minutes' is not a duration like 30s, 10m, 2h or 1d"


# ---- every command ------------------------------------------------------------------------------------
def test_unknown_wuye_variables_are_named_with_a_suggestion_by_every_command(workdir: Path) -> None:
    (workdir / ".env").write_text("WUYE_TIMEZON=Asia/Shanghai\nWUYE_LOG_LEVEL=INFO\nPATH_EXTRA=1\n")
    expected = (
        "wuye: warning: ignored, not a setting: WUYE_BOT_TOKN (did you mean WUYE_BOT_TOKEN?), "
        "WUYE_SOMETHING, WUYE_TIMEZON in .env (did you mean WUYE_TIMEZONE?)"
    )
    for command in (["--version"], ["status"], ["people", "list"], ["load", "missing.yaml"]):
        ran = wuye(workdir, *command, WUYE_BOT_TOKN="x", WUYE_SOMETHING="1", WUYE_LOG_LEVEL="INFO")
        assert ran.err[0] == expected, command
    assert everything_in(workdir) == {".env"}


def test_version_is_the_installed_packages(workdir: Path) -> None:
    ran = wuye(workdir, "--version")
    assert ran.code == 0 and ran.out == [f"wuye {version('wuye')}"] and ran.err == []


# ---- wuye run -----------------------------------------------------------------------------------------
async def test_a_rejected_token_or_an_unreachable_bot_api_is_said_before_anything_is_created(
    workdir: Path,
) -> None:
    async with StandInBotAPI() as server:
        server.reject_token(server.token)
        env = P.wuye_env(f"sqlite:///{workdir / 'data' / 'wuye.db'}", server)
        env.pop("WUYE_DATABASE_URL")  # the default: ./data/wuye.db, with its lock file beside it
        rejected = await asyncio.to_thread(wuye, workdir, "run", **_wuye_only(env))
        assert [c.method for c in server.calls] == ["getMe"]
    assert rejected.code == 2 and rejected.out == []
    assert rejected.line == "wuye: WUYE_BOT_TOKEN: Telegram rejected this token (revoked or mistyped?)"
    assert everything_in(workdir) == set()  # no data/, no wuye.db, no wuye.lock

    closed = f"http://127.0.0.1:{P.free_port()}"
    unreachable = await asyncio.to_thread(wuye, workdir, "run", **{**_wuye_only(env), "WUYE_API_URL": closed})
    assert unreachable.code == 2 and unreachable.out == []
    assert unreachable.line.startswith(f"wuye: cannot reach the Bot API at {closed}: ConnectError")
    assert server.token.partition(":")[2] not in unreachable.line
    assert everything_in(workdir) == set()


def _wuye_only(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("WUYE_")}
