"""The officials' lists (/area, /overdue, /supervision) counted and paged by the database hold exactly
what the lists loaded into Python held before, in the same order, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from handlers.domain.organisations import Company, Estate, Office, OfficeKind
from handlers.domain.people import Person
from handlers.domain.ticket import Ticket
from handlers.ports import ListScope, TicketList
from handlers.rules.categories import Category, Urgency
from handlers.rules.lifecycle import OPEN_STATUSES, Status
from handlers.services.access import DEPARTMENT_SEES
from storage.uow import SqlUnitOfWork

Uow = Callable[[], SqlUnitOfWork]
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def build(uow: Uow) -> dict[str, int]:
    """A bureau, two streets, four communities, eight estates, a department, and 300 tickets of every
    status: deadlines all different, some listed for supervision, some transferred to the department."""
    rng = random.Random(18)
    ids: dict[str, int] = {}
    with uow() as u:
        bureau = u.offices.add(Office(key="bureau", name="区住建局", kind=OfficeKind.BUREAU))
        dept = u.offices.add(
            Office(
                key="dept", name="城管", kind=OfficeKind.DEPARTMENT, parent_id=bureau.id, department="fire"
            )
        )
        company = u.companies.add(Company(key="acme", name="安家物业"))
        owner = u.people.add(Person(display_name="张女士", telegram_id=200001, created_at=NOW))
        ids |= {"bureau": bureau.id or 0, "dept": dept.id or 0}
        estates = []
        for s in range(2):
            street = u.offices.add(
                Office(key=f"s{s}", name=f"街道{s}", kind=OfficeKind.STREET, parent_id=bureau.id)
            )
            ids[f"street{s}"] = street.id or 0
            for c in range(2):
                community = u.offices.add(
                    Office(key=f"c{s}{c}", name=f"社区{s}{c}", kind=OfficeKind.COMMUNITY, parent_id=street.id)
                )
                ids[f"community{s}{c}"] = community.id or 0
                for e in range(2):
                    estate = u.estates.add(
                        Estate(
                            key=f"e{s}{c}{e}",
                            name=f"小区{s}{c}{e}",
                            prefix=f"E{s}{c}{e}",
                            community_id=community.id or 0,
                            company_id=company.id or 0,
                            invite_code=f"CODE{s}{c}{e}",
                        )
                    )
                    estates.append(estate.id or 0)
        minutes = list(range(-300 * 97, 300 * 97, 97))
        rng.shuffle(minutes)
        for n in range(300):
            status = rng.choice(list(Status))
            # a department keeps its name on a case it resolved, also once the owner reopens it
            left = status in (Status.RESOLVED, Status.REOPENED) and rng.random() < 0.5
            transferred = status is Status.TRANSFERRED or left
            u.tickets.add(
                Ticket(
                    number=f"T-{n:05d}",
                    estate_id=rng.choice(estates),
                    category=Category.LIFT,
                    urgency=Urgency.ORDINARY,
                    description="电梯",
                    status=status,
                    policy={},
                    created_at=NOW - timedelta(days=30),
                    reporter_id=owner.id,
                    due_at=NOW + timedelta(minutes=minutes[n]),
                    supervised=status in OPEN_STATUSES and rng.random() < 0.2,
                    department_office_id=dept.id if transferred else None,
                )
            )
        u.commit()
    return ids


def area_estates(u: SqlUnitOfWork, office_ids: set[int]) -> list[int]:
    """The estates under the offices, as /area walked them before."""
    communities: set[int] = set()
    frontier = [u.offices.get(i) for i in office_ids]
    while frontier:
        office = frontier.pop()
        if office is None or office.id is None:
            continue
        if office.kind is OfficeKind.COMMUNITY:
            communities.add(office.id)
        frontier.extend(u.offices.children(office.id))
    return [e.id for e in u.estates.in_communities(sorted(communities)) if e.id]


def old_lists(u: SqlUnitOfWork, offices: set[int], now: datetime) -> dict[TicketList, list[Ticket]]:
    """What /area, /overdue and /supervision listed before: every open ticket of the area loaded and
    filtered and sorted in Python (the code this change replaced)."""
    estates = area_estates(u, offices)
    mine = u.tickets.of_estates(estates, OPEN_STATUSES) if estates else []
    dept = [
        t
        for t in u.tickets.of_estates([e.id for e in u.estates.all() if e.id], OPEN_STATUSES)
        if t.department_office_id in offices and t.status in DEPARTMENT_SEES
    ]
    found = {t.id: t for t in mine + dept}
    return {
        TicketList.AREA: sorted(found.values(), key=lambda t: (not t.supervised, t.due_at or now)),
        TicketList.OVERDUE: [
            t for t in mine if t.due_at is not None and t.due_at < now and t.status.value != "waiting_owner"
        ],
        TicketList.SUPERVISED: [t for t in mine if t.supervised],
    }


def paged(u: SqlUnitOfWork, scope: ListScope, size: int) -> list[Ticket]:
    found: list[Ticket] = []
    while page := u.tickets.page_listed(scope, NOW, len(found), size):
        found += page
    return found


OFFICES = ["bureau", "street0", "street1", "community00", "community11", "dept"]


@pytest.mark.parametrize("office", OFFICES)
def test_each_list_counted_and_paged_in_the_database_equals_the_old_list(uow: Uow, office: str) -> None:
    ids = build(uow)
    offices = {ids[office]}
    with uow() as u:
        old = old_lists(u, offices, NOW)
        estates = tuple(area_estates(u, offices))
        for which in TicketList:
            scope = ListScope(which, estates, tuple(offices) if which is TicketList.AREA else ())
            expected = [t.number for t in old[which]]
            count = u.tickets.count_listed(scope, NOW)
            assert count.total == len(expected), which
            # /area's overdue count is /overdue's own definition (the clock running), over its tickets
            running_late = [
                t for t in old[which] if t.due_at and t.due_at < NOW and t.status is not Status.WAITING_OWNER
            ]
            assert count.overdue == len(running_late), which
            for size in (1, 7, 500):
                assert [t.number for t in paged(u, scope, size)] == expected, (which, size)
            if office == "bureau":  # the whole district: the same, asked without a list of its estates
                everywhere = ListScope(which, estates, (), everywhere=True)
                assert u.tickets.count_listed(everywhere, NOW) == count
                assert [t.number for t in paged(u, everywhere, 7)] == expected, which
            if office == "bureau" or (office == "dept" and which is TicketList.AREA):
                assert expected, f"the seeded world lists something on {which} for {office}"


def test_a_list_of_no_estates_and_no_department_holds_nothing(uow: Uow) -> None:
    build(uow)
    with uow() as u:
        for which in TicketList:
            assert u.tickets.count_listed(ListScope(which, ()), NOW).total == 0
            assert u.tickets.page_listed(ListScope(which, ()), NOW, 0, 20) == []
