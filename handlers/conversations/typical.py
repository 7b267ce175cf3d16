"""An official marks a ticket of their area as a typical case (典型案例) for the monthly ledger.

card ─▶ ⭐ Typical case ─▶ typical:background ─▶ typical:handling ─▶ typical:outcome ─▶ marked
                       └▶ (marked already) the three parts ─▶ Edit (the same steps, each can be kept)
                                                         └▶ Remove ─▶ Really remove? ─▶ removed
Nothing is stored until the third part is written: /cancel on the way leaves the mark as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.conversations import engine
from handlers.conversations.buttons import encode
from handlers.conversations.cards import case_lines
from handlers.conversations.engine import END, MESSAGE, TEXT, Flow, Move, pressed
from handlers.conversations.io import Button
from handlers.conversations.questions import AboutTicket
from handlers.conversations.turn import Turn
from handlers.services import typical_cases
from handlers.services.typical_cases import PARTS, Texts
from handlers.text import N_

EDIT, ASK_REMOVE, REMOVE = 1, 2, 3
QUESTIONS = {
    "background": N_(
        "Typical case for {number}, 1 of 3 — the background (基本情况): what happened, where, and to whom?"
    ),
    "handling": N_("2 of 3 — the handling (处理过程): who did what, and when?"),
    "outcome": N_("3 of 3 — the outcome (处理结果): how did it end, and what was learnt?"),
}


def button(turn: Turn) -> None:
    """The card's ⭐ button, and the choices it offers once a ticket is marked."""
    tid, choice = turn.arg(0), turn.arg(1)
    ticket, case = typical_cases.typical_case(turn.ctx, turn.person_id, tid)  # officials of its area only
    turn.toast()
    if choice in (ASK_REMOVE, REMOVE) and case is None:
        turn.edit_pressed(turn.t("{number} was not marked as a typical case.", number=ticket.number))
        return
    if choice == REMOVE:
        typical_cases.unmark(turn.ctx, turn.person_id, tid)
        turn.edit_pressed(turn.t("{number} is no longer marked as a typical case.", number=ticket.number))
        return
    if choice == ASK_REMOVE:
        turn.edit_pressed(
            turn.t("Remove the typical-case mark from {number}, with its three parts?", number=ticket.number),
            [
                [
                    Button("🗑 " + turn.t("Yes, remove it"), encode("ty", tid, REMOVE)),
                    Button(turn.t("No"), encode("ty", tid)),
                ]
            ],
        )
        return
    if case is not None and choice != EDIT:
        text = "\n".join([ticket.number, *case_lines(turn.tr, case)])
        turn.say(
            text,
            [
                [
                    Button("✏️ " + turn.t("Edit"), encode("ty", tid, EDIT)),
                    Button("🗑 " + turn.t("Remove"), encode("ty", tid, ASK_REMOVE)),
                ]
            ],
        )
        return
    current = {p: str(getattr(case, p)) for p in PARTS} if case is not None else {}
    draft = Marking(tid, ticket.number, current=current)
    engine.start(turn, TYPICAL, PARTS[0], draft)
    _ask(turn, draft, PARTS[0])


@dataclass
class Marking(AboutTicket):
    current: dict[str, str] = field(default_factory=dict)  # the parts as marked before (editing)
    written: dict[str, str] = field(default_factory=dict)  # the parts written (or kept) so far


def _ask(turn: Turn, d: Marking, part: str) -> str:
    text = turn.t(QUESTIONS[part], number=d.number)
    if part in d.current:
        text += "\n\n" + turn.t("Now: “{text}”", text=d.current[part])
        text += "\n" + turn.t("(/cancel leaves everything as it was)")
        turn.say(text, [[Button(turn.t("Keep it as it is"), encode("tk", d.ticket_id))]])
        return part
    turn.say(text + "\n" + turn.t("(/cancel leaves everything as it was)"))
    return part


def its_ticket(turn: Turn, d: Marking) -> bool:
    return d.ticket_id == turn.arg(0)


def keep(turn: Turn, d: Marking) -> str:
    """Editing: the part stays as it is."""
    part = _part(turn)
    return _written(turn, d, part, d.current.get(part, ""))


def write(turn: Turn, d: Marking) -> str:
    part = _part(turn)
    return _written(
        turn, d, part, typical_cases.check_part(part, turn.inc.text)
    )  # too long: said, asked again


def in_words(turn: Turn, d: Marking) -> str:
    turn.say(turn.t("Please write it in words."))
    return _part(turn)


def _part(turn: Turn) -> str:
    assert turn.state is not None
    return turn.state.step


def _written(turn: Turn, d: Marking, part: str, text: str) -> str:
    d.written[part] = text
    following = PARTS[PARTS.index(part) + 1 :]
    if following:
        return _ask(turn, d, following[0])
    case = typical_cases.mark(turn.ctx, turn.person_id, d.ticket_id, Texts(*(d.written[p] for p in PARTS)))
    done = (
        turn.t("The typical case of {number} is updated.", number=d.number)
        if d.current
        else turn.t("{number} is marked as a typical case for the monthly ledger.", number=d.number)
    )
    turn.say(
        "\n".join([done, *case_lines(turn.tr, case)]),
        [[Button("⭐ " + turn.t("Edit or remove"), encode("ty", d.ticket_id))]],
    )
    return END


def _rows(part: str, then: str) -> dict[tuple[str, str], Move[Marking]]:
    return {
        (part, TEXT): Move(write, to=(then,)),
        (part, MESSAGE): Move(in_words),
        (part, pressed("tk")): Move(keep, to=(then,), when=its_ticket),
    }


TYPICAL = Flow(
    "typical",
    Marking,
    {
        **_rows("background", "handling"),
        **_rows("handling", "outcome"),
        **_rows("outcome", END),
    },
    starts=(("⭐ Typical case (ty), or ✏️ Edit (ty:…:1)", "background"),),
    otherwise=N_("Please write it in words."),
    doc="An official marks a typical case: three parts, each written or kept as it was.",
)

BUTTONS = {"ty": button}
CONVERSATIONS: tuple[Flow[Marking], ...] = (TYPICAL,)
