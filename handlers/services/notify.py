"""Queue the messages a state change owes people, in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from handlers.domain.notifications import NoticeKind, Notification, Outcome
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork


def notification_key(
    kind: str, person_id: int, ticket: Ticket | None = None, rung: int = 0, tag: str | int | None = None
) -> str:
    """One key per (ticket, kind, rung, cycle, recipient[, event]): the outbox sends each once."""
    parts = [kind]
    if ticket is not None:
        parts += [f"t{ticket.id}", f"c{ticket.cycle}", f"r{rung}"]
    parts.append(f"p{person_id}")
    if tag is not None:
        parts.append(f"e{tag}")
    return ":".join(parts)


def queue(
    uow: UnitOfWork,
    now: datetime,
    kind: NoticeKind,
    person_id: int | None,
    *,
    ticket: Ticket | None = None,
    rung: int = 0,
    tag: str | int | None = None,
    params: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Owe `person_id` a message of `kind` (held until `not_before`, when given); False if it was
    already owed (or nobody to tell)."""
    if person_id is None:
        return False
    person = uow.people.get(person_id)
    if person is None or person.deleted_at is not None:
        return False
    return uow.notifications.add(
        Notification(
            key=notification_key(kind, person_id, ticket, rung, tag),
            person_id=person_id,
            kind=kind,
            params=dict(params or {}),
            created_at=now,
            ticket_id=ticket.id if ticket else None,
            not_before=not_before,
        )
    )


class Unreachable(StrEnum):
    """Why the bot cannot reach a person: kept as the value in the managers' notice's params."""

    NO_TELEGRAM = "no_telegram"  # they never linked a Telegram account: invited, not yet joined
    BLOCKED = "blocked"  # Telegram said they blocked the bot
    GONE = "gone"  # erased, or never there


def why_unreachable(uow: UnitOfWork, person_id: int) -> Unreachable | None:
    """Why the bot cannot reach a person now, or None if it can."""
    person = uow.people.get(person_id)
    if person is None or person.deleted_at is not None:
        return Unreachable.GONE
    if person.telegram_id is None:
        return Unreachable.NO_TELEGRAM
    if person.unreachable:
        return Unreachable.BLOCKED
    return None


def next_up(uow: UnitOfWork, notification: Notification, ticket: Ticket) -> list[int]:
    """Who gets a ticket's message instead of a recipient the bot cannot tell (blocked it, or has no
    Telegram chat): staff → the estate's managers, a manager → the community, an official → the office
    above. Owners' messages have no stand-in."""
    from handlers.domain.people import RoleKind
    from handlers.services.access import office_chain

    person_id = notification.person_id
    roles = uow.roles.of_person(person_id)
    estate = uow.estates.get(ticket.estate_id)
    if estate is None or person_id == ticket.reporter_id:
        return []
    if any(r.kind is RoleKind.STAFF for r in roles) and not any(r.kind is RoleKind.MANAGER for r in roles):
        candidates = [r.person_id for r in uow.roles.at_estate(ticket.estate_id, RoleKind.MANAGER)]
    elif any(r.kind is RoleKind.MANAGER for r in roles):
        candidates = [r.person_id for r in uow.roles.at_office(estate.community_id)]
    else:
        chain = office_chain(uow, estate.community_id)
        mine = {r.office_id for r in roles if r.office_id}
        above = [o for i, o in enumerate(chain) if i > 0 and chain[i - 1].id in mine]
        candidates = [r.person_id for r in uow.roles.at_office(above[0].id or 0)] if above else []
    return [p for p in candidates if p != person_id]


def recipient_blocked(uow: UnitOfWork, notification: Notification, now: datetime) -> bool:
    """Telegram said the recipient blocked the bot: they are marked unreachable (until they write to
    us again) and the message goes to the next person up (`next_up`), so nobody stalls the ladder.
    The notification is finished as blocked, or as rerouted when someone stands in; True if rerouted."""
    notification.failed_at, notification.outcome = now, Outcome.BLOCKED
    person = uow.people.get(notification.person_id)
    if person is not None and not person.unreachable:
        person.unreachable = True
        uow.people.save(person)
    if pass_up(uow, notification, now, Unreachable.BLOCKED):
        notification.outcome = Outcome.REROUTED
    return notification.outcome == Outcome.REROUTED


def keep_for_web(uow: UnitOfWork, notification: Notification, now: datetime) -> bool:
    """A private message for someone with no Telegram chat (an owner who joined on the web, someone
    invited who signs in with `wuye invite web`) is finished as kept for their next visit to the web
    pages: not sent and not a failure. They are not marked unreachable (that is for people who blocked
    the bot) and still count as not reachable through the bot (`why_unreachable`: NO_TELEGRAM), so the
    ladder's rule for an office nobody can be told at still fires. Nobody is pinged by a page, so the
    next person up (`next_up`) gets a copy in Telegram saying why, as for someone who blocked the bot:
    a new task for a repairman who works on the web is not left waiting for his next visit. True if
    the message is kept (someone with a Telegram chat, or a group's message: False, and unchanged)."""
    if notification.chat_id is not None:
        return False
    person = uow.people.get(notification.person_id)
    if person is None or person.deleted_at is not None or person.telegram_id is not None:
        return False
    notification.outcome, notification.sent_at, notification.claimed_until = Outcome.WEB, now, None
    pass_up(uow, notification, now, Unreachable.NO_TELEGRAM)
    return True


def pass_up(uow: UnitOfWork, notification: Notification, now: datetime, why: Unreachable) -> bool:
    """Queue a copy of a ticket's message for each person next up, naming whom it stands in for and
    why they cannot be told in Telegram; True if anyone gets one."""
    ticket = uow.tickets.get(notification.ticket_id) if notification.ticket_id else None
    if ticket is None:
        return False
    stand_ins = next_up(uow, notification, ticket)
    for stand_in in stand_ins:
        queue(
            uow,
            now,
            cast(NoticeKind, notification.kind),  # stored by queue: one of them
            stand_in,
            ticket=ticket,
            tag=f"up{notification.id}",
            params={**notification.params, "instead_of": notification.person_id, "instead_why": why.value},
        )
    return bool(stand_ins)


def refresh_cards(uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
    """Ask the outbox to edit every card of this ticket in place, once per change."""
    holders = sorted({c.person_id for c in uow.cards.of_ticket(ticket.id or 0)})
    for person_id in holders:
        queue(uow, now, NoticeKind.CARD_REFRESH, person_id, ticket=ticket, tag=f"v{ticket.version}")


def queue_groups(
    uow: UnitOfWork,
    now: datetime,
    kind: NoticeKind,
    ticket: Ticket,
    *,
    estate_id: int | None = None,
    office_id: int | None = None,
    rung: int = 0,
    tag: str | int | None = None,
    params: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> None:
    """Also post a card to the groups bound to the estate's company staff or to an office."""
    bindings = uow.groups.for_estate(estate_id) if estate_id else uow.groups.for_office(office_id or 0)
    for binding in bindings:
        uow.notifications.add(
            Notification(
                key=notification_key(kind, binding.person_id, ticket, rung, f"g{binding.chat_id}:{tag}"),
                person_id=binding.person_id,
                kind=kind,
                params=dict(params or {}),
                created_at=now,
                ticket_id=ticket.id,
                chat_id=binding.chat_id,
                not_before=not_before,
            )
        )
