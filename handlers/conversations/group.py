"""The bot in a group chat: /bind and /unbind; ticket cards' buttons act as the person who presses them."""

from __future__ import annotations

from collections.abc import Callable

from handlers.conversations.errors import explain
from handlers.conversations.io import Kind
from handlers.conversations.turn import Turn
from handlers.services import groups
from handlers.services.errors import UserError

Step = Callable[[Turn], None]


def handle(turn: Turn, commands: dict[str, Step], buttons: dict[str, Step], flows: dict[str, Step]) -> None:
    inc = turn.inc
    if inc.kind is Kind.MEMBERSHIP:
        if inc.text == "added":
            turn.say(
                turn.t(
                    "Hello. A member of the property company or of a government office can send /bind "
                    "here, and I will post that unit's ticket cards in this group."
                )
            )
        else:
            groups.forget(turn.ctx, inc.chat_id)
        return
    if inc.kind is Kind.BUTTON:
        step = buttons.get((inc.data or "").partition(":")[0])
        if step is None:
            turn.toast(turn.t("This button is no longer valid."), alert=True)
            return
        step(turn)  # every step checks the presser's own permissions
        return
    if inc.kind is Kind.COMMAND:
        command = commands.get(inc.command or "")
        if command is not None:
            command(turn)
        elif inc.command in ("start", "report", "my", "privacy", "language", "join"):
            turn.say(turn.t("Please talk to me in a private chat."))
        return
    if turn.state is not None and turn.state.flow in flows:
        flows[turn.state.flow](turn)  # the presser's own follow-up (a question, a note) in this group
    # Anything else said in the group is the members' conversation, not ours.


def bind(turn: Turn) -> None:
    try:
        binding = groups.bind(turn.ctx, turn.person_id, turn.inc.chat_id, turn.inc.chat_title)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return
    turn.say(
        turn.t(
            "This group now receives the ticket cards of {unit}. Buttons act as whoever presses them, "
            "with their own permissions. /unbind stops it.",
            unit=groups.unit_name(turn.ctx, binding),
        )
    )


def unbind(turn: Turn) -> None:
    try:
        removed = groups.unbind(turn.ctx, turn.person_id, turn.inc.chat_id)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return
    turn.say(
        turn.t("This group no longer receives ticket cards.")
        if removed
        else turn.t("This group was not bound.")
    )


def help_(turn: Turn) -> None:
    turn.say(
        turn.t(
            "/bind – post this unit's ticket cards here (members of a company or office)\n"
            "/unbind – stop posting here"
        )
    )
