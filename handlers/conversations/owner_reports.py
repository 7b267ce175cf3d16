"""An owner's reports: /my and a report's timeline, and what the owner does with a report (withdraw it,
add a photo, message the handler, confirm it fixed or reopen it, rate it, answer staff).

"Fixed?" ─▶ yes ─▶ stars ─▶ rate:comment ─▶ closed      no ─▶ reopen:reason ─▶ reopened
closed unconfirmed (quiet period) ─▶ stars ─▶ rate:comment   (or "not fixed" from /my ─▶ reopen:reason)
"Reply" ─▶ reply:text ─▶ relayed to staff
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.conversations import cards, pressed, questions
from handlers.conversations.buttons import encode
from handlers.conversations.engine import END, PHOTO, Flow, Move
from handlers.conversations.engine import pressed as press
from handlers.conversations.io import Button
from handlers.conversations.pressed import pressed_ticket
from handlers.conversations.questions import AboutTicket, Question
from handlers.conversations.turn import Turn
from handlers.domain.ticket import Ticket
from handlers.rules.lifecycle import OPEN_STATUSES, TRANSITIONS, Event, Status
from handlers.services import supervision, tickets
from handlers.services.errors import UserError
from handlers.text import N_


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
}
CONVERSATIONS: tuple[Flow[Any], ...] = tuple(
    q.conversation for q in (ADD_PHOTO, TELL, REOPEN, RATING_COMMENT, REPLY)
)
