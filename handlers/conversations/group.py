"""The bot in a group chat: /bind and /unbind; ticket cards' buttons act as the person who presses them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from handlers.conversations import registry
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
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
                    "Hello. A project manager of the property company or an official of a government "
                    "office can send /bind here, and I will post that unit's ticket cards in this group "
                    "(never in a public group, and never with reporters' names)."
                )
            )
        else:
            groups.forget(turn.ctx, inc.chat_id)
        return
    if inc.kind is Kind.BUTTON and turn.press is not None:
        buttons[turn.press.action](turn)  # every step checks the presser's own permissions
        return
    if inc.kind is Kind.COMMAND:
        command = commands.get(inc.command or "")
        if command is not None:
            command(turn)
        elif inc.command in ("start", "report", "my", "privacy", "language", "join"):
            turn.say(turn.t("Please talk to me in a private chat."))
        return
    if turn.state is not None and turn.state.flow in flows:
        follow_up(turn, flows[turn.state.flow])
    # Anything else said in the group is the members' conversation, not ours.


QUESTION_TTL = timedelta(minutes=10)


def follow_up(turn: Turn, step: Step) -> None:
    """The presser's next message in the group answers the question their press asked (a question for
    the owner, a note): theirs only (a chat's state is per person), within ten minutes, and only that
    one message. Banter later, or a message the step cannot take, ends the question instead of being
    relayed to an owner."""
    assert turn.state is not None
    asked = turn.state.updated_at
    if asked is not None and turn.ctx.clock.now() - asked > QUESTION_TTL:
        turn.clear_state()
        return
    before = (turn.state.flow, turn.state.step)
    step(turn)
    if turn.state is not None and (turn.state.flow, turn.state.step) == before:
        turn.clear_state()
        turn.say(turn.t("That did not answer it, so the question is closed here; press the button again."))


def bind(turn: Turn, unit: str | None = None) -> None:
    inc = turn.inc
    try:
        chosen = groups.bind(turn.ctx, turn.person_id, inc.chat_id, inc.chat_title, inc.chat_public, unit)
    except UserError as exc:
        if exc.code != "bind_choose":
            turn.say(explain(turn.tr, exc))
            return
        rows = [[Button(u.name, encode("bg", u.code))] for u in groups.units_of(turn.ctx, turn.person_id)]
        turn.say(turn.t("Which unit's ticket cards should this group receive?"), rows)
        return
    text = turn.t(
        "This group now receives the ticket cards of {unit}. Buttons act as whoever presses them, "
        "with their own permissions. Reporters' names are never shown here. /unbind stops it.",
        unit=chosen.name,
    )
    if unit is None:
        turn.say(text)
    else:
        turn.edit_pressed(text)


def choose_unit(turn: Turn) -> None:
    """The binder picked one of their units (only someone who may bind that unit gets anywhere)."""
    if turn.inc.chat_type == "private":
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    bind(turn, turn.arg(0))


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


def unbind_button(turn: Turn) -> None:
    """From the notice a manager or official got in their own chat: unbind that group."""
    if turn.inc.chat_type != "private":
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    removed = groups.unbind(turn.ctx, turn.person_id, turn.arg(0))
    turn.toast()
    turn.edit_pressed(
        turn.t("That group no longer receives ticket cards.")
        if removed
        else turn.t("That group was not bound.")
    )


def help_(turn: Turn) -> None:
    """A group's commands, from the registry (registry.IN_GROUPS)."""
    turn.say("\n".join(turn.t(c.help) for c in registry.IN_GROUPS if c.help))


BUTTONS = {"bg": choose_unit, "ub": unbind_button}
