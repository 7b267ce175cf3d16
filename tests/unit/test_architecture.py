"""The dependency rule: handlers import no framework, ORM, scheduler, bot or storage; front ends
never import each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_HANDLERS = {
    "telegram",
    "aiogram",
    "sqlmodel",
    "sqlalchemy",
    "apscheduler",
    "alembic",
    "bot",
    "storage",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from sqlalchemy import select\n", encoding="utf-8")
    assert "sqlalchemy" in imported_modules(sample)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "handlers").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_handlers_import_no_framework_orm_scheduler_bot_or_storage(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN_IN_HANDLERS}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_storage_does_not_import_the_bot() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        bad = {m for m in imported_modules(path) if m.split(".")[0] == "bot"}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(("front", "other"), [("front_ptb", "front_aiogram"), ("front_aiogram", "front_ptb")])
def test_the_two_telegram_front_ends_never_import_each_other(front: str, other: str) -> None:
    path = ROOT / "bot" / f"{front}.py"
    if not path.exists():
        pytest.skip(f"bot/{front}.py is not written yet")
    assert not {m for m in imported_modules(path) if m.endswith(other)}


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if "No module named" in result.stderr:
        result = subprocess.run(
            ["lint-imports", "--config", str(ROOT / "pyproject.toml")],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "bot", "handlers", "storage", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "bot", "handlers", "storage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- the lifecycle table is the only way a ticket changes ------------------------------------------
EVENT_WRITER = ROOT / "handlers" / "services" / "tickets" / "records.py"


def constructs_ticket_events(source: str) -> bool:
    """Does this code build a TicketEvent itself (instead of going through the lifecycle table)?"""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "TicketEvent":
                return True
    return False


def test_the_event_checker_sees_an_event_built_by_hand() -> None:
    planted = "def f(uow, t, now):\n    uow.events.add(domain.TicketEvent(t.id, now, 'urge', None, None))\n"
    assert constructs_ticket_events(planted)
    assert not constructs_ticket_events("def f(uow, t, now):\n    log_event(uow, t, Event.URGE, now, None)\n")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "handlers").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_only_the_lifecycle_records_write_ticket_events(path: Path) -> None:
    """Every event goes through handlers/services/tickets/records.py (log_event, log_opening), which
    applies the lifecycle table; nothing else in the handlers builds one."""
    if path == EVENT_WRITER:
        return
    assert not constructs_ticket_events(path.read_text(encoding="utf-8")), (
        f"{path.relative_to(ROOT)} builds a TicketEvent: use records.log_event"
    )
