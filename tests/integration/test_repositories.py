"""The repositories and the unit of work against a real database, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from handlers.domain.notifications import Notification
from handlers.domain.organisations import Company, Estate, Office, OfficeKind
from handlers.domain.people import Invite, Person, Role, RoleKind
from handlers.domain.ticket import Attachment, AttachmentKind, Ticket, TicketEvent
from handlers.domain.workdays import CalendarOverride
from handlers.ports import ChatState, StaleTicket
from handlers.rules.categories import Category, Duty, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from storage import repositories
from storage.tables import CalendarOverrideRow, ConversationRow
from storage.uow import SqlUnitOfWork

Uow = Callable[[], SqlUnitOfWork]

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2025, 3, 3, 9, 30, 15, 123456, tzinfo=BEIJING)  # 01:30:15.123456 UTC
POLICY = {"key": "default", "ack_hours": 4, "ladder": [{"rung": 1, "to": "manager"}], "名称": "默认"}


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value == expected  # the same instant
    assert value.utcoffset() == timedelta(0)
    assert value.tzinfo is UTC


def seed(uow: Uow) -> dict[str, int]:
    """A bureau, a community under it, a company, an estate and two people; returns their ids."""
    with uow() as u:
        bureau = u.offices.add(Office(key="bureau", name="区住建局", kind=OfficeKind.BUREAU))
        community = u.offices.add(
            Office(key="c1", name="海滨社区", kind=OfficeKind.COMMUNITY, parent_id=bureau.id)
        )
        company = u.companies.add(Company(key="acme", name="安家物业", phone="0755-1234"))
        estate = u.estates.add(
            Estate(
                key="haibin",
                name="海滨花园",
                prefix="HB",
                community_id=community.id or 0,
                company_id=company.id or 0,
                invite_code="HB-2025",
            )
        )
        owner = u.people.add(Person(display_name="张女士", telegram_id=200001, created_at=T0))
        staff = u.people.add(Person(display_name="李师傅", telegram_id=100002, created_at=T0))
        u.commit()
    ids = {"bureau": bureau.id, "community": community.id, "company": company.id, "estate": estate.id}
    ids |= {"owner": owner.id, "staff": staff.id}
    return {k: v for k, v in ids.items() if v is not None}


def a_ticket(ids: dict[str, int], number: str = "HB-2025-0001", **changes: object) -> Ticket:
    ticket = Ticket(
        number=number,
        estate_id=ids["estate"],
        category=Category.LIFT,
        urgency=Urgency.URGENT,
        description="3栋电梯停运",
        status=Status.NEW,
        policy=POLICY,
        created_at=T0,
        reporter_id=ids["owner"],
        reporter_unit="3栋2单元501",
        privacy=Privacy.NOBODY,
    )
    return replace(ticket, **changes)  # type: ignore[arg-type]


def add_ticket(uow: Uow, ticket: Ticket) -> Ticket:
    with uow() as u:
        u.tickets.add(ticket)
        u.commit()
    return ticket


def a_notification(ids: dict[str, int], key: str, **changes: object) -> Notification:
    notification = Notification(
        key=key,
        person_id=ids["owner"],
        kind="ticket.assigned",
        params={"number": "HB-2025-0001", "who": "李师傅", "n": 3},
        created_at=T0,
    )
    return replace(notification, **changes)  # type: ignore[arg-type]


MAPPED = [
    (repo.domain, repo.row)
    for repo in vars(repositories).values()
    if isinstance(repo, type) and hasattr(repo, "row") and hasattr(repo, "domain")
] + [(CalendarOverride, CalendarOverrideRow), (ChatState, ConversationRow)]
# Fields a repository keeps in a table of their own (a ledger's files, in pieces: test_ledger_pieces.py)
KEPT_APART = {
    repo.domain: set(repo.kept_apart)
    for repo in vars(repositories).values()
    if isinstance(repo, type) and hasattr(repo, "domain") and hasattr(repo, "kept_apart")
}


@pytest.mark.parametrize(("record", "row"), MAPPED, ids=lambda x: x.__name__)
def test_every_field_of_a_domain_record_has_a_column_to_live_in(record: type, row: type) -> None:
    # A field without a column would be dropped silently on add and fail only when read back.
    columns = set(row.__table__.columns.keys())  # type: ignore[attr-defined]
    assert {f.name for f in dataclasses.fields(record)} - columns - KEPT_APART.get(record, set()) == set()


def test_offices_companies_and_estates_come_back_as_they_were_stored(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u:
        community = u.offices.by_key("c1")
        assert community == Office(
            key="c1", name="海滨社区", kind=OfficeKind.COMMUNITY, parent_id=ids["bureau"], id=ids["community"]
        )
        assert type(community.kind) is OfficeKind
        assert [o.key for o in u.offices.children(ids["bureau"])] == ["c1"]
        assert [o.key for o in u.offices.all()] == ["bureau", "c1"]
        assert u.offices.by_key("nowhere") is None
        assert u.companies.get(ids["company"]) == Company(
            key="acme", name="安家物业", phone="0755-1234", id=ids["company"]
        )
        estate = u.estates.by_invite_code("HB-2025")
        assert estate is not None and estate.key == "haibin" and estate.id == ids["estate"]
        assert [e.key for e in u.estates.in_communities([ids["community"]])] == ["haibin"]
        assert u.estates.in_communities([ids["bureau"]]) == []

        estate.address = "海滨路1号"
        u.estates.save(estate)
        u.commit()
    with uow() as u:
        assert u.estates.by_key("haibin").address == "海滨路1号"  # type: ignore[union-attr]


def test_people_and_their_roles_come_back_with_enums_and_utc_times(uow: Uow) -> None:
    ids = seed(uow)
    big_id = 7_123_456_789  # Telegram ids no longer fit in 32 bits
    with uow() as u:
        person = u.people.add(
            Person(display_name="王经理", telegram_id=big_id, language="zh_Hant", created_at=T0)
        )
        manager = u.roles.add(
            Role(person_id=person.id or 0, kind=RoleKind.MANAGER, company_id=ids["company"], created_at=T0)
        )
        repair = u.roles.add(
            Role(
                person_id=ids["staff"],
                kind=RoleKind.STAFF,
                estate_id=ids["estate"],
                company_id=ids["company"],
                duty=Duty.REPAIR,
            )
        )
        u.roles.add(Role(person_id=ids["owner"], kind=RoleKind.OWNER, estate_id=ids["estate"], unit="3栋501"))
        official = u.roles.add(
            Role(person_id=person.id or 0, kind=RoleKind.OFFICIAL, office_id=ids["bureau"])
        )
        u.commit()

    with uow() as u:
        found = u.people.by_telegram_id(big_id)
        assert found is not None and found.display_name == "王经理" and found.language == "zh_Hant"
        assert_utc(found.created_at, T0)
        assert found.deleted_at is None and found.unreachable is False

        roles = u.roles.of_person(found.id or 0)
        assert [(r.kind, r.id) for r in roles] == [
            (RoleKind.MANAGER, manager.id),
            (RoleKind.OFFICIAL, official.id),
        ]
        assert type(roles[0].kind) is RoleKind
        assert_utc(roles[0].created_at, T0)

        staff = u.roles.at_estate(ids["estate"], RoleKind.STAFF, Duty.REPAIR)
        assert [r.id for r in staff] == [repair.id] and staff[0].duty is Duty.REPAIR
        assert u.roles.at_estate(ids["estate"], RoleKind.STAFF, Duty.CLEANING) == []
        assert [r.unit for r in u.roles.at_estate(ids["estate"], RoleKind.OWNER)] == ["3栋501"]
        assert [r.id for r in u.roles.at_company(ids["company"], RoleKind.MANAGER)] == [manager.id]
        assert [r.id for r in u.roles.at_office(ids["bureau"])] == [official.id]

        found.deleted_at, found.unreachable = at(1), True
        u.people.save(found)
        official.active = False
        u.roles.save(official)
        u.commit()

    with uow() as u:
        gone = u.people.get(found.id or 0)
        assert gone is not None and gone.unreachable is True
        assert_utc(gone.deleted_at, at(1))
        assert [r.kind for r in u.roles.of_person(found.id or 0)] == [RoleKind.MANAGER]
        assert len(u.roles.of_person(found.id or 0, active_only=False)) == 2
        assert u.roles.at_office(ids["bureau"]) == []


def test_invites_round_trip_and_the_unused_ones_are_found_by_person_key(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u:
        invite = u.invites.add(
            Invite(
                code="INV-1",
                role=RoleKind.STAFF,
                estate_id=ids["estate"],
                duty=Duty.SECURITY,
                person_key="zhao",
                display_name="赵保安",
                created_at=T0,
                expires_at=at(72),
            )
        )
        u.invites.add(Invite(code="INV-2", role=RoleKind.OWNER, estate_id=ids["estate"], person_key="zhao"))
        u.commit()

    with uow() as u:
        stored = u.invites.by_code("INV-1")
        assert stored is not None and stored.role is RoleKind.STAFF and stored.duty is Duty.SECURITY
        assert_utc(stored.expires_at, at(72))
        assert [i.code for i in u.invites.pending_for("zhao")] == ["INV-1", "INV-2"]
        stored.used_at, stored.used_by = at(2), ids["staff"]
        u.invites.save(stored)
        u.commit()

    with uow() as u:
        assert [i.code for i in u.invites.pending_for("zhao")] == ["INV-2"]
        used = u.invites.get(invite.id or 0)
        assert used is not None and used.used_by == ids["staff"]
        assert_utc(used.used_at, at(2))


def test_a_ticket_comes_back_with_its_enums_policy_and_every_time_in_utc(uow: Uow) -> None:
    ids = seed(uow)
    ticket = a_ticket(
        ids,
        assignee_id=ids["staff"],
        location="3栋电梯厅",
        ack_due_at=at(4),
        due_at=at(24),
        paused_at=at(5),
        acknowledged_at=at(1),
        resolved_at=at(6),
        closed_at=at(7),
        next_action_at=at(4),
        updated_at=at(7),
        deadline_provisional=True,
        supervised=True,
        rating=4,
        rating_comment="很快",
        cycle_started_at=at(0.5),
        reminders_sent=0b101,
        overdue_reminded_at=at(25),
        extension_requested_until=at(96),
    )
    add_ticket(uow, ticket)
    assert ticket.id is not None

    with uow() as u:
        stored = u.tickets.by_number("HB-2025-0001")
    assert stored == ticket  # every field, datetimes compared as instants
    assert stored is not None
    assert type(stored.category) is Category and stored.category is Category.LIFT
    assert (
        stored.urgency is Urgency.URGENT and stored.status is Status.NEW and stored.privacy is Privacy.NOBODY
    )
    assert stored.policy == POLICY
    times = [f.name for f in dataclasses.fields(Ticket) if "datetime" in str(f.type)]
    assert all(getattr(ticket, name) is not None for name in times), "give every time a value above"
    for name in times:
        assert_utc(getattr(stored, name), getattr(ticket, name))


def test_a_time_written_at_plus_eight_hours_is_read_back_as_the_same_instant_in_utc(
    uow: Uow, engine: Engine
) -> None:
    ids = seed(uow)
    add_ticket(uow, a_ticket(ids, created_at=datetime(2025, 1, 1, 7, 0, tzinfo=BEIJING)))
    with uow() as u:
        stored = u.tickets.by_number("HB-2025-0001")
    assert stored is not None
    assert stored.created_at.tzinfo is UTC
    assert stored.created_at.replace(tzinfo=None) == datetime(2024, 12, 31, 23, 0)
    with engine.connect() as connection:  # and the column itself holds UTC, not Beijing wall time
        raw = connection.execute(text("SELECT created_at FROM ticket")).scalar_one()
    if engine.dialect.name == "sqlite":
        assert raw == "2024-12-31 23:00:00.000000"
    else:
        assert raw == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)


def test_a_naive_datetime_is_refused_rather_than_guessed(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u, pytest.raises(StatementError, match="naive datetime"):
        u.tickets.add(a_ticket(ids, created_at=datetime(2025, 1, 1, 9, 0)))


def test_saving_a_ticket_writes_every_change_and_bumps_its_version(uow: Uow) -> None:
    ids = seed(uow)
    add_ticket(uow, a_ticket(ids))
    with uow() as u:
        ticket = u.tickets.by_number("HB-2025-0001")
        assert ticket is not None and ticket.version == 1
        ticket.status, ticket.assignee_id, ticket.rung = Status.ASSIGNED, ids["staff"], 2
        ticket.policy = {**POLICY, "ack_hours": 2}
        ticket.next_action_at = at(3)
        u.tickets.save(ticket)
        assert ticket.version == 2
        assert u.tickets.get(ticket.id or 0) == ticket  # the session does not serve the old row
        u.commit()

    with uow() as u:
        stored = u.tickets.get(ticket.id or 0)
    assert stored == ticket
    assert stored is not None and stored.status is Status.ASSIGNED and stored.policy["ack_hours"] == 2


def test_the_second_of_two_units_of_work_saving_the_same_ticket_loses_with_stale_ticket(uow: Uow) -> None:
    ids = seed(uow)
    add_ticket(uow, a_ticket(ids))
    first, second = uow(), uow()
    with first, second:
        mine = first.tickets.by_number("HB-2025-0001")
        theirs = second.tickets.by_number("HB-2025-0001")
        assert mine is not None and theirs is not None
        mine.status = Status.ASSIGNED
        first.tickets.save(mine)
        first.commit()

        theirs.status = Status.WITHDRAWN
        with pytest.raises(StaleTicket):
            second.tickets.save(theirs)

    with uow() as u:
        stored = u.tickets.by_number("HB-2025-0001")
    assert stored is not None and stored.status is Status.ASSIGNED and stored.version == 2


def test_ticket_numbers_count_one_two_three_per_estate_and_year_and_restart_each_year(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u:
        other = u.estates.add(
            Estate(
                key="other",
                name="翠苑",
                prefix="CY",
                community_id=ids["community"],
                company_id=ids["company"],
                invite_code="CY",
            )
        )
        u.commit()
    with uow() as u:
        assert [u.tickets.next_sequence(ids["estate"], 2025) for _ in range(3)] == [1, 2, 3]
        assert u.tickets.next_sequence(other.id or 0, 2025) == 1
        u.commit()
    with uow() as u:
        assert u.tickets.next_sequence(ids["estate"], 2025) == 4
        assert u.tickets.next_sequence(ids["estate"], 2026) == 1
        assert u.tickets.next_sequence(ids["estate"], 2026) == 2
        # not committed: the numbers are handed out again
    with uow() as u:
        assert u.tickets.next_sequence(ids["estate"], 2025) == 4
        assert u.tickets.next_sequence(ids["estate"], 2026) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_reporters_at_once_never_get_the_same_ticket_number(uow: Uow) -> None:
    ids = seed(uow)
    got: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def report(mine: list[int]) -> None:
        try:
            start.wait()
            for _ in range(20):
                with uow() as u:
                    mine.append(u.tickets.next_sequence(ids["estate"], 2025))
                    u.commit()
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(mine,)) for mine in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(got[0] + got[1]) == list(range(1, 41))
    assert got[0] == sorted(got[0]) and got[1] == sorted(got[1])


def test_ticket_lists_by_reporter_assignee_and_estate(uow: Uow) -> None:
    ids = seed(uow)
    add_ticket(uow, a_ticket(ids, "HB-1", assignee_id=ids["staff"], status=Status.ASSIGNED, due_at=at(48)))
    add_ticket(uow, a_ticket(ids, "HB-2", assignee_id=ids["staff"], status=Status.ASSIGNED, due_at=at(24)))
    add_ticket(uow, a_ticket(ids, "HB-3", assignee_id=ids["staff"], status=Status.CLOSED))
    add_ticket(uow, a_ticket(ids, "HB-4", reporter_id=ids["staff"], assignee_id=ids["staff"]))
    open_ = frozenset({Status.NEW, Status.ASSIGNED})
    with uow() as u:
        assert [t.number for t in u.tickets.of_reporter(ids["owner"])] == ["HB-3", "HB-2", "HB-1"]
        assert [t.number for t in u.tickets.of_reporter(ids["owner"], limit=1)] == ["HB-3"]
        assert [t.number for t in u.tickets.of_assignee(ids["staff"], open_)] == ["HB-2", "HB-1", "HB-4"]
        assert [t.number for t in u.tickets.of_assignee(ids["staff"], frozenset({Status.CLOSED}))] == ["HB-3"]
        # Earliest deadline first, and a ticket without one last, on both databases.
        assert [t.number for t in u.tickets.of_estates([ids["estate"]], open_)] == ["HB-2", "HB-1", "HB-4"]
        assert u.tickets.of_estates([], open_) == []


def test_due_tickets_come_in_the_order_of_their_next_action_up_to_the_limit(uow: Uow) -> None:
    ids = seed(uow)
    # Offsets in different zones, so the order must come from the instants, not from wall-clock text.
    add_ticket(uow, a_ticket(ids, "HB-1", next_action_at=at(3)))
    add_ticket(uow, a_ticket(ids, "HB-2", next_action_at=at(1).astimezone(UTC)))
    add_ticket(uow, a_ticket(ids, "HB-3", next_action_at=at(2).astimezone(timezone(timedelta(hours=-5)))))
    add_ticket(uow, a_ticket(ids, "HB-4", next_action_at=at(10)))
    add_ticket(uow, a_ticket(ids, "HB-5", next_action_at=None))
    with uow() as u:
        due = u.tickets.due(at(5), limit=10)
        assert [t.number for t in due] == ["HB-2", "HB-3", "HB-1"]
        assert_utc(due[0].next_action_at, at(1))
        assert [t.number for t in u.tickets.due(at(5), limit=2)] == ["HB-2", "HB-3"]
        assert [t.number for t in u.tickets.due(at(3), limit=10)] == ["HB-2", "HB-3", "HB-1"]
        assert u.tickets.due(at(0), limit=10) == []


def test_events_and_attachments_come_back_in_order_with_their_data(uow: Uow) -> None:
    ids = seed(uow)
    ticket = add_ticket(uow, a_ticket(ids))
    tid = ticket.id or 0
    with uow() as u:
        opened = u.events.add(
            TicketEvent(
                ticket_id=tid,
                at=T0,
                event=Event.OPEN,
                from_status=None,
                to_status=Status.NEW,
                actor_id=ids["owner"],
            )
        )
        assigned = u.events.add(
            TicketEvent(
                ticket_id=tid,
                at=at(1),
                event=Event.ASSIGN,
                from_status=Status.NEW,
                to_status=Status.ASSIGNED,
                note="请尽快处理",
                data={"assignee": ids["staff"], "rungs": [1, 2], "原因": "电梯", "nested": {"ok": True}},
            )
        )
        u.attachments.add(
            Attachment(
                ticket_id=tid,
                kind=AttachmentKind.PHOTO,
                file_id="AgAD-1",
                file_unique_id="u1",
                event_id=assigned.id,
                added_by=ids["staff"],
                created_at=at(1),
            )
        )
        u.attachments.add(Attachment(ticket_id=tid, kind=AttachmentKind.DOCUMENT, file_id="BQAD-2"))
        u.commit()

    with uow() as u:
        events = u.events.of_ticket(tid)
        attachments = u.attachments.of_ticket(tid)
    assert events == [opened, assigned]
    assert events[0].from_status is None and events[0].actor_id == ids["owner"] and events[0].data == {}
    assert events[1].event is Event.ASSIGN and events[1].to_status is Status.ASSIGNED
    assert events[1].data == {
        "assignee": ids["staff"],
        "rungs": [1, 2],
        "原因": "电梯",
        "nested": {"ok": True},
    }
    assert_utc(events[1].at, at(1))
    assert [(a.kind, a.file_id, a.event_id) for a in attachments] == [
        (AttachmentKind.PHOTO, "AgAD-1", assigned.id),
        (AttachmentKind.DOCUMENT, "BQAD-2", None),
    ]
    assert all(type(a.kind) is AttachmentKind for a in attachments)  # read back as the enum
    assert_utc(attachments[0].created_at, at(1))


def test_a_notification_is_queued_once_per_key(uow: Uow) -> None:
    ids = seed(uow)
    with uow() as u:
        first = a_notification(ids, "t1:assigned:0:1:owner", not_before=at(1), chat_id=-1001234567890)
        assert u.notifications.add(first) is True
        assert first.id is not None
        again = a_notification(ids, "t1:assigned:0:1:owner", kind="ticket.other")
        assert u.notifications.add(again) is False
        assert again.id is None
        u.commit()
    with uow() as u:  # and in a later unit of work, after the first was committed
        assert u.notifications.add(a_notification(ids, "t1:assigned:0:1:owner")) is False
        assert u.notifications.add(a_notification(ids, "t1:assigned:0:1:staff")) is True
        u.commit()

    with uow() as u:
        stored = u.notifications.get(first.id)
    assert stored == first
    assert stored is not None and stored.kind == "ticket.assigned" and stored.chat_id == -1001234567890
    assert stored.params == {"number": "HB-2025-0001", "who": "李师傅", "n": 3}
    assert_utc(stored.created_at, T0)
    assert_utc(stored.not_before, at(1))


def test_a_commit_that_queued_notifications_says_so_and_no_other_does(engine: Engine) -> None:
    """The runtime wakes the outbox on this signal: it must come after a commit that queued, and only then."""
    calls: list[int] = []

    def unit() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, on_queued=lambda: calls.append(1))

    ids = seed(unit)
    calls.clear()  # seeding queues nothing, but start from zero whatever it does
    with unit() as u:
        u.people.get(ids["owner"])
        u.commit()  # read only
        assert calls == []
    with unit() as u:
        assert u.notifications.add(a_notification(ids, "t1:signal:1"))
        assert calls == []  # not before the commit
    assert calls == []  # rolled back: nothing was queued
    with unit() as u:
        assert u.notifications.add(a_notification(ids, "t1:signal:2"))
        assert not u.notifications.add(a_notification(ids, "t1:signal:2"))  # already owed
        u.commit()
        assert calls == [1]
        u.commit()  # nothing new since
        assert calls == [1]
    with unit() as u:
        assert not u.notifications.add(a_notification(ids, "t1:signal:2"))  # owed before: nothing queued
        u.commit()
    assert calls == [1]


def waiting_on_us(engine: Engine, pid: int, patience: float = 10.0) -> None:
    """Until another session waits on a lock that the session `pid` holds (or `patience` s have passed:
    the test's outcome does not depend on it, only how sure it is that the two met)."""
    deadline = time.monotonic() + patience
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query, {"pid": pid}).scalar_one():
                return
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_notification_queued_by_two_units_of_work_at_once_is_queued_once_without_error(uow: Uow) -> None:
    ids = seed(uow)
    first_added = threading.Event()
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with uow() as u:
                results["first"] = u.notifications.add(a_notification(ids, "same"))
                ours = u.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                first_added.set()
                waiting_on_us(u.engine, ours)  # the second now waits on our uncommitted row
                u.commit()
        except BaseException as exc:
            first_added.set()
            errors.append(exc)

    def second() -> None:
        try:
            first_added.wait(10)
            with uow() as u:
                results["second"] = u.notifications.add(a_notification(ids, "same"))
                u.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert results == {"first": True, "second": False}
    with uow() as u:
        assert [n.key for n in u.notifications.pending(at(1), limit=10)] == ["same"]


def test_pending_notifications_leave_out_the_sent_the_failed_and_the_not_yet_due(uow: Uow) -> None:
    ids = seed(uow)
    queued: list[tuple[str, dict[str, Any]]] = [
        ("now", {}),
        ("sent", {"sent_at": at(1)}),
        ("failed", {"failed_at": at(1), "attempts": 5, "last_error": "Forbidden: bot was blocked"}),
        ("later", {"not_before": at(3)}),
        ("due", {"not_before": at(2)}),
        ("also-now", {}),
    ]
    with uow() as u:
        for key, changes in queued:
            u.notifications.add(a_notification(ids, key, **changes))
        u.commit()

    with uow() as u:
        assert [n.key for n in u.notifications.pending(at(2), limit=10)] == ["now", "due", "also-now"]
        assert [n.key for n in u.notifications.pending(at(2), limit=2)] == ["now", "due"]
        assert [n.key for n in u.notifications.pending(at(3), limit=10)] == [
            "now",
            "later",
            "due",
            "also-now",
        ]
        first = u.notifications.pending(at(2), limit=1)[0]
        first.attempts, first.sent_at = 1, at(2)
        u.notifications.save(first)
        u.commit()

    with uow() as u:
        assert [n.key for n in u.notifications.pending(at(2), limit=10)] == ["due", "also-now"]
        sent = u.notifications.get(first.id or 0)
    assert sent is not None and sent.attempts == 1
    assert_utc(sent.sent_at, at(2))


def test_the_waiting_count_and_the_oldest_waiting_leave_out_the_sent_and_the_failed(uow: Uow) -> None:
    """What `wuye status` reads: only the unfinished, whatever their lease, retries or hold-back."""
    ids = seed(uow)
    queued: list[tuple[str, dict[str, Any]]] = [
        ("sent", {"sent_at": at(1), "outcome": "sent"}),
        ("uncertain", {"sent_at": at(1), "outcome": "uncertain"}),
        ("failed", {"failed_at": at(1), "outcome": "failed"}),
        ("blocked", {"failed_at": at(1), "outcome": "blocked"}),
        ("retried", {"attempts": 3, "last_error": "Bad Gateway"}),
        ("later", {"not_before": at(3)}),
        ("leased", {"claimed_until": at(1)}),
    ]
    with uow() as u:
        assert u.notifications.waiting() == 0 and u.notifications.oldest_waiting() is None
        for key, changes in queued:
            u.notifications.add(a_notification(ids, key, **changes))
        u.commit()
    with uow() as u:
        assert u.notifications.waiting() == 3
        assert (u.notifications.oldest_waiting() or a_notification(ids, "none")).key == "retried"
        assert u.notifications.exists("sent") and not u.notifications.exists("never")


def test_policies_and_calendar_overrides_are_stored_and_replaced(uow: Uow) -> None:
    with uow() as u:
        u.policies.put("default", POLICY)
        u.policies.put("fast", {"key": "fast", "ack_hours": 1})
        u.calendar.put(CalendarOverride(day=date(2025, 1, 26), working=True, note="调休上班"))
        u.calendar.put(CalendarOverride(day=date(2025, 1, 28), working=False))
        u.commit()
    with uow() as u:
        assert u.policies.all() == [POLICY, {"key": "fast", "ack_hours": 1}]
        assert u.calendar.overrides() == {date(2025, 1, 26): True, date(2025, 1, 28): False}
        u.policies.put("fast", {"key": "fast", "ack_hours": 2, "ladder": []})
        u.calendar.put(CalendarOverride(day=date(2025, 1, 26), working=False))
        u.commit()
    with uow() as u:
        assert u.policies.all()[1] == {"key": "fast", "ack_hours": 2, "ladder": []}
        assert u.calendar.overrides()[date(2025, 1, 26)] is False


def test_a_conversation_is_stored_replaced_and_cleared(uow: Uow) -> None:
    chat, user = -1009876543210, 7_000_000_001
    with uow() as u:
        assert u.conversations.get(chat, user) is None
        u.conversations.put(ChatState(chat, user, "report", "category", {"photos": ["a"]}), T0)
        u.commit()
    with uow() as u:
        assert u.conversations.get(chat, user) == ChatState(
            chat, user, "report", "category", {"photos": ["a"]}
        )
        u.conversations.put(ChatState(chat, user, "report", "describe", {"category": "lift"}), at(1))
        u.commit()
    with uow() as u:
        assert u.conversations.get(chat, user) == ChatState(
            chat, user, "report", "describe", {"category": "lift"}
        )
        u.conversations.clear(chat, user)
        u.conversations.clear(chat, user)  # clearing twice is harmless
        u.commit()
    with uow() as u:
        assert u.conversations.get(chat, user) is None


def test_leaving_a_unit_of_work_without_commit_rolls_back(uow: Uow) -> None:
    ids = seed(uow)
    add_ticket(uow, a_ticket(ids))
    with pytest.raises(RuntimeError), uow() as u:
        ticket = u.tickets.by_number("HB-2025-0001")
        assert ticket is not None
        ticket.status = Status.WITHDRAWN
        u.tickets.save(ticket)
        u.people.add(Person(display_name="路人", telegram_id=42))
        raise RuntimeError("the use case failed half-way")
    with uow() as u:
        stored = u.tickets.by_number("HB-2025-0001")
        assert stored is not None and stored.status is Status.NEW and stored.version == 1
        assert u.people.by_telegram_id(42) is None


def test_repositories_write_but_never_commit(uow: Uow, engine: Engine) -> None:
    ids = seed(uow)
    ticket = add_ticket(uow, a_ticket(ids))
    tables = [
        "office",
        "company",
        "estate",
        "person",
        "role",
        "invite",
        "ticket",
        "ticket_sequence",
        "ticket_event",
        "attachment",
        "notification",
        "escalation_policy",
        "calendar_override",
        "conversation",
    ]

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    before = counts()
    with uow() as u:
        office = u.offices.add(Office(key="street", name="街道办", kind=OfficeKind.STREET))
        u.companies.add(Company(key="other", name="另一家"))
        u.estates.add(
            Estate(
                key="e2",
                name="二期",
                prefix="E2",
                community_id=office.id or 0,
                company_id=ids["company"],
                invite_code="E2",
            )
        )
        person = u.people.add(Person(display_name="新人", telegram_id=99))
        u.roles.add(Role(person_id=person.id or 0, kind=RoleKind.OWNER, estate_id=ids["estate"]))
        u.invites.add(Invite(code="NEW", role=RoleKind.OWNER, estate_id=ids["estate"]))
        u.tickets.add(a_ticket(ids, "HB-2025-0002"))
        ticket.status = Status.WITHDRAWN
        u.tickets.save(ticket)
        u.tickets.next_sequence(ids["estate"], 2025)
        u.events.add(
            TicketEvent(
                ticket_id=ticket.id or 0,
                at=T0,
                event=Event.WITHDRAW,
                from_status=Status.NEW,
                to_status=Status.WITHDRAWN,
            )
        )
        u.attachments.add(Attachment(ticket_id=ticket.id or 0, kind=AttachmentKind.PHOTO, file_id="x"))
        u.notifications.add(a_notification(ids, "k"))
        u.policies.put("p", {"key": "p"})
        u.calendar.put(CalendarOverride(day=date(2025, 10, 1), working=False))
        u.conversations.put(ChatState(1, 1, "report", "start"), T0)
        assert counts() == before  # another connection sees nothing while the unit of work is open
    assert counts() == before  # and nothing once it was left without commit
    with uow() as u:
        assert u.tickets.by_number("HB-2025-0001").status is Status.NEW  # type: ignore[union-attr]
