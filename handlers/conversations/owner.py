"""Owners: join an estate, follow reports, close the loop (confirm, rate, reopen), answer staff, privacy.

/start CODE ─▶ join:unit ─▶ language ─▶ done
"Fixed?" ─▶ yes ─▶ stars ─▶ rate:comment ─▶ closed      no ─▶ reopen:reason ─▶ reopened
closed unconfirmed (quiet period) ─▶ stars ─▶ rate:comment   (or "not fixed" from /my ─▶ reopen:reason)
"Reply" ─▶ reply:text ─▶ relayed to staff
"""

from __future__ import annotations

from handlers.conversations import cards, files
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.domain import Ticket
from handlers.rules.lifecycle import OPEN_STATUSES, TRANSITIONS, Event, Status
from handlers.services import access, people, supervision, tickets
from handlers.services.errors import UserError
from handlers.text import LANGUAGE_NAMES, LANGUAGES, resolve_language


def begin_join(turn: Turn, code: str, estate_name: str) -> None:
    turn.set_state("join", "unit", code=code.strip().upper(), estate=estate_name)
    turn.say(turn.t("Welcome to {estate}! Which unit is yours? (e.g. 12栋3单元1602)", estate=estate_name))


def on_join_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write your unit, e.g. 12栋3单元1602."))
        return
    try:
        role = people.join_estate(turn.ctx, turn.person_id, str(turn.state.data["code"]), turn.inc.text)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return
    turn.set_state("join", "language", unit=role.unit)
    suggested = resolve_language(turn.inc.language_code)

    rows = [
        [Button(("✓ " if lang == suggested else "") + LANGUAGE_NAMES[lang], encode("lg", lang))]
        for lang in LANGUAGES
    ]
    turn.say(turn.t("Registered as the owner of {unit}. Which language do you prefer?", unit=role.unit), rows)


def finish_join(turn: Turn) -> None:
    turn.clear_state()
    turn.say(turn.t("All set. Send /report to report a problem, /my to follow your reports."))


def my_tickets(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    with turn.ctx.uow() as uow:
        mine = uow.tickets.of_reporter(turn.person_id, limit=10)
    if not mine:
        turn.say(turn.t("You have no reports yet. Send /report to make one."))
        return
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("mt", t.id))] for t in mine]
    turn.say(turn.t("Your reports, newest first. Tap one for its timeline:"), rows)


def _ticket_arg(turn: Turn) -> int | None:
    tid: int | None = turn.arg(0)
    return tid


def show_ticket(turn: Turn) -> None:
    """The timeline of a ticket the person may see (reporter, staff, officials)."""
    tid = _ticket_arg(turn)
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid) if tid else None
        actor = access.load_actor(uow, turn.person_id)
        audience = turn.audience(uow)
        # The presser must be allowed to open it, and the chat it is drawn into to read it.
        if ticket is None or not access.can_see(uow, actor, ticket) or not audience.sees_ticket(uow, ticket):
            turn.toast(turn.t("This button is no longer valid."), alert=True)
            return
        text = (
            cards.card_text(uow, turn.tr, ticket, audience)
            + "\n\n"
            + cards.timeline(uow, turn.tr, ticket, audience)
        )
        buttons = (
            owner_actions(turn, ticket)
            if ticket.reporter_id == actor.id and not audience.group
            else cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now())[:-1]
        )
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


def _own_open_ticket(turn: Turn) -> Ticket | None:
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(turn.arg(0))
    if ticket is None or ticket.reporter_id != turn.person_id or ticket.status not in OPEN_STATUSES:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return None
    return ticket


def withdraw_button(turn: Turn) -> None:
    """Take a report back: asked once more, since it cannot be undone."""
    ticket = _own_open_ticket(turn)
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


def photo_button(turn: Turn) -> None:
    ticket = _own_open_ticket(turn)
    if ticket is None:
        return
    turn.toast()
    turn.set_state("addphoto", "photo", ticket_id=ticket.id)
    turn.say(turn.t("Send the photo for {number}:", number=ticket.number))


def on_photo_message(turn: Turn) -> None:
    assert turn.state is not None
    problem = files.photo_problem(turn)
    if problem is not None or turn.inc.kind is not Kind.PHOTO or not turn.inc.file_id:
        turn.say(problem or turn.t("Please send a photo, or /cancel."))
        return
    ticket = tickets.add_photo(
        turn.ctx,
        turn.person_id,
        int(str(turn.state.data["ticket_id"])),
        turn.inc.file_id,
        turn.inc.file_unique_id,
    )
    turn.clear_state()
    turn.say(turn.t("The photo is added to {number}; the staff see it.", number=ticket.number))


def message_button(turn: Turn) -> None:
    ticket = _own_open_ticket(turn)
    if ticket is None:
        return
    turn.toast()
    turn.set_state("tell", "text", ticket_id=ticket.id)
    turn.say(turn.t("What do you want to tell whoever handles {number}?", number=ticket.number))


def on_tell_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write it in words."))
        return
    supervision.comment(turn.ctx, turn.person_id, int(str(turn.state.data["ticket_id"])), turn.inc.text)
    turn.clear_state()
    turn.say(turn.t("Sent. It is on the record of the report too."))


def confirm_fixed(turn: Turn) -> None:
    tid = _ticket_arg(turn)
    if tid is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    ticket = tickets.confirm(turn.ctx, turn.person_id, tid)
    turn.toast()
    turn.edit_pressed(turn.t("Thank you: {number} is closed as fixed.", number=ticket.number))
    if ticket.rating is None:  # rated once already when it was closed unconfirmed, then reopened
        turn.say(
            turn.t("How satisfied are you with how it was handled?"),
            [[Button("⭐" * n, encode("rt", tid, n)) for n in range(1, 6)]],
        )


def not_fixed(turn: Turn) -> None:
    tid = _ticket_arg(turn)
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid) if tid else None
    if ticket is None or ticket.reporter_id != turn.person_id:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("reopen", "reason", ticket_id=tid)
    turn.say(turn.t("Sorry to hear that. What is still wrong with {number}?", number=ticket.number))


def on_reopen_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please describe in words what is still wrong."))
        return
    ticket = tickets.reopen(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(
        turn.t(
            "{number} has been reopened with a new deadline, {due}. The staff have been told.",
            number=ticket.number,
            due=cards.when(turn.tr, ticket.due_at),
        )
    )


def rate_stars(turn: Turn) -> None:
    tid, stars = turn.arg(0), turn.arg(1)
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid)
    if ticket is None or ticket.reporter_id != turn.person_id:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    if not 1 <= stars <= 5:
        raise UserError("rating_range")
    if ticket.rating is not None:
        raise UserError("already_rated", number=ticket.number)
    tickets.rate(turn.ctx, turn.person_id, tid, stars)  # stored now: walking away loses nothing
    turn.toast()
    turn.edit_pressed("⭐" * stars)
    turn.set_state("rate", "comment", ticket_id=tid)
    turn.say(
        turn.t("Any comment for the property company? Write it, or press “Skip”."),
        [[Button(turn.t("Skip"), encode("rc", tid))]],
    )


def rate_skip(turn: Turn) -> None:
    if turn.state is None or turn.state.flow != "rate":
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    _finish_rating(turn, None)


def on_rate_message(turn: Turn) -> None:
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write a comment, or press “Skip”."))
        return
    _finish_rating(turn, turn.inc.text)


def _finish_rating(turn: Turn, comment: str | None) -> None:
    assert turn.state is not None
    data = turn.state.data
    tid = int(data["ticket_id"])  # type: ignore[call-overload]
    if "stars" in data:  # a state saved before the stars were stored on their press
        tickets.rate(turn.ctx, turn.person_id, tid, int(data["stars"]), comment)  # type: ignore[call-overload]
    elif comment is not None:
        tickets.comment_on_rating(turn.ctx, turn.person_id, tid, comment)
    turn.clear_state()
    turn.toast()
    turn.say(turn.t("Thank you for your rating."))


def reply_button(turn: Turn) -> None:
    tid = _ticket_arg(turn)
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid) if tid else None
    if ticket is None or ticket.reporter_id != turn.person_id:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("reply", "text", ticket_id=tid)
    turn.say(turn.t("Write your answer for {number}:", number=ticket.number))


def on_reply_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write your answer in words."))
        return
    ticket = tickets.owner_reply(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(
        turn.t(
            "Sent. The deadline of {number} runs again: {due}.",
            number=ticket.number,
            due=cards.when(turn.tr, ticket.due_at),
        )
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
    "rc": rate_skip,
    "rp": reply_button,
    "pd": delete_data,
}
FLOWS = {
    "addphoto": on_photo_message,
    "tell": on_tell_message,
    "join": on_join_message,
    "reopen": on_reopen_message,
    "rate": on_rate_message,
    "reply": on_reply_message,
}
