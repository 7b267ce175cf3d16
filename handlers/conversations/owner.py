"""Owners: join an estate, and their data (what is stored, deleting it). Their reports, from /my to
closing the loop, are in owner_reports.py.

/start CODE ─▶ join:unit ─▶ language ─▶ done
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.conversations import engine
from handlers.conversations.buttons import encode
from handlers.conversations.drafts import Draft
from handlers.conversations.engine import END, MESSAGE, TEXT, Flow, Move
from handlers.conversations.engine import pressed as press
from handlers.conversations.errors import explain
from handlers.conversations.io import Button
from handlers.conversations.turn import Turn
from handlers.domain.people import RoleKind
from handlers.services import people
from handlers.services.errors import UserError
from handlers.text import LANGUAGE_NAMES, LANGUAGES, resolve_language


@dataclass
class Joining(Draft):
    code: str
    estate: str = ""
    unit: str | None = None


def begin_join(turn: Turn, code: str, estate_name: str) -> None:
    engine.start(turn, JOIN, "unit", Joining(code.strip().upper(), estate_name))
    turn.say(turn.t("Welcome to {estate}! Which unit is yours? (e.g. 12栋3单元1602)", estate=estate_name))


def unit_written(turn: Turn, d: Joining) -> str:
    try:
        role = people.join_estate(turn.ctx, turn.person_id, d.code, turn.inc.text)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return turn.state.step if turn.state is not None else "unit"
    d.unit = role.unit
    suggested = resolve_language(turn.inc.language_code)
    rows = [
        [Button(("✓ " if lang == suggested else "") + LANGUAGE_NAMES[lang], encode("lg", lang))]
        for lang in LANGUAGES
    ]
    turn.say(turn.t("Registered as the owner of {unit}. Which language do you prefer?", unit=role.unit), rows)
    return "language"


def unit_in_words(turn: Turn, d: Joining) -> str:
    turn.say(turn.t("Please write your unit, e.g. 12栋3单元1602."))
    return turn.state.step if turn.state is not None else "unit"


def language_chosen(turn: Turn, d: Joining) -> str:
    """The language button (core.choose_language, which every chat has) finishes joining."""
    turn.say(turn.t("All set. Send /report to report a problem, /my to follow your reports."))
    return END


JOIN = Flow(
    "join",
    Joining,
    {
        ("unit", TEXT): Move(unit_written, to=("language",)),
        ("unit", MESSAGE): Move(unit_in_words),
        ("language", press("lg")): Move(language_chosen, to=(END,)),
        # a unit written again while the language is asked: another home, as at the first question
        ("language", TEXT): Move(unit_written, to=("language",)),
        ("language", MESSAGE): Move(unit_in_words),
    },
    starts=(("/start CODE, /join CODE", "unit"),),
    doc="An owner joins their estate with the code on the notice board, then chooses a language.",
)


def privacy(turn: Turn) -> None:
    data = people.my_data(turn.ctx, turn.person_id)
    language = LANGUAGE_NAMES.get(data["language"], data["language"] or "—")
    lines = [
        turn.t("What I store about you:"),
        turn.t("• Telegram id: {id}", id=data["telegram_id"]),
        turn.t("• Name: {name}", name=data["display_name"]),
    ]
    if data["telegram_name"] and data["telegram_name"] != data["display_name"]:
        lines.append(turn.t("• Your Telegram name: {name}", name=data["telegram_name"]))
    lines += [
        turn.t("• Language: {lang}", lang=language),
        turn.t(
            "• Homes: {units}",
            units=", ".join(str(r[2]) for r in data["roles"] if r[0] == RoleKind.OWNER) or "—",
        ),
        turn.t("• Reports: {numbers}", numbers=", ".join(data["tickets"]) or "—"),
        "",
        turn.t(
            "If you delete your data, I remove your name, Telegram id, language, homes and roles, where "
            "you are in any conversation, and what you wrote on your reports besides the problem itself "
            "(your answers to the staff, your reasons, your rating comments)."
        ),
        turn.t(
            "What stays, because the estate and the supervisors must keep the case record: each report's "
            "description, place and photos, its history and handling, and your star ratings, all shown as "
            "from “an owner (data deleted)”, with nothing that links them to you. Messages already "
            "delivered to people stay in their Telegram chats."
        ),
    ]
    turn.say("\n".join(lines), [[Button("🗑 " + turn.t("Delete my data"), encode("pd", "ask"))]])


def delete_data(turn: Turn) -> None:
    action = turn.arg(0)
    turn.toast()
    if action == "ask":
        turn.edit_pressed(
            turn.t("Really delete your data? This cannot be undone."),
            [[Button(turn.t("Yes, delete"), encode("pd", "yes")), Button(turn.t("No"), encode("pd", "no"))]],
        )
    elif action == "yes":
        count = people.delete_my_data(turn.ctx, turn.person_id)
        turn.clear_state()
        turn.edit_pressed(
            turn.t(
                "Your data is deleted: I no longer know who you are. {n} report(s) stay on record as "
                "from an owner whose data was deleted, without your name, unit or what you wrote besides "
                "the problem itself.",
                n=count,
            )
        )
    else:
        turn.edit_pressed(turn.t("Nothing was deleted."))


BUTTONS = {"pd": delete_data}
CONVERSATIONS: tuple[Flow[Any], ...] = (JOIN,)
