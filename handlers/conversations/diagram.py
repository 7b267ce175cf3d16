"""The conversations drawn from their tables: docs/flows.md, one table and one Mermaid state diagram per
conversation. `python -m handlers.conversations.diagram` writes it; tests/unit/test_flows_doc.py fails
when it no longer matches the tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from handlers.conversations.core import CONVERSATIONS
from handlers.conversations.engine import END, Flow

DOC = Path(__file__).resolve().parents[2] / "docs" / "flows.md"

HEAD = """# The conversations, as tables

<!-- Generated from the tables in handlers/conversations/ by `python -m handlers.conversations.diagram`;
do not edit by hand (tests/unit/test_flows_doc.py compares). -->

Every conversation of more than one message is a table of (state, input) → step, run by one engine
(`handlers/conversations/engine.py`). An input is a press of one of the conversation's buttons
(`press cat`: the report form's `r:cat:…`; `press rz`: the button `rz`), or a message: `text`,
`photo`, or `message` (any message a row does not name more closely). A step may always stay where it
is (to ask again); where else it may lead is the table's last column, and the engine refuses anything
else. An input a state does not list is not valid there: a press is told "This button is no longer
valid.", a message gets the conversation's reminder, and nothing changes.

A conversation is begun by a command or a button outside it (the diagram's `[*]`); the chat's state
holds its name, its state and its draft (a dataclass per conversation, stored as a mapping).
"""


def _id(state: str) -> str:
    """A state's id in the diagram ([*]: begun or over); ids are prefixed, since some state names
    (note, state) are words of Mermaid's own."""
    return "[*]" if state == END else f"s_{state}"


def _label(text: str) -> str:
    """Mermaid reads a transition's label up to the line's end: no colons or semicolons in it."""
    return text.replace(":", " ").replace(";", ",")


def mermaid(flow: Flow[Any]) -> str:
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{state}" as {_id(state)}' for state in flow.states]
    for how, state in flow.starts:
        lines.append(f"    [*] --> {_id(state)} : {_label(how)}")
    edges: dict[tuple[str, str], list[str]] = {}  # one arrow per pair of states, all its inputs on it
    for (state, what), move in flow.table.items():
        for target in move.to or (state,):
            edges.setdefault((_id(state), _id(target)), []).append(f"{what} / {move.step.__name__}")
    for (state, target), labels in edges.items():
        lines.append(f"    {state} --> {target} : {_label(', '.join(labels))}")
    return "\n".join(lines)


def table(flow: Flow[Any]) -> str:
    rows = ["| state | input | step | leads to |", "|---|---|---|---|"]
    for (state, what), move in flow.table.items():
        goes = ", ".join("end" if t == END else t for t in move.to) or "(stays)"
        when = f" (if {move.when.__name__})" if move.when is not None else ""
        rows.append(f"| {state} | {what} | `{move.step.__name__}`{when} | {goes} |")
    return "\n".join(rows)


def section(flow: Flow[Any]) -> str:
    parts = [f"## {flow.name}", ""]
    if flow.doc:
        parts += [flow.doc, ""]
    starts = "; ".join(f"{how} → {state}" for how, state in flow.starts)
    parts += [
        f"Draft: `{flow.draft.__name__}`. Begins: {starts}.",
        "",
        table(flow),
        "",
        "```mermaid",
        mermaid(flow),
        "```",
        "",
    ]
    return "\n".join(parts)


def document() -> str:
    return HEAD + "\n" + "\n".join(section(f) for f in CONVERSATIONS)


def main() -> None:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(document(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")


if __name__ == "__main__":
    main()
