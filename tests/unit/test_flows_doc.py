"""docs/flows.md is drawn from the conversation tables: it must be what they say now."""

from __future__ import annotations

from handlers.conversations import diagram
from handlers.conversations.core import BUTTONS, CONVERSATIONS, FLOWS, SHARED_BUTTONS


def test_the_flows_document_matches_the_tables() -> None:
    assert diagram.DOC.read_text(encoding="utf-8") == diagram.document(), (
        "docs/flows.md is out of date: run `python -m handlers.conversations.diagram`"
    )


def test_every_conversation_runs_through_the_engine() -> None:
    """Each conversation the core continues is a table, and each of a table's buttons reaches it."""
    assert set(FLOWS) == {f.name for f in CONVERSATIONS}
    for flow in CONVERSATIONS:
        for action in flow.buttons:
            assert action in BUTTONS, (flow.name, action)
            if action not in SHARED_BUTTONS:
                assert BUTTONS[action].__name__ == f"press_{flow.name}", (flow.name, action)


def test_every_state_a_conversation_can_reach_takes_some_input() -> None:
    for flow in CONVERSATIONS:
        taking = {state for state, _ in flow.table}
        assert set(flow.states) <= taking, (flow.name, set(flow.states) - taking)
