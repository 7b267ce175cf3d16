"""Ask one question about a ticket and take the answer: the reason for declining it, a question for
the owner, a note for the department, a comment on the rating, a photo to add, …

A `Question` is a flow of one state: its button (see `pressed.pressed_ticket`) asks it with `ask`; the
presser's next message is the answer: in words (or a photo, for `answer=PHOTO`), handed to `take`, which
gives it to the use case and returns what to say back; the conversation is then over. Anything else is
met with `in_words` and the question stays open (in a group it closes: group.follow_up). What the
question gathered (the ticket, and whatever else its draft holds) is its draft, `AboutTicket` or a
subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.conversations import files
from handlers.conversations.drafts import Draft
from handlers.conversations.engine import END, MESSAGE, PHOTO, TEXT, Flow, Move, start
from handlers.conversations.io import Button
from handlers.conversations.turn import Turn


@dataclass
class AboutTicket(Draft):
    """A question about one ticket: which (its number, to ask with)."""

    ticket_id: int
    number: str | None = None


Take = Callable[[Turn, Any], str]  # (turn, the draft) -> what to say once the use case took the answer


@dataclass(frozen=True)
class Question:
    flow: str  # the chat's state while it is asked: flow and step, as stored
    state: str
    ask: str  # the question ({number}: the ticket's)
    in_words: str  # said to a message that does not answer it
    take: Take
    answer: str = TEXT  # or PHOTO
    asked_by: str = ""  # the button that asks it, for the diagram
    draft: type[AboutTicket] = AboutTicket
    # buttons under the question ((turn, draft) -> rows), and the rows their presses take
    buttons: Callable[[Turn, Any], list[list[Button]]] | None = None
    presses: Mapping[str, Move[Any]] = field(default_factory=dict)
    conversation: Flow[AboutTicket] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conversation", self._flow())

    def _flow(self) -> Flow[AboutTicket]:
        def answered(turn: Turn, draft: AboutTicket) -> str:
            if self.answer == PHOTO and (files.photo_problem(turn) is not None or not turn.inc.file_id):
                return not_an_answer(turn, draft)
            turn.say(self.take(turn, draft))
            return END

        def not_an_answer(turn: Turn, draft: AboutTicket) -> str:
            problem = files.photo_problem(turn) if self.answer == PHOTO else None
            turn.say(problem or turn.t(self.in_words))
            return self.state

        answered.__name__ = self.take.__name__.lstrip("_")  # the table names the use case's step
        not_an_answer.__name__ = "in_words"
        table: dict[tuple[str, str], Move[Any]] = {
            (self.state, self.answer): Move(answered, to=(END,)),
            (self.state, MESSAGE): Move(not_an_answer),
        }
        table.update({(self.state, what): move for what, move in self.presses.items()})
        return Flow(
            self.flow,
            self.draft,
            table,
            starts=((self.asked_by, self.state),),
            otherwise=self.in_words,
            doc=f"One question about a ticket (handlers/conversations/questions.py): “{self.ask}”",
        )


def ask(turn: Turn, question: Question, draft: AboutTicket) -> None:
    """Ask it: the chat waits for the answer."""
    start(turn, question.conversation, question.state, draft)
    rows = question.buttons(turn, draft) if question.buttons is not None else None
    turn.say(turn.t(question.ask, number=draft.number or ""), rows)
