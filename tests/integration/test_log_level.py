"""Every command logs at WUYE_LOG_LEVEL (INFO when the settings do not load), httpx's request lines only
at DEBUG, and never the token: the logging that `wuye`'s main sets up (bot/logs.py), in processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_log_redaction import TOKEN, assert_no_secret

pytestmark = pytest.mark.slow  # processes of its own: left out of the daily loop

ROOT = Path(__file__).resolve().parents[2]


def run_logging(tmp_path: Path, **env: str) -> str:
    """stderr of a `wuye` process (its logging set up as `main` does) that logs a line at each level."""
    code = (
        "import logging; from bot import logs; logs.configure_from_environment()\n"
        "for name in ('wuye.test', 'httpx'):\n"
        "    for level in (logging.DEBUG, logging.INFO, logging.WARNING):\n"
        f"        logging.getLogger(name).log(level, 'GET /bot{TOKEN}/getMe')\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), "WUYE_BOT_TOKEN": TOKEN, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stderr)
    return done.stderr


def test_the_log_level_comes_from_wuye_log_level_and_quiets_httpx_above_debug(tmp_path: Path) -> None:
    assert run_logging(tmp_path, WUYE_LOG_LEVEL="DEBUG").splitlines() == [
        f"{level} {name}: GET /bot<token>/getMe"
        for name in ("wuye.test", "httpx")
        for level in ("DEBUG", "INFO", "WARNING")
    ]
    assert run_logging(tmp_path, WUYE_LOG_LEVEL="INFO").splitlines() == [
        "INFO wuye.test: GET /bot<token>/getMe",
        "WARNING wuye.test: GET /bot<token>/getMe",
        "WARNING httpx: GET /bot<token>/getMe",
    ]


def test_settings_that_do_not_load_leave_the_log_at_info(tmp_path: Path) -> None:
    written = run_logging(tmp_path, WUYE_LOG_LEVEL="DEBUG", WUYE_TIMEZONE="Nowhere/Else")
    assert "DEBUG" not in written and "INFO wuye.test" in written


def test_a_command_logs_at_wuye_log_level(tmp_path: Path) -> None:
    """`wuye db upgrade` says what Alembic did at DEBUG, nothing of it at WARNING."""
    url = f"sqlite:///{tmp_path / 'wuye.db'}"

    def upgrade(level: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "db", "upgrade", "--database-url", url],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "WUYE_LOG_LEVEL": level},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "INFO alembic.runtime.migration: Running upgrade" in upgrade("DEBUG")
    assert upgrade("WARNING") == ""
