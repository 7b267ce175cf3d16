"""Outside office hours: who may be pinged about a ticket, and when the others hear of it."""

from __future__ import annotations

from datetime import datetime

from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.rules.policy import Policy
from handlers.rules.worktime import WorkCalendar


def pings_now(calendar: WorkCalendar, ticket: Ticket, now: datetime) -> bool:
    """Whether a notice about the ticket may ping staff now: the office is open, or the ticket's
    policy pings after hours (emergencies, unless the setup file says otherwise)."""
    return calendar.is_open(now) or Policy.from_dict(ticket.policy).pings_after_hours()


def held_until(calendar: WorkCalendar, ticket: Ticket, now: datetime) -> datetime | None:
    """When a notice to staff about the ticket may go out: None at once, else when the office opens."""
    return None if pings_now(calendar, ticket, now) else calendar.next_working_start(now)


def on_night_duty(calendar: WorkCalendar, ticket: Ticket, now: datetime) -> bool:
    """The office is closed and the ticket pings anyway: the estate's on-call people are told too."""
    return not calendar.is_open(now) and pings_now(calendar, ticket, now)


def on_call_people(uow: UnitOfWork, estate_id: int) -> list[int]:
    """The estate's on-call people (the setup file's `on_call`) who still work there and have joined."""
    estate = uow.estates.get(estate_id)
    if estate is None or not estate.on_call:
        return []
    working = {
        r.person_id
        for kind in (RoleKind.STAFF, RoleKind.MANAGER)
        for r in uow.roles.at_estate(estate_id, kind)
        if r.company_id in (None, estate.company_id)
    }
    found = []
    for key in estate.on_call:
        person = uow.people.by_key(key)
        if person is not None and person.id in working and person.id not in found:
            found.append(person.id)
    return [p for p in found if p is not None]
