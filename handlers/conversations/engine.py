"""Conversations as tables: each conversation of more than one message is a `Flow`, a table of
(state, input) → step, and this small engine runs them all.

    ("description", TEXT): Move(describe, to=("photos", "confirm")),

reads: in state `description`, a text message goes to `describe`, which leads to `photos` (or back to
`confirm` when the owner is editing). A step takes the turn and the flow's draft (a dataclass of what the
conversation gathered, handlers/conversations/drafts.py) and returns the state the conversation is in
afterwards: the same one to ask again, one of those its row names, or END when it is over. The engine
writes that state with the draft once the step is done, and refuses a step that leads anywhere its row
does not say, so the diagrams drawn from the tables (docs/flows.md, `python -m
handlers.conversations.diagram`) are what runs.

Inputs: a press of one of the flow's buttons (`pressed("cat")`: for a flow with a button of its own,
`r:cat:…`, the word after it; else the button's action, `rz`), or a message: TEXT, PHOTO, or MESSAGE
for any message a row does not name more closely. An input the current state does not list is not valid
now: a press is told "This button is no longer valid.", a message gets the flow's reminder
(`otherwise`), and nothing changes. A press of the flow's buttons while the chat is in no state of the
flow (a button of a conversation that ended, or of another) is told the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from handlers.conversations.drafts import Draft, DraftUnreadable
from handlers.conversations.io import Kind
from handlers.conversations.turn import Turn
from handlers.text import N_

D = TypeVar("D", bound=Draft)

END = "(end)"  # the conversation is over: the chat's state is cleared
TEXT, PHOTO, MESSAGE = "text", "photo", "message"  # MESSAGE: any message a row does not name closer
NO_LONGER_VALID = N_("This button is no longer valid.")
USE_THE_BUTTONS = N_("Please use the buttons above, or /cancel.")


def pressed(word: str) -> str:
    """The input of a press: the flow's own button with this word, or a button with this action."""
    return f"press {word}"


class FlowError(RuntimeError):
    """A step led where its row in the table does not say (a fault of ours)."""


@dataclass(frozen=True)
class Move(Generic[D]):
    step: Callable[[Turn, D], str]
    to: tuple[str, ...] = ()  # the states it may lead to, besides staying where it is
    # a press the step takes only if this holds (the estate pressed is the owner's): else not valid now
    when: Callable[[Turn, D], bool] | None = None


@dataclass(frozen=True)
class Flow(Generic[D]):
    name: str  # as stored in the chat's state (ChatState.flow)
    draft: type[D]
    table: Mapping[tuple[str, str], Move[D]]
    # how the conversation begins, for the diagram: (what the person does, the first state)
    starts: tuple[tuple[str, str], ...] = ()
    button: str | None = None  # the flow's own button action, whose first word names the input
    otherwise: str = USE_THE_BUTTONS  # said to a message the current state does not take
    doc: str = ""  # one line for the diagram's heading
    buttons: tuple[str, ...] = field(init=False, default=())  # the button actions the table takes
    states: tuple[str, ...] = field(init=False, default=())  # in the order the table first names them

    def __post_init__(self) -> None:
        if self.button is not None:
            actions: tuple[str, ...] = (self.button,)
        else:
            actions = tuple(
                dict.fromkeys(key[len("press ") :] for _, key in self.table if key.startswith("press "))
            )
        object.__setattr__(self, "buttons", actions)
        found = dict.fromkeys(s for _, s in self.starts)
        found.update(dict.fromkeys(state for state, _ in self.table))
        for move in self.table.values():
            found.update(dict.fromkeys(t for t in move.to if t != END))
        object.__setattr__(self, "states", tuple(found))


def input_of(turn: Turn, flow: Flow[Any]) -> str:
    """What the turn brings, as the table names inputs."""
    if turn.press is not None:
        if turn.press.action == flow.button:
            return pressed(str(turn.arg(0)))
        return pressed(turn.press.action)
    if turn.inc.kind is Kind.TEXT:
        return TEXT
    if turn.inc.kind is Kind.PHOTO:
        return PHOTO
    return MESSAGE


def move_for(flow: Flow[D], state: str, what: str) -> Move[D] | None:
    found = flow.table.get((state, what))
    if found is None and not what.startswith("press "):
        found = flow.table.get((state, MESSAGE))
    return found


def not_now(turn: Turn, flow: Flow[Any]) -> None:
    """An input the conversation does not take where it is: said, and nothing changes."""
    if turn.press is not None:
        turn.toast(turn.t(NO_LONGER_VALID), alert=True)
    else:
        turn.say(turn.t(flow.otherwise))


def draft_of(turn: Turn, flow: Flow[D]) -> D | None:
    """The draft of the flow the chat is in, or None (in another flow, in none, or one unreadable)."""
    state = turn.state
    if state is None or state.flow != flow.name:
        return None
    try:
        return flow.draft.from_data(state.data)
    except DraftUnreadable:
        return None


def run(turn: Turn, flow: Flow[D]) -> None:
    """One input to the conversation the chat is in."""
    state = turn.state
    if state is None or state.flow != flow.name:
        not_now(turn, flow)  # a button of a conversation that is over
        return
    draft = draft_of(turn, flow)
    if draft is None or state.step not in flow.states:
        turn.clear_state()  # stored by a version that had other steps: it cannot go on
        not_now(turn, flow)
        return
    move = move_for(flow, state.step, input_of(turn, flow))
    if move is None or (move.when is not None and not move.when(turn, draft)):
        not_now(turn, flow)
        return
    if turn.press is not None:
        turn.toast()  # the press is taken: answered at once, before what the step draws
    after = move.step(turn, draft)
    if after != state.step and after != END and after not in move.to:
        raise FlowError(f"{flow.name}: {move.step.__name__} led from {state.step} to {after}")
    go(turn, flow, after, draft)


def go(turn: Turn, flow: Flow[D], state: str, draft: D) -> None:
    """The chat is now in `state` of the flow with this draft (END: in no conversation)."""
    if state == END:
        turn.clear_state()
    else:
        turn.enter(flow.name, state, draft.to_data())


def start(turn: Turn, flow: Flow[D], state: str, draft: D) -> None:
    """Begin the conversation in `state` (one of its `starts`)."""
    if state not in {s for _, s in flow.starts}:
        raise FlowError(f"{flow.name} does not begin in {state}")
    go(turn, flow, state, draft)


def after_press(turn: Turn, flows: Mapping[str, Flow[Any]]) -> None:
    """A button every chat has (the language) was pressed: the conversation the chat is in carries on
    if its table takes that press where it is (joining: the language chosen finishes it)."""
    state = turn.state
    flow = flows.get(state.flow) if state is not None else None
    if flow is None or turn.press is None or state is None:
        return
    if (state.step, pressed(turn.press.action)) in flow.table:
        run(turn, flow)


def on_press(flow: Flow[Any]) -> Callable[[Turn], None]:
    """The core's handler for the flow's buttons."""

    def handle(turn: Turn) -> None:
        run(turn, flow)

    handle.__name__ = f"press_{flow.name}"
    return handle


def on_message(flow: Flow[Any]) -> Callable[[Turn], None]:
    """The core's handler for a message while the chat is in the flow."""

    def handle(turn: Turn) -> None:
        run(turn, flow)

    handle.__name__ = f"message_{flow.name}"
    return handle
