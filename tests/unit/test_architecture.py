"""The dependency rules, checked twice over for real: by import-linter (`lint-imports`, on the contracts
in pyproject.toml) and by the import graph of tests/support/import_graph.py, which also sees what
import-linter cannot (imports by `__import__`/`importlib.import_module`, a cycle through a package's
__init__). Both are shown to fail on a copy of the tree with a fault planted. Then ruff (lint and
format), mypy, and the ticket lifecycle's single writer."""

from __future__ import annotations

import ast
import dataclasses
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

import pytest

from handlers.domain.ticket import Ticket
from tests.support.import_graph import PROJECT, ROOMS, build_graph, violations

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    "layers",
    "handlers-free",
    "rules-pure",
    "rooms",
    "front-ends",
    "acyclic",
}  # ids in pyproject.toml


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """The lint-imports command on the tree at `where` (its pyproject.toml; its packages, as
    lint-imports puts the working directory first on the path)."""
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} is missing: pip install -e '.[test]'"
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(where / "pyproject.toml")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


def contract_names() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def test_import_linter_checks_every_contract_and_all_are_kept() -> None:
    names = contract_names()
    assert set(names) == CONTRACTS
    result = lint_imports(ROOT)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    # a run that checked nothing (or fewer contracts than configured) is a failure too
    assert re.search(rf"^Contracts: {len(CONTRACTS)} kept, 0 broken\.$", result.stdout, re.M), out
    for name in names.values():
        assert f"{name} KEPT" in result.stdout, out
    assert re.search(r"^Analyzed (\d{3,}) files", result.stdout, re.M), out


def test_the_import_graph_keeps_every_rule() -> None:
    graph = build_graph(ROOT)
    # it really read the tree: every package, and imports found in functions and under TYPE_CHECKING
    assert {m.split(".")[0] for m in graph} == set(PROJECT) and len(graph) > 100
    assert "bot.telegram.front_aiogram" in graph["bot.serve"]  # imported inside _front_end (and for typing)
    assert violations(ROOT) == []


def test_the_rooms_contract_and_the_graph_agree_on_the_rooms() -> None:
    """pyproject.toml's "rooms" layers and ROOMS are one order, and every room of bot is in it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [rooms] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "rooms"]
    assert rooms["containers"] == ["bot"]
    assert [tuple(r.strip() for r in line.split("|")) for line in rooms["layers"]] == list(ROOMS)
    on_disk = {p.stem for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    on_disk |= {p.parent.name for p in (ROOT / "bot").glob("*/__init__.py")}
    assert on_disk == {room for line in ROOMS for room in line}


def readme_rooms(readme: str) -> set[str]:
    """The rooms of bot the README's "How it is built" names: `  room/` lines and the `name.py` modules."""
    block = readme.split("## How it is built", 1)[1].split("```", 2)[1]
    bot = block.split("\nhandlers/", 1)[0]
    return set(re.findall(r"^  (\w+)/ ", bot, re.M)) | set(re.findall(r"\((\w+)\.py\)", bot))


def test_the_readme_names_every_room_of_bot() -> None:
    planted = (
        "## How it is built\n\n```\nbot/   the program (config.py)\n  cli/  the command\nhandlers/  x\n```\n"
    )
    assert readme_rooms(planted) == {"config", "cli"}
    named = readme_rooms((ROOT / "README.md").read_text(encoding="utf-8"))
    assert named == {room for line in ROOMS for room in line}


# ---- a fault planted in a copy of the tree: each checker must report it ----------------------------
class Plant(NamedTuple):
    files: dict[str, str]  # path → text to write; a path starting with "+": text to append to the file
    kind: str  # the graph's report: the kind of line...
    named: list[str]  # ...and what that line must name
    contract: str | None  # the import-linter contract that must break; None: what only the graph sees


def function_importing(*statements: str) -> str:
    return "\n\ndef planted():\n" + "".join(f"    {line}\n" for line in statements)


PLANTED = {
    "layer": Plant(
        {"storage/planted.py": "from bot import config\n"},
        "layer",
        ["storage.planted", "bot.config"],
        "layers",
    ),
    "framework": Plant(
        {"handlers/planted.py": function_importing("import sqlalchemy.orm")},
        "framework",
        ["handlers.planted", "sqlalchemy"],
        "handlers-free",
    ),
    "rules purity": Plant(
        {"handlers/rules/planted.py": "from ..domain.ticket import Ticket\n"},
        "pure",
        ["handlers.rules.planted", "handlers.domain.ticket"],
        "rules-pure",
    ),
    "a room reaching up": Plant(
        {"bot/i18n/planted.py": "from bot.documents import fonts\n"},
        "room",
        ["bot.i18n.planted imports bot.documents.fonts"],
        "rooms",
    ),
    "a room reaching sideways": Plant(
        {"bot/documents/planted.py": function_importing("from bot.delivery.outage import Postponements")},
        "room",
        ["bot.documents.planted imports bot.delivery.outage"],
        "rooms",
    ),
    "front ends, indirectly": Plant(
        {
            "bot/planted.py": "import bot.telegram.front_aiogram\n",
            "+bot/telegram/front_ptb.py": "\nfrom bot import planted\n",
        },
        "front-end",
        ["bot.telegram.front_ptb -> bot.planted -> bot.telegram.front_aiogram"],
        "front-ends",
    ),
    "cycle through a function-level import": Plant(
        {"+handlers/domain/ticket.py": function_importing("from handlers.ports import ChatState")},
        "cycle",
        ["handlers.domain.ticket -> handlers.ports -> handlers.domain.ticket"],
        "acyclic",
    ),
    "cycle through __import__": Plant(
        {
            "+handlers/domain/ticket.py": function_importing(
                "__import__('handlers.ports', fromlist=['ChatState'])"
            )
        },
        "cycle",
        ["handlers.domain.ticket -> handlers.ports -> handlers.domain.ticket"],
        None,
    ),
    "cycle through importlib.import_module": Plant(
        {"+bot/config.py": function_importing("import importlib", "importlib.import_module('bot.serve')")},
        "cycle",
        ["bot.config -> bot.serve"],
        None,
    ),
    "cycle through a package's __init__": Plant(
        {
            "+handlers/services/tickets/records.py": function_importing(
                "from handlers.services import tickets"
            )
        },
        "cycle",
        ["handlers.services.tickets", "handlers.services.tickets.records"],
        None,
    ),
}


def planted_copy(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PROJECT:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name, text in files.items():
        path = tmp_path / name.lstrip("+")
        before = path.read_text(encoding="utf-8") if name.startswith("+") else ""
        assert name.startswith("+") == path.exists(), name
        path.write_text(before + text, encoding="utf-8")
    return tmp_path


@pytest.mark.slow  # a copy of the tree and lint-imports in a process each: the checkers checked
@pytest.mark.parametrize("fault", list(PLANTED))
def test_a_planted_fault_is_reported(tmp_path: Path, fault: str) -> None:
    plant = PLANTED[fault]
    tree = planted_copy(tmp_path, plant.files)
    found = [v for v in violations(tree) if v.startswith(f"{plant.kind}: ")]
    assert any(all(n in v for n in plant.named) for v in found), violations(tree)
    if plant.contract is not None:
        result = lint_imports(tree)
        assert result.returncode != 0, result.stdout + result.stderr
        assert f"{contract_names()[plant.contract]} BROKEN" in result.stdout, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "bot", "handlers", "storage", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_changes_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "bot", "handlers", "storage", "tests", "bench"],
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
    assert not constructs_ticket_events(
        "def f(uow, t, now):\n    log_event(uow, t, lambda t: t.note(Event.URGE, now), None)\n"
    )


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


# ---- a ticket changes only by its own acts --------------------------------------------------------
TICKET_OWNER = ROOT / "handlers" / "domain" / "ticket.py"
# What the report is, and how storage keeps it; every other field of Ticket is its lifecycle's, which
# only Ticket's own acts change (a new field is the lifecycle's unless it is named here).
TICKET_DATA = {
    "number",
    "estate_id",
    "category",
    "urgency",
    "description",
    "policy",
    "created_at",
    "location",
    "privacy",
    "draft_key",
    "version",
    "id",
}
LIFECYCLE_FIELDS = {f.name for f in dataclasses.fields(Ticket)} - TICKET_DATA
TICKET_CALLS = {"Ticket", "get_ticket", "_ticket"}  # calls that give a Ticket (besides uow.tickets.*)


def _name_of(node: ast.expr) -> str:
    """The name an expression ends in: `ticket`, `self.ticket`, `tickets[0]` → ticket, ticket, tickets."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript | ast.Starred):
        return _name_of(node.value)
    return ""


def _gives_ticket(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    return _name_of(func) in TICKET_CALLS or (
        isinstance(func, ast.Attribute) and _name_of(func.value) == "tickets"
    )


def _ticket_names(tree: ast.AST) -> set[str]:
    """Names that hold a Ticket in this module: annotated so, or bound to what gives one."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if re.search(r"\bTicket\b", ast.unparse(node.annotation)):
                names.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and re.search(r"\bTicket\b", ast.unparse(node.annotation)):
            names.add(_name_of(node.target))
        elif isinstance(node, ast.Assign | ast.NamedExpr) and _gives_ticket(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(_name_of(t) for t in targets)
        elif isinstance(node, ast.For | ast.comprehension) and "ticket" in ast.unparse(node.iter).lower():
            names.add(_name_of(node.target))
    return names - {""}


def ticket_field_writes(source: str) -> list[str]:
    """Every place this code writes a ticket's lifecycle field itself: an assignment (plain, augmented,
    annotated, unpacked), setattr, or a dataclasses.replace copy, on anything named like a ticket
    (`ticket`, `t`, `*ticket*`) or holding one."""
    tree = ast.parse(source)
    known = _ticket_names(tree)

    def is_ticket(node: ast.expr) -> bool:
        name = _name_of(node)
        return name in known or name == "t" or "ticket" in name.lower()

    def writes_by_call(call: ast.Call) -> bool:
        """setattr(ticket, "status", ...), or replace(ticket, status=...)."""
        if not call.args or not is_ticket(call.args[0]):
            return False
        if _name_of(call.func) in ("setattr", "__setattr__") and len(call.args) > 1:
            field = call.args[1]
            return isinstance(field, ast.Constant) and field.value in LIFECYCLE_FIELDS
        return _name_of(call.func) == "replace" and any(k.arg in LIFECYCLE_FIELDS for k in call.keywords)

    def writes_by_assignment(target: ast.Attribute) -> bool:
        return target.attr in LIFECYCLE_FIELDS and is_ticket(target.value)

    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and writes_by_call(node):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        while targets:
            target = targets.pop()
            if isinstance(target, ast.Tuple | ast.List):
                targets.extend(target.elts)
            elif isinstance(target, ast.Starred):
                targets.append(target.value)
            elif isinstance(target, ast.Attribute) and writes_by_assignment(target):
                found.append(f"line {target.lineno}: {ast.unparse(target)}")
    return found


def test_the_ticket_checker_sees_a_field_written_by_hand() -> None:
    planted = {
        "ticket.status = Status.CLOSED": 1,
        "t.rung += 1": 1,
        "ticket.due_at, ticket.deadline_provisional = d, False": 2,
        "ticket.acknowledged_at = ticket.resolved_at = None": 2,
        "def f(tk: Ticket | None):\n    tk.closed_at = now": 1,
        "stored = uow.tickets.claim(1, now)\nstored.next_action_at = now": 1,
        "for each in uow.tickets.of_assignee(1, HELD):\n    each.assignee_id = None": 1,
        "self.ticket.reminders_sent |= 4": 1,
        "tickets[0].cycle: int = 2": 1,
        "setattr(ticket, 'status', Status.CLOSED)": 1,
        "forced = replace(ticket, status=Status.CLOSED)": 1,
    }
    for source, count in planted.items():
        assert len(ticket_field_writes(source)) == count, source
    innocent = [
        "row.status = status",  # a disclosure's
        "notification.failed_at, notification.outcome = now, 'blocked'",
        "ticket.description = text",  # what the report says, not where it stands
        "role.active = False",
        "ticket.schedule_now()",
        "replace(ticket, description='x')",
    ]
    for source in innocent:
        assert ticket_field_writes(source) == [], source


@pytest.mark.parametrize(
    "path",
    sorted(p for package in ("handlers", "bot", "storage", "bench") for p in (ROOT / package).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_the_ticket_changes_its_lifecycle(path: Path) -> None:
    """Status, deadlines, rung, reminders, assignee... change by Ticket's own acts
    (handlers/domain/ticket.py), which apply the lifecycle table; nothing else writes them."""
    if path == TICKET_OWNER:
        return
    writes = ticket_field_writes(path.read_text(encoding="utf-8"))
    assert writes == [], f"{path.relative_to(ROOT)} writes a ticket's lifecycle itself: {writes}"


# ---- no module reaches into another's private helpers ---------------------------------------------
OWN_PACKAGES = ("bot", "handlers", "storage", "tests", "bench")  # the tests and benchmarks too


def private_imports(source: str) -> list[str]:
    """`from <project module> import _name`: a helper kept private to its module, used elsewhere."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OWN_PACKAGES:
            found += [
                f"{node.module}.{a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
    return found


def test_the_private_import_checker_sees_one() -> None:
    planted = "from storage.repositories.statements import prepared, _planted\n"
    planted += "\ndef f():\n    from bot.x import _y\n"
    assert private_imports(planted) == ["storage.repositories.statements._planted", "bot.x._y"]
    assert private_imports("from typing import _T\nfrom handlers.domain.ticket import Ticket\n") == []


@pytest.mark.parametrize(
    "path",
    sorted(p for package in OWN_PACKAGES for p in (ROOT / package).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_module_imports_another_modules_private_helper(path: Path) -> None:
    assert private_imports(path.read_text("utf-8")) == []
