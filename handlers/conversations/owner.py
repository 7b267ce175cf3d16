"""Owners: join an estate, follow reports, close the loop (confirm, rate, reopen), answer staff, privacy.

/start CODE ─▶ join:unit ─▶ language ─▶ done
"Fixed?" ─▶ yes ─▶ stars ─▶ rate:comment ─▶ closed      no ─▶ reopen:reason ─▶ reopened
closed unconfirmed (quiet period) ─▶ stars ─▶ rate:comment   (or "not fixed" from /my ─▶ reopen:reason)
"Reply" ─▶ reply:text ─▶ relayed to staff
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.conversations import cards, engine, pressed, questions
from handlers.conversations.buttons import encode
from handlers.conversations.drafts import Draft
from handlers.conversations.engine import END, MESSAGE, PHOTO, TEXT, Flow, Move
from handlers.conversations.engine import pressed as press
from handlers.conversations.errors import explain
from handlers.conversations.io import Button
from handlers.conversations.pressed import pressed_ticket
from handlers.conversations.questions import AboutTicket, Question
from handlers.conversations.turn import Turn
from handlers.domain import Ticket
from handlers.rules.lifecycle import OPEN_STATUSES, TRANSITIONS, Event, Status
from handlers.services import people, supervision, tickets
from handlers.services.errors import UserError
from handlers.text import LANGUAGE_NAMES, LANGUAGES, N_, resolve_language


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


def my_tickets(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    with turn.ctx.uow() as uow:
        mine = uow.tickets.of_reporter(turn.person_id, limit=10)
    if not mine:
        turn.say(turn.t("You have no reports yet. Send /report to make one."))
        return
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("mt", t.id))] for t in mine]
    turn.say(turn.t("Your reports, newest first. Tap one for its timeline:"), rows)


def show_ticket(turn: Turn) -> None:
    """The timeline of a ticket the person may see (reporter, staff, officials)."""
    with turn.ctx.uow() as uow:
        audience = turn.audience(uow)
        # The presser must be allowed to open it, and the chat it is drawn into to read it.
        ticket = pressed_ticket(turn, audience.may_open, uow)
        if ticket is None:
            return
        text = (
            cards.card_text(uow, turn.tr, ticket, audience)
            + "\n\n"
            + cards.timeline(uow, turn.tr, ticket, audience)
        )
        buttons = (
            [*owner_actions(turn, ticket), cards.ticket_page_row(turn.tr, ticket, audience, turn.ctx.web_url)]
            if ticket.reporter_id == turn.person_id and not audience.group
            else cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now(), turn.ctx.web_url)[
                :-1
            ]
        )
        buttons = [row for row in buttons if row]
    turn.toast()
    turn.say(text[:4000], buttons)


def owner_actions(turn: Turn, ticket: Ticket) -> list[list[Button]]:
    """What the owner can do with their report now, from /my: whatever message asked them may be lost."""
    tid, status = ticket.id, ticket.status
    rows: list[list[Button]] = []
    if status is Status.WAITING_OWNER:
        rows.append([Button("✍️ " + turn.t("Reply"), encode("rp", tid))])
    if status is Status.RESOLVED:
        rows.append(
            [
                Button("👍 " + turn.t("Yes, fixed"), encode("cf", tid)),
                Button("👎 " + turn.t("No, not fixed"), encode("nf", tid)),
            ]
        )
    if status is Status.CLOSED_UNCONFIRMED:
        rows.append([Button("👎 " + turn.t("No, not fixed"), encode("nf", tid))])
    if status in (Status.CLOSED, Status.CLOSED_UNCONFIRMED) and ticket.rating is None:
        rows.append([Button("⭐" * n, encode("rt", tid, n)) for n in range(1, 6)])
    if status in OPEN_STATUSES and status is not Status.TRANSFERRED:
        rows.append(
            [
                Button("📷 " + turn.t("Add a photo"), encode("ph", tid)),
                Button("💬 " + turn.t("Message the handler"), encode("mh", tid)),
            ]
        )
    if status in WITHDRAWABLE:
        rows.append([Button("↩️ " + turn.t("Withdraw the report"), encode("wd", tid))])
    return rows


WITHDRAWABLE = frozenset(s for s in Status if (s, Event.WITHDRAW) in TRANSITIONS)


def withdraw_button(turn: Turn) -> None:
    """Take a report back: asked once more, since it cannot be undone."""
    ticket = pressed_ticket(turn, pressed.reporter_while_open)
    if ticket is None:
        return
    turn.toast()
    if turn.arg(1) is None:
        turn.say(
            turn.t(
                "Withdraw {number}? The staff stop working on it; this cannot be undone.",
                number=ticket.number,
            ),
            [
                [
                    Button(turn.t("Yes, withdraw"), encode("wd", ticket.id, 1)),
                    Button(turn.t("No"), encode("pd", "no")),
                ]
            ],
        )
        return
    tickets.withdraw(turn.ctx, turn.person_id, ticket.id or 0)
    turn.edit_pressed(turn.t("{number} has been withdrawn. The staff have been told.", number=ticket.number))


def _photo_added(turn: Turn, d: AboutTicket) -> str:
    assert turn.inc.file_id is not None
    ticket = tickets.add_photo(
        turn.ctx, turn.person_id, d.ticket_id, turn.inc.file_id, turn.inc.file_unique_id
    )
    return turn.t("The photo is added to {number}; the staff see it.", number=ticket.number)


ADD_PHOTO = Question(
    "addphoto",
    "photo",
    ask=N_("Send the photo for {number}:"),
    in_words=N_("Please send a photo, or /cancel."),
    take=_photo_added,
    answer=PHOTO,
    asked_by="📷 Add a photo (ph)",
)


def photo_button(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.reporter_while_open)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, ADD_PHOTO, AboutTicket(ticket.id or 0, ticket.number))


def _told(turn: Turn, d: AboutTicket) -> str:
    supervision.comment(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t("Sent. It is on the record of the report too.")


TELL = Question(
    "tell",
    "text",
    ask=N_("What do you want to tell whoever handles {number}?"),
    in_words=N_("Please write it in words."),
    take=_told,
    asked_by="💬 Message the handler (mh)",
)


def message_button(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.reporter_while_open)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, TELL, AboutTicket(ticket.id or 0, ticket.number))


def confirm_fixed(turn: Turn) -> None:
    tid = turn.arg(0)
    ticket = tickets.confirm(turn.ctx, turn.person_id, tid)
    turn.toast()
    turn.edit_pressed(turn.t("Thank you: {number} is closed as fixed.", number=ticket.number))
    if ticket.rating is None:  # rated once already when it was closed unconfirmed, then reopened
        turn.say(
            turn.t("How satisfied are you with how it was handled?"),
            [[Button("⭐" * n, encode("rt", tid, n)) for n in range(1, 6)]],
        )


def _reopened(turn: Turn, d: AboutTicket) -> str:
    ticket = tickets.reopen(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t(
        "{number} has been reopened with a new deadline, {due}. The staff have been told.",
        number=ticket.number,
        due=cards.when(turn.tr, ticket.due_at),
    )


REOPEN = Question(
    "reopen",
    "reason",
    ask=N_("Sorry to hear that. What is still wrong with {number}?"),
    in_words=N_("Please describe in words what is still wrong."),
    take=_reopened,
    asked_by="👎 No, not fixed (nf)",
)


def not_fixed(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.reporter)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, REOPEN, AboutTicket(ticket.id or 0, ticket.number))


@dataclass
class Rating(AboutTicket):
    stars: int | None = None  # only in a state saved before the stars were stored on their press


def rate_stars(turn: Turn) -> None:
    stars = turn.arg(1)
    ticket = pressed_ticket(turn, pressed.reporter)
    if ticket is None:
        return
    if not 1 <= stars <= 5:
        raise UserError("rating_range")
    if ticket.rating is not None:
        raise UserError("already_rated", number=ticket.number)
    tickets.rate(turn.ctx, turn.person_id, ticket.id or 0, stars)  # stored now: walking away loses nothing
    turn.toast()
    turn.edit_pressed("⭐" * stars)
    questions.ask(turn, RATING_COMMENT, Rating(ticket.id or 0, ticket.number))


def _rated(turn: Turn, d: Rating, comment: str | None) -> str:
    if d.stars is not None:  # a state saved before the stars were stored on their press
        tickets.rate(turn.ctx, turn.person_id, d.ticket_id, d.stars, comment)
    elif comment is not None:
        tickets.comment_on_rating(turn.ctx, turn.person_id, d.ticket_id, comment)
    return turn.t("Thank you for your rating.")


def _commented(turn: Turn, d: Rating) -> str:
    return _rated(turn, d, turn.inc.text)


def skip_comment(turn: Turn, d: Rating) -> str:
    turn.say(_rated(turn, d, None))
    return END


RATING_COMMENT = Question(
    "rate",
    "comment",
    ask=N_("Any comment for the property company? Write it, or press “Skip”."),
    in_words=N_("Please write a comment, or press “Skip”."),
    take=_commented,
    asked_by="⭐ stars (rt)",
    draft=Rating,
    buttons=lambda turn, d: [[Button(turn.t("Skip"), encode("rc", d.ticket_id))]],
    presses={press("rc"): Move(skip_comment, to=(END,))},
)


def _replied(turn: Turn, d: AboutTicket) -> str:
    ticket = tickets.owner_reply(turn.ctx, turn.person_id, d.ticket_id, turn.inc.text)
    return turn.t(
        "Sent. The deadline of {number} runs again: {due}.",
        number=ticket.number,
        due=cards.when(turn.tr, ticket.due_at),
    )


REPLY = Question(
    "reply",
    "text",
    ask=N_("Write your answer for {number}:"),
    in_words=N_("Please write your answer in words."),
    take=_replied,
    asked_by="✍️ Reply (rp)",
)


def reply_button(turn: Turn) -> None:
    ticket = pressed_ticket(turn, pressed.reporter)
    if ticket is None:
        return
    turn.toast()
    questions.ask(turn, REPLY, AboutTicket(ticket.id or 0, ticket.number))


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
            "• Homes: {units}", units=", ".join(str(r[2]) for r in data["roles"] if r[0] == "owner") or "—"
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


BUTTONS = {
    "wd": withdraw_button,
    "ph": photo_button,
    "mh": message_button,
    "mt": show_ticket,
    "tl": show_ticket,
    "cf": confirm_fixed,
    "nf": not_fixed,
    "rt": rate_stars,
    "rp": reply_button,
    "pd": delete_data,
}
CONVERSATIONS: tuple[Flow[Any], ...] = (
    JOIN,
    *(q.conversation for q in (ADD_PHOTO, TELL, REOPEN, RATING_COMMENT, REPLY)),
)
