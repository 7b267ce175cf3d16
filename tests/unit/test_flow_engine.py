"""The engine that runs the conversation tables (handlers/conversations/engine.py), on a toy table:
what a state takes, what it does not (a stale button, an unlisted message), where a step may lead, and
drafts read back from what an older version stored."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Any, cast

import pytest

from handlers.conversations import engine
from handlers.conversations.buttons import Press
from handlers.conversations.drafts import Draft, DraftUnreadable
from handlers.conversations.engine import END, MESSAGE, TEXT, Flow, FlowError, Move, pressed
from handlers.conversations.io import Answer, Incoming, Kind, Send
from handlers.conversations.report_questions import ReportDraft
from handlers.conversations.turn import Turn
from handlers.domain.people import Person
from handlers.ports import ChatState, Translator
from handlers.rules.categories import Category, Urgency


@dataclass
class Toy(Draft):
    name: str | None = None
    count: int = 0
    seen: tuple[tuple[str, str | None], ...] = ()


def named(turn: Turn, d: Toy) -> str:
    d.name = turn.inc.text
    return "confirm"


def in_words(turn: Turn, d: Toy) -> str:
    turn.say("Words, please.")
    return "name"


def confirmed(turn: Turn, d: Toy) -> str:
    turn.say(f"Done: {d.name}")
    return END


def wander(turn: Turn, d: Toy) -> str:
    return "nowhere"


def counted(turn: Turn, d: Toy) -> str:
    d.count += 1
    return "confirm"


def small(turn: Turn, d: Toy) -> bool:
    return bool(turn.arg(1) == 1)


TOY = Flow(
    "toy",
    Toy,
    {
        ("name", TEXT): Move(named, to=("confirm",)),
        ("name", MESSAGE): Move(in_words),
        ("confirm", pressed("ok")): Move(confirmed, to=(END,)),
        ("confirm", pressed("go")): Move(wander),  # may only stay, yet leads elsewhere
        ("confirm", pressed("n")): Move(counted, when=small),
    },
    starts=(("/toy", "name"),),
    button="r",
)


def turn_at(step: str | None, kind: Kind = Kind.TEXT, press: Press | None = None, **data: Any) -> Turn:
    inc = Incoming(7, 7, "someone", kind, text="Lin", callback_id="c1" if press else None, message_id=3)
    state = ChatState(7, 7, "toy", step, dict(data)) if step is not None else None
    tr = cast(Translator, gettext.NullTranslations())
    turn = Turn(cast(Any, None), inc, Person("someone", id=1), "en", tr, state=state)
    turn.press = press
    return turn


def said(turn: Turn) -> list[str]:
    return [o.text for o in turn.out if isinstance(o, Send)]


def alerts(turn: Turn) -> list[str]:
    return [o.text for o in turn.out if isinstance(o, Answer) and o.alert]


def test_an_answer_moves_on_and_the_draft_is_stored_with_the_state() -> None:
    turn = turn_at("name")
    engine.run(turn, TOY)
    assert turn.state is not None and (turn.state.flow, turn.state.step) == ("toy", "confirm")
    assert turn.state.data == {"name": "Lin", "count": 0, "seen": []}
    assert turn.state_changed


def test_a_message_the_state_does_not_name_closely_goes_to_its_any_message_row() -> None:
    turn = turn_at("name", Kind.PHOTO)
    engine.run(turn, TOY)
    assert said(turn) == ["Words, please."]
    assert turn.state is not None and turn.state.step == "name"


def test_a_message_a_state_does_not_take_gets_the_reminder_and_changes_nothing() -> None:
    turn = turn_at("confirm", name="Lin")
    engine.run(turn, TOY)
    assert said(turn) == ["Please use the buttons above, or /cancel."]
    assert not turn.state_changed and turn.state is not None and turn.state.step == "confirm"


def test_a_stale_button_is_no_longer_valid_and_changes_nothing() -> None:
    """The summary's ✔ pressed again while the chat is back at the first question (an old message)."""
    turn = turn_at("name", Kind.BUTTON, Press("r", ("ok",)))
    engine.run(turn, TOY)
    assert alerts(turn) == ["This button is no longer valid."]
    assert said(turn) == [] and not turn.state_changed


def test_a_button_of_a_conversation_that_is_over_is_no_longer_valid() -> None:
    turn = turn_at(None, Kind.BUTTON, Press("r", ("ok",)))
    engine.run(turn, TOY)
    assert alerts(turn) == ["This button is no longer valid."] and turn.state is None


def test_a_press_its_row_refuses_is_no_longer_valid() -> None:
    refused = turn_at("confirm", Kind.BUTTON, Press("r", ("n", 2)), name="Lin")
    engine.run(refused, TOY)
    assert alerts(refused) == ["This button is no longer valid."] and not refused.state_changed
    taken = turn_at("confirm", Kind.BUTTON, Press("r", ("n", 1)), name="Lin")
    engine.run(taken, TOY)
    assert taken.state is not None and taken.state.data["count"] == 1
    assert [o for o in taken.out if isinstance(o, Answer)] == [Answer("c1", "", False)]


def test_a_step_that_leads_where_its_row_does_not_say_is_refused() -> None:
    with pytest.raises(FlowError, match="wander led from confirm to nowhere"):
        engine.run(turn_at("confirm", Kind.BUTTON, Press("r", ("go",)), name="Lin"), TOY)


def test_the_end_clears_the_state() -> None:
    turn = turn_at("confirm", Kind.BUTTON, Press("r", ("ok",)), name="Lin")
    engine.run(turn, TOY)
    assert said(turn) == ["Done: Lin"] and turn.state is None and turn.state_changed


def test_a_draft_that_cannot_be_read_ends_the_conversation() -> None:
    turn = turn_at("confirm", count="many")
    engine.run(turn, TOY)
    assert turn.state is None and said(turn) == ["Please use the buttons above, or /cancel."]


def test_a_state_the_table_does_not_know_ends_the_conversation() -> None:
    turn = turn_at("retired_step")
    engine.run(turn, TOY)
    assert turn.state is None and turn.state_changed


def test_a_conversation_begins_only_where_it_says() -> None:
    turn = turn_at(None)
    engine.start(turn, TOY, "name", Toy())
    assert turn.state is not None and turn.state.step == "name"
    with pytest.raises(FlowError):
        engine.start(turn, TOY, "confirm", Toy())


def test_drafts_read_back_what_older_versions_stored() -> None:
    assert Toy.from_data({"name": "Lin", "count": "3", "seen": [["a", None]], "gone": 1}) == Toy(
        "Lin", 3, (("a", None),)
    )
    with pytest.raises(DraftUnreadable):
        Toy.from_data({"count": True})
    # the report's draft as the dict draft stored it before it was typed
    old = {
        "key": "k1",
        "estate_id": 1,
        "photos": [["f1", "u1"]],
        "category": "lift",
        "description": "电梯门关不上",
        "urgency": "emergency",
        "editing": False,
        "location": None,
    }
    draft = ReportDraft.from_data(old)
    assert draft.category is Category.LIFT and draft.urgency is Urgency.EMERGENCY
    assert draft.photos == (("f1", "u1"),) and draft.location is None
    assert draft.to_data() == {k: v for k, v in old.items() if v is not None}
