"""The ledger's rows (handlers/services/ledger.py): every ticket of the scope's estates open or closed in
the period, read a page at a time with the events a row shows and its people's names, each row already
as the scope's readers may see it (the reporter as the privacy tier allows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.domain.organisations import Estate, OfficeKind
from handlers.domain.ticket import Ticket
from handlers.ports import EventMark, LedgerTicket, UnitOfWork
from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import RUNG_ORDER, Rung

PAGE = 1000  # tickets read at a time: a month of a district is written as it is read, never held whole
NAMES_HELD = 10_000  # people's names remembered while a ledger is written (then forgotten, read again)


class Hidden(StrEnum):
    """Why a row does not name its reporter."""

    WITHHELD = "withheld"  # the owner's choice of who sees their name
    DELETED = "deleted"  # their data was deleted (PIPL)


@dataclass(frozen=True)
class LedgerEntry:
    """One ticket's row of the ledger, already as the scope's readers may see it."""

    number: str
    estate: str
    company: str
    community: str
    street: str
    category: Category
    urgency: Urgency
    description: str
    location: str | None
    reporter: str | None  # name, when the tier allows it
    reporter_unit: str | None
    reporter_hidden: Hidden | None  # why not
    reported_at: datetime
    handler: str | None  # the member of staff, or the department (吹哨报到)
    department: bool
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    extended_until: datetime | None  # the last extension granted
    extension_requested_until: datetime | None  # one waiting for the community
    status: Status
    closed_at: datetime | None
    highest_rung: Rung | None
    supervised: bool
    reopen_count: int
    rating: int | None


class _Names:
    """Names read once per ledger: estates' companies and offices; and people (handlers and reporters)
    read a page at a time, at most NAMES_HELD held."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.offices: dict[int, str] = {}
        self.streets: dict[int, str] = {}
        self.companies: dict[int, str] = {}
        self.people: dict[int, str | None] = {}

    def office(self, office_id: int | None) -> str:
        if office_id is None:
            return ""
        if office_id not in self.offices:
            office = self.uow.offices.get(office_id)
            self.offices[office_id] = office.name if office else ""
        return self.offices[office_id]

    def street(self, community_id: int) -> str:
        if community_id not in self.streets:
            community = self.uow.offices.get(community_id)
            parent = self.uow.offices.get(community.parent_id) if community and community.parent_id else None
            self.streets[community_id] = parent.name if parent and parent.kind is OfficeKind.STREET else ""
        return self.streets[community_id]

    def company(self, company_id: int) -> str:
        if company_id not in self.companies:
            company = self.uow.companies.get(company_id)
            self.companies[company_id] = company.name if company else ""
        return self.companies[company_id]

    def read(self, person_ids: Iterable[int | None]) -> None:
        """The people of a page, those not held yet in one read (None: gone, or their data deleted)."""
        missing = {i for i in person_ids if i is not None and i not in self.people}
        if not missing:
            return
        if len(self.people) + len(missing) > NAMES_HELD:
            self.people = {}
        found = self.uow.people.names(missing)
        self.people.update((i, found.get(i)) for i in missing)

    def person(self, person_id: int) -> str | None:
        if person_id not in self.people:
            self.read([person_id])
        return self.people[person_id]


# The events a row shows, each with the key of its data it reads.
_MARKS: dict[Event, str | None] = {
    Event.OPEN: "ack_due_at",
    Event.ACKNOWLEDGE: None,
    Event.EXTENSION_GRANT: "until",
    Event.ESCALATE: "rung",
}


def ledger_entries(
    uow: UnitOfWork, estates: list[Estate], start: datetime, end: datetime, government: bool, named: set[int]
) -> Iterator[LedgerEntry]:
    """The rows, a page of tickets at a time: the page, the events its rows show (not the histories),
    the names of its people in one read each; nothing of a page is kept once it is written."""
    names = _Names(uow)
    for estate in estates:
        after = 0
        while page := uow.tickets.for_ledger(estate.id or 0, start, end, after, PAGE):
            marks: dict[int, list[EventMark]] = {}
            for mark in uow.events.marks([t.id for t in page], _MARKS):
                marks.setdefault(mark.ticket_id, []).append(mark)
            shown = [t.reporter_id for t in page if reporter_shown(t, government)]
            names.read(shown + [t.assignee_id for t in page if t.department_office_id is None])
            for ticket in page:
                yield _entry(names, estate, ticket, marks.get(ticket.id, []), government, named)
            after = page[-1].id


def reporter_shown(ticket: Ticket | LedgerTicket, government: bool) -> bool:
    """The reporter's name and unit, as the privacy tier lets the ledger's readers see them: the
    government side unless the owner chose nobody; the company side only when they chose everyone."""
    if ticket.reporter_id is None or ticket.privacy is Privacy.NOBODY:
        return False
    return ticket.privacy is Privacy.EVERYONE or government


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _entry(
    names: _Names, estate: Estate, t: LedgerTicket, marks: list[EventMark], government: bool, named: set[int]
) -> LedgerEntry:
    reporter = unit = hidden = None
    if reporter_shown(t, government) and t.reporter_id is not None:
        reporter = names.person(t.reporter_id)
        if reporter is None:
            hidden = Hidden.DELETED
        else:
            unit = t.reporter_unit
            named.add(t.reporter_id)
    else:
        hidden = Hidden.DELETED if t.reporter_id is None else Hidden.WITHHELD
    handler = None
    if t.department_office_id is not None:
        handler = names.office(t.department_office_id)
    elif t.assignee_id is not None:
        handler = names.person(t.assignee_id)
        if handler is not None:
            named.add(t.assignee_id)
    opened = acknowledged = granted = None
    rungs: list[Rung] = []
    for mark in marks:  # oldest first: the opening, the first acknowledgement, the last extension granted
        if mark.event is Event.OPEN:
            opened = opened or mark
        elif mark.event is Event.ACKNOWLEDGE:
            acknowledged = acknowledged or mark
        elif mark.event is Event.EXTENSION_GRANT:
            granted = mark
        elif mark.event is Event.ESCALATE and mark.value:
            rungs.append(Rung(mark.value))
    highest = max(rungs, key=RUNG_ORDER.index, default=None)
    if t.rung and (highest is None or RUNG_ORDER.index(highest) < t.rung):
        highest = RUNG_ORDER[t.rung]
    community = estate.community_id
    return LedgerEntry(
        number=t.number,
        estate=estate.name,
        company=names.company(estate.company_id),
        community=names.office(community),
        street=names.street(community),
        category=t.category,
        urgency=t.urgency,
        description=t.description,
        location=t.location,
        reporter=reporter,
        reporter_unit=unit,
        reporter_hidden=hidden,
        reported_at=t.created_at,
        handler=handler,
        department=t.department_office_id is not None,
        ack_due_at=(_moment(opened.value) if opened else None) or t.ack_due_at,
        acknowledged_at=acknowledged.at if acknowledged else t.acknowledged_at,
        due_at=t.due_at,
        resolved_at=t.resolved_at,
        extended_until=_moment(granted.value) if granted else None,
        extension_requested_until=t.extension_requested_until,
        status=t.status,
        closed_at=t.closed_at,
        highest_rung=highest,
        supervised=t.supervised or Rung.BUREAU in rungs,
        reopen_count=t.reopen_count,
        rating=t.rating,
    )
