"""Property staff and managers: the ticket card's buttons, /tasks, /team.

card ─▶ Acknowledge ─▶ Start ─▶ Ask the owner ─▶ ask:text ─▶ (owner answers)
                             └▶ Resolve ─▶ resolve:note ─▶ resolve:photo ─▶ owner asked "Fixed?"
     └▶ Reassign ─▶ colleague (assign)  |  "not ours" ─▶ reject:reason ─▶ community decides
"""

from __future__ import annotations

from handlers.conversations import cards, files
from handlers.conversations.buttons import encode
from handlers.conversations.errors import explain
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.domain import RoleKind, Ticket
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.services import access, supervision, tickets
from handlers.services.errors import Conflict, UserError


def _target(turn: Turn, department: bool = False) -> Ticket | None:
    """The ticket named by the button, if it exists and the presser may handle it (a department that
    has the case only where `department` says the step is theirs too: resolving it)."""
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(turn.arg(0))
        if ticket is None:
            return None
        actor = access.load_actor(uow, turn.person_id)
        try:
            access.require_handler(uow, actor, ticket)
        except UserError as exc:
            turn.toast(explain(turn.tr, exc), alert=True)
            return None
        if access.department_of(actor, ticket) and not department:
            return None
        return ticket


def _refresh_card(turn: Turn, ticket_id: int) -> None:
    """Show the pressed card as the ticket is now, with the buttons that fit now."""
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(ticket_id)
        audience = turn.audience(uow)
        if ticket is None or not audience.sees_ticket(uow, ticket):
            return
        turn.edit_pressed(
            cards.card_text(uow, turn.tr, ticket, audience),
            cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now()),
        )
        if turn.inc.message_id is not None:
            # this card now shows the ticket as it is: the refresh the change queued skips it
            turn.card_shown = (turn.inc.chat_id, turn.inc.message_id, ticket.version)


def acknowledge(turn: Turn) -> None:
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    try:
        tickets.acknowledge(turn.ctx, turn.person_id, ticket.id or 0)
    except Conflict as exc:
        # Someone else won the race: say who, and show the card as it is now.
        with turn.ctx.uow() as uow:
            now = uow.tickets.get(ticket.id or 0)
            taker = uow.people.get(now.assignee_id or 0) if now else None
        turn.toast(
            explain(
                turn.tr,
                Conflict(
                    "already_acknowledged", number=ticket.number, by=taker.display_name if taker else "?"
                ),
            )
            if exc
            else "",
            alert=True,
        )
        _refresh_card(turn, ticket.id or 0)
        return
    turn.toast(turn.t("Acknowledged {number}. The owner has been told.", number=ticket.number))
    _refresh_card(turn, ticket.id or 0)


def start_work(turn: Turn) -> None:
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    tickets.start_work(turn.ctx, turn.person_id, ticket.id or 0)
    turn.toast()
    _refresh_card(turn, ticket.id or 0)


def ask(turn: Turn) -> None:
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("ask", "text", ticket_id=ticket.id)
    turn.say(
        turn.t(
            "What do you want to ask the owner about {number}? The clock pauses until they answer.",
            number=ticket.number,
        )
    )


def on_ask_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the question in words."))
        return
    ticket = tickets.ask_owner(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(turn.t("Sent to the owner of {number}. I will pass on the answer.", number=ticket.number))


def resolve(turn: Turn) -> None:
    ticket = _target(turn, department=True)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("resolve", "note", ticket_id=ticket.id)
    turn.say(
        turn.t("What was done to fix {number}? (required; the owner will read it)", number=ticket.number)
    )


def on_resolve_message(turn: Turn) -> None:
    state = turn.state
    assert state is not None
    if state.step == "note":
        if turn.inc.kind is not Kind.TEXT:
            turn.say(turn.t("Please write what was done first; a photo comes next."))
            return
        try:
            note = tickets.check_text(turn.inc.text, field_name="note", minimum=2)
        except UserError as exc:
            turn.say(explain(turn.tr, exc))
            return
        turn.set_state("resolve", "photo", note=note)
        turn.say(
            turn.t("Add a photo of the result, or press “Skip”."),
            [[Button(turn.t("Skip"), encode("rz", "skip"))]],
        )
        return
    problem = files.photo_problem(turn)
    if problem is not None:
        turn.say(problem, [[Button(turn.t("Skip"), encode("rz", "skip"))]])
    elif turn.inc.kind is Kind.PHOTO and turn.inc.file_id:
        _finish_resolve(turn, (turn.inc.file_id, turn.inc.file_unique_id))
    else:
        turn.say(turn.t("Send a photo, or press “Skip”."), [[Button(turn.t("Skip"), encode("rz", "skip"))]])


def resolve_skip_photo(turn: Turn) -> None:
    if turn.state is None or turn.state.flow != "resolve" or turn.state.step != "photo":
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    _finish_resolve(turn, None)


def _finish_resolve(turn: Turn, photo: tuple[str, str | None] | None) -> None:
    assert turn.state is not None
    data = turn.state.data
    ticket = tickets.resolve(turn.ctx, turn.person_id, int(data["ticket_id"]), str(data["note"]), photo)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(
        turn.t(
            "{number} has been marked resolved. The owner has been asked to confirm.", number=ticket.number
        )
    )


def transfer(turn: Turn) -> None:
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    rows = _colleague_buttons(turn, ticket)
    rows.append([Button("🚫 " + turn.t("Not ours: decline with a reason"), encode("nj", ticket.id))])
    turn.say(
        turn.t(
            "Reassign {number} to a colleague, or decline it as not the company's responsibility:",
            number=ticket.number,
        ),
        rows,
    )


def _colleague_buttons(turn: Turn, ticket: Ticket) -> list[list[Button]]:
    """Staff and managers of the estate's company there, except whoever has the ticket now."""
    with turn.ctx.uow() as uow:
        estate = uow.estates.get(ticket.estate_id)
        company = estate.company_id if estate else None
        staff = uow.roles.at_estate(ticket.estate_id, RoleKind.STAFF) + uow.roles.at_estate(
            ticket.estate_id, RoleKind.MANAGER
        )
        rows, seen = [], set()
        for role in staff:
            if role.person_id in seen or role.person_id == ticket.assignee_id:
                continue
            if role.company_id not in (None, company):
                continue
            seen.add(role.person_id)
            person = uow.people.get(role.person_id)
            if person is not None and person.deleted_at is None:
                rows.append([Button("👤 " + person.display_name, encode("ag", ticket.id, role.person_id))])
    return rows


def assign_to(turn: Turn) -> None:
    tid, colleague = turn.arg(0), turn.arg(1)
    ticket = tickets.assign(turn.ctx, turn.person_id, tid, colleague)
    with turn.ctx.uow() as uow:
        person = uow.people.get(colleague)
    turn.toast()
    turn.edit_pressed(
        turn.t(
            "{number} is now handled by {name}.",
            number=ticket.number,
            name=person.display_name if person else "?",
        )
    )


def decline(turn: Turn) -> None:
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("reject", "reason", ticket_id=ticket.id)
    turn.say(
        turn.t(
            "Why is {number} not the company's responsibility? The owner and the community will "
            "read your reason, and the community decides.",
            number=ticket.number,
        )
    )


def on_reject_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the reason in words."))
        return
    ticket = tickets.reject(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(turn.t("{number} has been sent to the community with your reason.", number=ticket.number))


def tasks(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    if not any(r.kind in (RoleKind.STAFF, RoleKind.MANAGER) for r in actor.roles):
        turn.say(turn.t("Only property staff have tasks."))
        return
    with turn.ctx.uow() as uow:
        mine = uow.tickets.of_assignee(turn.person_id, OPEN_STATUSES)
    if not mine:
        turn.say(turn.t("No open tickets. 👍"))
        return
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in mine[:30]]
    turn.say(turn.t("Your open tickets, soonest deadline first:"), rows)


def team(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    estates = sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.MANAGER and r.estate_id})
    if not estates:
        turn.say(turn.t("Only the project manager can do that."))
        return
    with turn.ctx.uow() as uow:
        open_tickets = uow.tickets.of_estates(estates, OPEN_STATUSES)
        rows = []
        for t in open_tickets[:40]:
            who = uow.people.get(t.assignee_id) if t.assignee_id else None
            name = who.display_name if who else turn.t("unassigned")
            rows.append([Button(f"{cards.ticket_line(turn.tr, t, now)} · {name}", encode("cd", t.id))])
    if not rows:
        turn.say(turn.t("No open tickets at your estate. 👍"))
        return
    turn.say(turn.t("Open tickets at your estate ({n}). Tap one to act on it:", n=len(open_tickets)), rows)


def show_card(turn: Turn) -> None:
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(turn.arg(0))
        actor = access.load_actor(uow, turn.person_id)
        audience = turn.audience(uow)
        # The presser must be allowed to open it, and the chat it is drawn into to read it.
        if ticket is None or not access.can_see(uow, actor, ticket) or not audience.sees_ticket(uow, ticket):
            turn.toast(turn.t("This button is no longer valid."), alert=True)
            return
        rows = cards.card_buttons(uow, turn.tr, ticket, audience, turn.ctx.clock.now())
        if audience.manages(ticket) and ticket.status in OPEN_STATUSES:
            rows.insert(0, [Button("👥 " + turn.t("Assign"), encode("tr", ticket.id))])
        text = cards.card_text(uow, turn.tr, ticket, audience)
        photos = [a.file_id for a in audience.photos(uow, ticket)]
    turn.toast()
    turn.say(text, rows)
    for file_id in photos:
        turn.say(ticket.number, photo=file_id)


def extension(turn: Turn) -> None:
    """Ask the community for more time: choose how many working days."""
    ticket = _target(turn)
    if ticket is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    days = turn.arg(1)
    turn.toast()
    if days is None:
        rows = [
            [
                Button(
                    turn.tr.ngettext("{n} working day", "{n} working days", d).format(n=d),
                    encode("xq", ticket.id, d),
                )
                for d in (1, 3, 5)
            ]
        ]
        turn.say(
            turn.t("How much more time does {number} need? The community decides.", number=ticket.number),
            rows,
        )
        return
    supervision.request_extension(turn.ctx, turn.person_id, ticket.id or 0, days)
    turn.edit_pressed(turn.t("Asked the community for more time on {number}.", number=ticket.number))


BUTTONS = {
    "xq": extension,
    "ak": acknowledge,
    "st": start_work,
    "as": ask,
    "rs": resolve,
    "rz": resolve_skip_photo,
    "tr": transfer,
    "ag": assign_to,
    "nj": decline,
    "cd": show_card,
}
FLOWS = {"ask": on_ask_message, "resolve": on_resolve_message, "reject": on_reject_message}
