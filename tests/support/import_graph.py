"""The project's import graph read from its source, and the dependency rules checked on it.

Every import counts, wherever it is written: at the top, inside a function, under `if TYPE_CHECKING:`,
in a `try:`; so do `__import__("x.y")` and `importlib.import_module("x.y")` with a literal name, which
import-linter does not see. Relative imports are resolved. `from a.b import c` is an import of the
module `a.b.c` when there is one, else of `a.b` (as import-linter counts it). tests/unit/
test_architecture.py runs `violations` on the real tree and on copies with a fault planted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PROJECT = ("bot", "storage", "handlers")  # the layers, highest first: each imports only those below it
FRAMEWORKS = ("telegram", "aiogram", "sqlmodel", "sqlalchemy", "apscheduler", "alembic")
PURE = "handlers.rules"  # imports nothing of the project outside itself
FRONT_ENDS = (
    "bot.telegram.front_ptb",
    "bot.telegram.front_aiogram",
)  # neither reaches the other, directly or indirectly
# bot's rooms (its subpackages, and the modules at its top), highest first: each imports only the rooms
# on the lines below it, and rooms on one line are independent. The "rooms" contract in pyproject.toml
# says the same.
ROOMS = (
    ("cli",),
    ("demo", "serve"),
    ("console",),
    ("telegram",),
    ("processes", "web"),
    ("wiring", "logs"),
    ("delivery", "documents"),
    ("i18n", "config", "holidays"),
)
DYNAMIC = frozenset({"__import__", "import_module"})  # __import__("x"), importlib.import_module("x")


def find_modules(root: Path) -> dict[str, Path]:
    """Every module of the project under `root`, by its dotted name (a package by its __init__.py)."""
    found = {}
    for package in PROJECT:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _named(node: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module, names imported from it) for each import that `node` is."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, ()
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = ".".join(package[: len(package) - node.level + 1])
            base = f"{anchor}.{base}" if base else anchor
        yield base, tuple(alias.name for alias in node.names)
    elif isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        first = node.args[0]
        if name in DYNAMIC and isinstance(first, ast.Constant) and isinstance(first.value, str):
            fromlist: tuple[str, ...] = ()
            for keyword in node.keywords:
                if keyword.arg == "fromlist" and isinstance(keyword.value, ast.List | ast.Tuple):
                    elts = keyword.value.elts
                    fromlist = tuple(e.value for e in elts if isinstance(e, ast.Constant))
            yield first.value, fromlist


def build_graph(root: Path) -> dict[str, set[str]]:
    """Each project module → what it imports: project modules by name, anything else by its top-level
    package (`sqlalchemy.orm` → `sqlalchemy`)."""
    modules = find_modules(root)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target, names in _named(node, module, is_package):
                if target.split(".")[0] not in PROJECT:
                    imported.add(target.split(".")[0])
                    continue
                for name in names or ("",):
                    full = f"{target}.{name}" if name else target
                    while full not in modules and "." in full:  # a name defined in a module: that module
                        full = full.rpartition(".")[0]
                    if full in modules:
                        imported.add(full)
        imported.discard(module)
        graph[module] = imported
    return graph


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """An import chain from `start` to `goal` (breadth first: a shortest one), or None."""
    came_from: dict[str, str] = {start: start}
    queue = [start]
    for here in queue:
        for there in sorted(graph.get(here, ())):
            if there in graph and there not in came_from:
                came_from[there] = here
                if there == goal:
                    chain = [goal]
                    while chain[-1] != start:
                        chain.append(came_from[chain[-1]])
                    return chain[::-1]
                queue.append(there)
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(m for m in graph[root] if m in graph)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(m for m in graph[child] if m in graph))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _room_violations(graph: dict[str, set[str]]) -> list[str]:
    """A room of bot importing a room on its own line of ROOMS or above it; a room in no line."""
    line = {room: i for i, rooms in enumerate(ROOMS) for room in rooms}
    found = []
    for module, imported in sorted(graph.items()):
        parts = module.split(".")
        if parts[0] != "bot" or len(parts) < 2:
            continue
        if parts[1] not in line:
            found.append(f"room: {module} is in no room of ROOMS")
            continue
        for target in sorted(imported):
            there = target.split(".")
            room = there[1] if there[0] == "bot" and len(there) > 1 else None
            if room in line and room != parts[1] and line[room] <= line[parts[1]]:
                found.append(f"room: {module} imports {target}")
    return found


def violations(root: Path) -> list[str]:
    """Every broken rule, one line each, starting with its kind: layer, framework, pure, room, front-end,
    cycle. Empty when the tree under `root` keeps them all."""
    graph = build_graph(root)
    rank = {package: len(PROJECT) - i for i, package in enumerate(PROJECT)}
    found = []
    for module, imported in sorted(graph.items()):
        mine = rank[module.split(".")[0]]
        for target in sorted(imported):
            top = target.split(".")[0]
            if top in rank and rank[top] > mine:
                found.append(f"layer: {module} imports {target}")
            if top in FRAMEWORKS and _inside(module, "handlers"):
                found.append(f"framework: {module} imports {target}")
            if top in rank and _inside(module, PURE) and not _inside(target, PURE):
                found.append(f"pure: {module} imports {target}")
    found += _room_violations(graph)
    for front in FRONT_ENDS:
        for other in FRONT_ENDS:
            chain = _path(graph, front, other) if front != other and front in graph else None
            if chain:
                found.append(f"front-end: {' -> '.join(chain)}")
    for component in cycles(graph):
        start = component[0]
        loop = [start] + next(
            (_path(graph, there, start) or [] for there in sorted(graph[start]) if there in component), []
        )
        found.append(f"cycle: {' -> '.join(loop)}  (among {', '.join(component)})")
    return found
