"""An official marks a ticket of their area as a typical case (典型案例) for the monthly ledger.

card ─▶ ⭐ Typical case ─▶ typical:background ─▶ typical:handling ─▶ typical:outcome ─▶ marked
                       └▶ (marked already) the three parts ─▶ Edit (the same steps, each can be kept)
                                                         └▶ Remove ─▶ Really remove? ─▶ removed
Nothing is stored until the third part is written: /cancel on the way leaves the mark as it was.
"""

from __future__ import annotations

from handlers.conversations.buttons import encode
from handlers.conversations.cards import case_lines
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.services import typical_cases
from handlers.services.typical_cases import PARTS, Texts
from handlers.text import N_

FLOW = "typical"
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
    turn.set_state(FLOW, PARTS[0], ticket_id=tid, number=ticket.number, current=current, written={})
    _ask(turn, PARTS[0])


def _ask(turn: Turn, part: str) -> None:
    assert turn.state is not None
    data = turn.state.data
    text = turn.t(QUESTIONS[part], number=data["number"])
    current = data.get("current") or {}
    assert isinstance(current, dict)
    if part in current:
        text += "\n\n" + turn.t("Now: “{text}”", text=current[part])
        text += "\n" + turn.t("(/cancel leaves everything as it was)")
        turn.say(text, [[Button(turn.t("Keep it as it is"), encode("tk", data["ticket_id"]))]])
        return
    turn.say(text + "\n" + turn.t("(/cancel leaves everything as it was)"))


def keep(turn: Turn) -> None:
    """Editing: the part stays as it is."""
    state = turn.state
    current = state.data.get("current") if state is not None and state.flow == FLOW else None
    if state is None or not isinstance(current, dict) or state.data.get("ticket_id") != turn.arg(0):
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    _written(turn, state.step, str(current.get(state.step, "")))


def on_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write it in words."))
        return
    part = turn.state.step
    _written(turn, part, typical_cases.check_part(part, turn.inc.text))  # too long: said, asked again


def _written(turn: Turn, part: str, text: str) -> None:
    assert turn.state is not None
    written = dict(turn.state.data.get("written") or {})  # type: ignore[call-overload]
    written[part] = text
    turn.set_state(FLOW, part, written=written)
    following = PARTS[PARTS.index(part) + 1 :] if part in PARTS else ()
    if following:
        turn.set_state(FLOW, following[0])
        _ask(turn, following[0])
        return
    tid = int(str(turn.state.data["ticket_id"]))
    case = typical_cases.mark(turn.ctx, turn.person_id, tid, Texts(*(str(written[p]) for p in PARTS)))
    number, edited = turn.state.data["number"], bool(turn.state.data.get("current"))
    turn.clear_state()
    done = (
        turn.t("The typical case of {number} is updated.", number=number)
        if edited
        else turn.t("{number} is marked as a typical case for the monthly ledger.", number=number)
    )
    turn.say(
        "\n".join([done, *case_lines(turn.tr, case)]),
        [[Button("⭐ " + turn.t("Edit or remove"), encode("ty", tid))]],
    )


BUTTONS = {"ty": button, "tk": keep}
FLOWS = {FLOW: on_message}
