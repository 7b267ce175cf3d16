"""Community, street and district officials: what is open in their area, send back, 吹哨报到.

/area ─▶ card ─▶ Send back to the company (overrules a decline)
             └▶ Transfer to a department ─▶ choose ─▶ transfer:note ─▶ the department gets the card
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.conversations import cards
from handlers.conversations.buttons import encode
from handlers.conversations.io import Button, Kind
from handlers.conversations.turn import Turn
from handlers.domain import Office, OfficeKind, RoleKind, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.lifecycle import OPEN_STATUSES
from handlers.services import access, membership, supervision, tickets
from handlers.text import N_


def _area_estates(uow: UnitOfWork, office_ids: set[int]) -> list[int]:
    """Every estate under the given offices (a street sees its communities' estates, and so on)."""
    communities: set[int] = set()
    frontier = [uow.offices.get(i) for i in office_ids]
    while frontier:
        office = frontier.pop()
        if office is None or office.id is None:
            continue
        if office.kind is OfficeKind.COMMUNITY:
            communities.add(office.id)
        frontier.extend(uow.offices.children(office.id))
    return [e.id for e in uow.estates.in_communities(sorted(communities)) if e.id]


def area(turn: Turn) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    offices = actor.office_ids()
    if not offices:
        turn.say(turn.t("Only the community, street or district office can do that."))
        return
    with turn.ctx.uow() as uow:
        estates = _area_estates(uow, offices)
        mine = uow.tickets.of_estates(estates, OPEN_STATUSES) if estates else []
        dept = [
            t
            for t in uow.tickets.of_estates([e.id for e in uow.estates.all() if e.id], OPEN_STATUSES)
            if t.department_office_id in offices and t.status in access.DEPARTMENT_SEES
        ]
    found = {t.id: t for t in mine + dept}
    if not found:
        turn.say(turn.t("Nothing open in your area. 👍"))
        return
    ordered = sorted(found.values(), key=lambda t: (not t.supervised, t.due_at or now))
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in ordered[:40]]
    overdue = sum(1 for t in ordered if t.due_at and t.due_at < now)
    turn.say(
        turn.t(
            "{n} open in your area, {overdue} of them overdue. Tap one for its card:",
            n=len(ordered),
            overdue=overdue,
        ),
        rows,
    )


def _ticket_and_office(turn: Turn) -> tuple[int, Office] | None:
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(turn.arg(0))
        if ticket is None:
            return None
        actor = access.load_actor(uow, turn.person_id)
        office = access.official_over(uow, actor, access.estate_of(uow, ticket))
        if office is None:
            return None
        return ticket.id or 0, office


def send_back(turn: Turn) -> None:
    found = _ticket_and_office(turn)
    if found is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    tid, _ = found
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid)
        assert ticket is not None
        target = ticket.assignee_id
        if target is None:
            managers = uow.roles.at_estate(ticket.estate_id, RoleKind.MANAGER)
            target = managers[0].person_id if managers else None
    if target is None:
        turn.toast(turn.t("Nobody at the company to send it back to."), alert=True)
        return
    ticket = tickets.assign(turn.ctx, turn.person_id, tid, target)
    turn.toast()
    turn.edit_pressed(
        turn.t(
            "{number} has been sent back to the company, with a new time limit to acknowledge it.",
            number=ticket.number,
        )
    )


def choose_department(turn: Turn) -> None:
    found = _ticket_and_office(turn)
    if found is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    tid, _ = found
    with turn.ctx.uow() as uow:
        departments = [o for o in uow.offices.all() if o.kind is OfficeKind.DEPARTMENT]
    turn.toast()
    if turn.arg(1) is None:
        rows = [[Button("📣 " + d.name, encode("td", tid, d.id))] for d in departments]
        turn.say(turn.t("Which department must report on site (吹哨报到)?"), rows)
        return
    chosen = next((d for d in departments if d.id == turn.arg(1)), None)
    if chosen is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.set_state("transfer", "note", ticket_id=tid, office_key=chosen.key, office_name=chosen.name)
    turn.edit_pressed(turn.t("Department: {name}", name=chosen.name))
    turn.say(turn.t("What must the department do? (the note goes with the case)"))


def on_transfer_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the note in words."))
        return
    data = turn.state.data
    ticket = tickets.transfer_department(
        turn.ctx,
        turn.person_id,
        int(str(data["ticket_id"])),
        str(data["office_key"]),
        turn.inc.text,
    )
    turn.clear_state()
    turn.say(
        turn.t(
            "{number} has been transferred to {name}, with a deadline of its own: {due}.",
            number=ticket.number,
            name=data["office_name"],
            due=cards.when(turn.tr, ticket.due_at),
        )
    )


def _visible_ticket_id(turn: Turn) -> int | None:
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(turn.arg(0))
        actor = access.load_actor(uow, turn.person_id)
        if ticket is None or not access.can_see(uow, actor, ticket):
            return None
        return ticket.id


def urge_button(turn: Turn) -> None:
    found = _ticket_and_office(turn)
    if found is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("urge", "note", ticket_id=found[0])
    turn.say(
        turn.t("What do you require of the company? The assignee and the project manager get it at once.")
    )


def on_urge_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the note in words."))
        return
    supervision.urge(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(turn.t("Sent to the assignee and the project manager."))


def comment_button(turn: Turn) -> None:
    tid = _visible_ticket_id(turn)
    if tid is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    turn.toast()
    turn.set_state("comment", "text", ticket_id=tid)
    turn.say(turn.t("Write your comment; it goes on the record and to the assignee."))


def on_comment_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the comment in words."))
        return
    supervision.comment(turn.ctx, turn.person_id, int(turn.state.data["ticket_id"]), turn.inc.text)  # type: ignore[call-overload]
    turn.clear_state()
    turn.say(turn.t("Comment recorded."))


def decide_extension(turn: Turn) -> None:
    found = _ticket_and_office(turn)
    if found is None:
        turn.toast(turn.t("This button is no longer valid."), alert=True)
        return
    grant = turn.press is not None and turn.press.action == "xg"
    supervision.decide_extension(turn.ctx, turn.person_id, found[0], grant)
    turn.toast(turn.t("More time granted.") if grant else turn.t("More time refused."))
    turn.edit_pressed(turn.t("More time granted.") if grant else turn.t("More time refused."))


def return_button(turn: Turn) -> None:
    """The department finds the case is not theirs either: ask why, then send it back."""
    tid = _visible_ticket_id(turn)
    with turn.ctx.uow() as uow:
        ticket = uow.tickets.get(tid) if tid else None
        actor = access.load_actor(uow, turn.person_id)
        if ticket is None or not access.department_of(actor, ticket):
            turn.toast(turn.t("This button is no longer valid."), alert=True)
            return
    turn.toast()
    turn.set_state("return", "reason", ticket_id=ticket.id)
    turn.say(
        turn.t(
            "Why is {number} not your department's? The property company gets it back with your reason.",
            number=ticket.number,
        )
    )


def on_return_message(turn: Turn) -> None:
    assert turn.state is not None
    if turn.inc.kind is not Kind.TEXT:
        turn.say(turn.t("Please write the reason in words."))
        return
    ticket = membership.return_to_company(
        turn.ctx, turn.person_id, int(str(turn.state.data["ticket_id"])), turn.inc.text
    )
    turn.clear_state()
    turn.say(turn.t("{number} is back with the property company.", number=ticket.number))


def _listing(turn: Turn, title: str, empty: str, keep: Callable[[Ticket, datetime], bool]) -> None:
    now = turn.ctx.clock.now()
    actor = turn.actor()
    offices = actor.office_ids()
    if not offices:
        turn.say(turn.t("Only the community, street or district office can do that."))
        return
    with turn.ctx.uow() as uow:
        estates = _area_estates(uow, offices)
        found = [
            t for t in (uow.tickets.of_estates(estates, OPEN_STATUSES) if estates else []) if keep(t, now)
        ]
    if not found:
        turn.say(turn.t(empty))
        return
    rows = [[Button(cards.ticket_line(turn.tr, t, now), encode("cd", t.id))] for t in found[:40]]
    turn.say(turn.t(title, n=len(found)), rows)


def supervision_list(turn: Turn) -> None:
    _listing(
        turn,
        N_("Listed for supervision by the district housing bureau (挂牌督办) in your area: {n}"),
        N_("Nothing in your area is listed for supervision by the district housing bureau (挂牌督办)."),
        lambda t, now: t.supervised,
    )


def overdue_list(turn: Turn) -> None:
    _listing(
        turn,
        N_("Overdue in your area: {n}"),
        N_("Nothing overdue in your area. 👍"),
        lambda t, now: t.due_at is not None and t.due_at < now and t.status.value != "waiting_owner",
    )


BUTTONS = {
    "ob": send_back,
    "td": choose_department,
    "ug": urge_button,
    "cm": comment_button,
    "xg": decide_extension,
    "xr": decide_extension,
    "rb": return_button,
}
FLOWS = {
    "transfer": on_transfer_message,
    "urge": on_urge_message,
    "comment": on_comment_message,
    "return": on_return_message,
}
