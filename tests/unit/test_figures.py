"""The supervision figures, each against a small hand-made history (README "Supervision figures")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.rules.figures import (
    Case,
    Figures,
    Step,
    TicketFacts,
    figures,
    resolution_case,
    response_case,
    total,
)
from handlers.rules.lifecycle import Event as E
from handlers.rules.lifecycle import Status
from handlers.rules.periods import Period
from handlers.rules.ranking import Rate

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period.month(2026, 11)
START, END = NOVEMBER.span(SH)
LATER = datetime(2027, 1, 4, 2, tzinfo=UTC)  # "now", long after November


def sh(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Shanghai wall-clock moment in 2026, stored as UTC (as the database holds it)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def ticket(
    created: datetime,
    *steps: Step,
    ack: timedelta | None = timedelta(hours=2),
    due: datetime | None = None,
    status: Status = Status.CLOSED,
    paused: datetime | None = None,
) -> TicketFacts:
    """A ticket reported at `created` with an acknowledgement limit `ack` later and a deadline `due`
    (default: a day later), with its history after the report."""
    return TicketFacts(
        created_at=created,
        ack_due_at=created + ack if ack is not None else None,
        history=(Step(E.OPEN, created), *steps),
        status=status,
        due_at=due if due is not None else created + timedelta(days=1),
        paused_at=paused,
    )


def of(*tickets: TicketFacts, now: datetime = LATER, min_sample: int = 5) -> Figures:
    return figures(tickets, START, END, now, min_sample)


# ---- received, and the period's edges in Shanghai time ---------------------------------------------------
def test_a_month_runs_from_shanghai_midnight_to_shanghai_midnight() -> None:
    start, end = NOVEMBER.span(SH)
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, tzinfo=UTC)


def test_received_counts_reports_by_their_shanghai_date_not_their_utc_date() -> None:
    late_october = ticket(sh(10, 31, 23, 59))  # 15:59 UTC on the 31st: October where the estate is
    first_minute = ticket(sh(11, 1, 0, 0))  # 16:00 UTC on 31 October: already November in Shanghai
    last_minute = ticket(sh(11, 30, 23, 59))  # 15:59 UTC on the 30th
    december = ticket(sh(12, 1, 0, 0))  # 16:00 UTC on 30 November: December in Shanghai
    assert first_minute.created_at.astimezone(UTC).day == 31
    assert of(late_october, first_minute, last_minute, december).received == 2


# ---- responded in time --------------------------------------------------------------------------------
def test_acknowledged_by_the_limit_is_in_time_even_at_the_limit_itself() -> None:
    t = sh(11, 10)
    early = ticket(t, Step(E.ACKNOWLEDGE, t + timedelta(minutes=30)))
    on_the_dot = ticket(t, Step(E.ACKNOWLEDGE, t + timedelta(hours=2)))
    late = ticket(t, Step(E.ACKNOWLEDGE, t + timedelta(hours=2, seconds=1)))
    assert of(early, on_the_dot, late).responded_in_time == Rate(2, 3)


def test_a_late_acknowledgement_counts_in_the_period_its_limit_passed_in() -> None:
    t = sh(11, 30, 20)  # limit 22:00 on 30 November, acknowledged on 1 December
    late = ticket(t, Step(E.ACKNOWLEDGE, sh(12, 1, 9)))
    assert response_case(late, LATER) == Case(t + timedelta(hours=2), False)
    assert of(late).responded_in_time == Rate(0, 1)
    december = figures([late], *Period.month(2026, 12).span(SH), LATER)
    assert december.responded_in_time == Rate(0, 0)


def test_an_acknowledgement_still_owed_counts_as_late_once_its_limit_has_passed() -> None:
    t = sh(11, 20)
    waiting = ticket(t, status=Status.ASSIGNED)
    assert response_case(waiting, t + timedelta(hours=1)) is None  # not decided yet
    assert of(waiting, now=t + timedelta(hours=1)).responded_in_time == Rate(0, 0)
    assert of(waiting, now=t + timedelta(hours=3)).responded_in_time == Rate(0, 1)


def test_an_acknowledgement_no_longer_owed_before_its_limit_is_no_case() -> None:
    t = sh(11, 20)
    withdrawn = ticket(t, Step(E.WITHDRAW, t + timedelta(hours=1)), status=Status.WITHDRAWN)
    rejected = ticket(t, Step(E.REJECT, t + timedelta(hours=1)), status=Status.REJECTED)
    transferred = ticket(t, Step(E.TRANSFER_DEPARTMENT, t + timedelta(hours=1)), status=Status.TRANSFERRED)
    assert of(withdrawn, rejected, transferred).responded_in_time == Rate(0, 0)
    # ... but once the limit has passed unacknowledged, withdrawing or passing it on does not undo that
    late = ticket(t, Step(E.TRANSFER_DEPARTMENT, t + timedelta(hours=3)), status=Status.TRANSFERRED)
    assert of(late).responded_in_time == Rate(0, 1)


def test_only_the_first_acknowledgement_counts_not_the_one_after_a_reopening() -> None:
    t = sh(11, 2)
    reopened = ticket(
        t,
        Step(E.ACKNOWLEDGE, t + timedelta(hours=1)),
        Step(E.RESOLVE, t + timedelta(hours=5), due_at=t + timedelta(days=1)),
        Step(E.REOPEN, t + timedelta(days=2)),
        Step(E.ACKNOWLEDGE, t + timedelta(days=9)),  # far too late for anything, but not the response
        status=Status.ACKNOWLEDGED,
    )
    assert of(reopened).responded_in_time == Rate(1, 1)


# ---- resolved on time -----------------------------------------------------------------------------------
def test_resolved_by_the_deadline_in_force_is_on_time() -> None:
    t = sh(11, 3)
    on_time = ticket(t, Step(E.RESOLVE, t + timedelta(hours=20), due_at=t + timedelta(days=1)))
    late = ticket(t, Step(E.RESOLVE, t + timedelta(hours=30), due_at=t + timedelta(days=1)))
    assert of(on_time, late).resolved_on_time == Rate(1, 2)


def test_a_granted_extension_moves_the_deadline_a_resolution_is_judged_by() -> None:
    t = sh(11, 3)
    extended = t + timedelta(days=4)  # the first deadline was a day after the report
    after_first = ticket(
        t,
        Step(E.EXTENSION_REQUEST, t + timedelta(hours=12)),
        Step(E.EXTENSION_GRANT, t + timedelta(hours=14)),
        Step(E.RESOLVE, t + timedelta(days=3), due_at=extended),
        due=extended,
    )
    assert resolution_case(after_first, LATER) == Case(t + timedelta(days=3), True)
    assert of(after_first).resolved_on_time == Rate(1, 1)


def test_a_resolution_is_judged_by_the_deadline_then_not_by_the_one_a_reopening_set_later() -> None:
    t = sh(11, 3)
    first_due, fresh_due = t + timedelta(days=1), t + timedelta(days=9)
    late_then_reopened = ticket(
        t,
        Step(E.RESOLVE, t + timedelta(days=2), due_at=first_due),
        Step(E.REOPEN, t + timedelta(days=3)),
        due=fresh_due,  # the ticket's deadline now
        status=Status.ASSIGNED,
    )
    assert resolution_case(late_then_reopened, LATER) == Case(first_due, False)


def test_a_late_resolution_counts_in_the_period_its_deadline_passed_in() -> None:
    t = sh(11, 29)
    due = t + timedelta(days=1)  # 30 November
    late = ticket(t, Step(E.RESOLVE, sh(12, 3), due_at=due))
    assert of(late).resolved_on_time == Rate(0, 1)
    assert figures([late], *Period.month(2026, 12).span(SH), LATER).resolved_on_time == Rate(0, 0)


def test_an_open_ticket_past_its_deadline_is_a_missed_case_unless_its_clock_stopped_first() -> None:
    t = sh(11, 10)
    due = t + timedelta(days=1)
    running = ticket(t, Step(E.ACKNOWLEDGE, t), status=Status.IN_PROGRESS)

    def paused(at: datetime) -> TicketFacts:
        return ticket(t, Step(E.ASK_OWNER, at), status=Status.WAITING_OWNER, paused=at)

    paused_before, paused_after = paused(t + timedelta(hours=3)), paused(due + timedelta(hours=3))
    withdrawn_before = ticket(t, Step(E.WITHDRAW, t + timedelta(hours=5)), status=Status.WITHDRAWN)
    withdrawn_after = ticket(t, Step(E.WITHDRAW, due + timedelta(hours=5)), status=Status.WITHDRAWN)
    assert of(running, now=due).resolved_on_time == Rate(0, 0)  # the deadline itself is not past it
    assert of(running, now=due + timedelta(seconds=1)).resolved_on_time == Rate(0, 1)
    assert of(paused_before, withdrawn_before).resolved_on_time == Rate(0, 0)
    assert of(paused_after, withdrawn_after).resolved_on_time == Rate(0, 2)


def test_reopened_then_resolved_counts_its_first_resolution_and_the_reopening_apart() -> None:
    t = sh(11, 5)
    first_due, second_due = t + timedelta(days=1), t + timedelta(days=10)
    history = ticket(
        t,
        Step(E.ACKNOWLEDGE, t + timedelta(hours=1)),
        Step(E.RESOLVE, t + timedelta(hours=6), due_at=first_due),
        Step(E.REOPEN, t + timedelta(days=2)),
        Step(E.ACKNOWLEDGE, t + timedelta(days=2, hours=1)),
        Step(E.RESOLVE, t + timedelta(days=12), due_at=second_due),  # the fresh deadline missed
        Step(E.CONFIRM, t + timedelta(days=13)),
        due=second_due,
    )
    found = of(history)
    assert found.resolved_on_time == Rate(1, 1)  # one ticket, one case: its first resolution
    assert (found.reopened, found.closed_confirmed, found.closed_unconfirmed) == (1, 1, 0)


# ---- how tickets closed, and satisfaction -----------------------------------------------------------------
def test_a_closure_the_owner_did_not_confirm_is_never_counted_as_fixed() -> None:
    t = sh(11, 6)
    resolved = Step(E.RESOLVE, t + timedelta(hours=5), due_at=t + timedelta(days=1))
    confirmed = ticket(t, resolved, Step(E.CONFIRM, t + timedelta(days=1)))
    quiet = ticket(
        t, resolved, Step(E.CLOSE_UNCONFIRMED, t + timedelta(days=4)), status=Status.CLOSED_UNCONFIRMED
    )
    withdrawn = ticket(t, Step(E.WITHDRAW, t + timedelta(hours=1)), status=Status.WITHDRAWN)
    found = of(confirmed, quiet, withdrawn)
    assert (found.closed_confirmed, found.closed_unconfirmed, found.withdrawn) == (1, 1, 1)


def test_satisfaction_is_four_or_five_stars_of_those_rated_and_three_is_not_satisfied() -> None:
    t = sh(11, 7)

    def rated(stars: int | None, closing: E = E.CONFIRM) -> TicketFacts:
        steps = [Step(closing, t + timedelta(days=1))]
        if stars is not None:
            steps.append(Step(E.RATE, t + timedelta(days=1, minutes=5), stars=stars))
        return ticket(t, *steps)

    found = of(rated(5), rated(4), rated(3), rated(1, E.CLOSE_UNCONFIRMED), rated(None))
    assert found.satisfaction == Rate(2, 4)  # 4 rated (one closed unconfirmed), 2 of them satisfied


def test_a_rating_counts_in_the_period_it_was_given() -> None:
    t = sh(11, 30, 20)
    rated_in_december = ticket(
        t, Step(E.CONFIRM, t + timedelta(hours=1)), Step(E.RATE, sh(12, 1, 8), stars=5)
    )
    assert of(rated_in_december).satisfaction == Rate(0, 0)
    assert figures([rated_in_december], *Period.month(2026, 12).span(SH), LATER).satisfaction == Rate(1, 1)


# ---- the counts beside the rates --------------------------------------------------------------------------
def test_overdue_now_is_open_with_the_clock_running_past_the_deadline_whatever_the_period() -> None:
    t = sh(9, 1)  # reported long before November: overdue now all the same
    now = t + timedelta(days=3)
    overdue = ticket(t, status=Status.IN_PROGRESS)
    waiting = ticket(t, status=Status.WAITING_OWNER, paused=t + timedelta(hours=3))
    resolved = ticket(t, status=Status.RESOLVED)
    not_yet = ticket(t, status=Status.ASSIGNED, due=now + timedelta(hours=1))
    closed = ticket(t, status=Status.CLOSED)
    assert of(overdue, waiting, resolved, not_yet, closed, now=now).overdue_now == 1


def test_listed_supervision_is_the_bureaus_rung_and_each_ticket_counts_once() -> None:
    t = sh(11, 8)
    street = ticket(t, Step(E.ESCALATE, t + timedelta(days=3), rung="street"), status=Status.IN_PROGRESS)
    bureau = ticket(
        t,
        Step(E.ESCALATE, t + timedelta(days=3), rung="street"),
        Step(E.ESCALATE, t + timedelta(days=5), rung="bureau"),
        status=Status.IN_PROGRESS,
    )
    twice = ticket(
        t,
        Step(E.ESCALATE, t + timedelta(days=5), rung="bureau"),
        Step(E.REOPEN, t + timedelta(days=6)),
        Step(E.ESCALATE, t + timedelta(days=15), rung="bureau"),
        status=Status.IN_PROGRESS,
    )
    october = ticket(sh(10, 1), Step(E.ESCALATE, sh(10, 9), rung="bureau"), status=Status.IN_PROGRESS)
    assert of(street, bureau, twice, october).supervised == 2


def test_transferred_to_a_department_counts_tickets_in_the_period() -> None:
    t = sh(11, 9)
    once = ticket(t, Step(E.TRANSFER_DEPARTMENT, t + timedelta(hours=1)), status=Status.TRANSFERRED)
    back_and_again = ticket(
        t,
        Step(E.TRANSFER_DEPARTMENT, t + timedelta(hours=1)),
        Step(E.RETURN_TO_COMPANY, t + timedelta(hours=5)),
        Step(E.TRANSFER_DEPARTMENT, t + timedelta(days=1)),
        status=Status.TRANSFERRED,
    )
    before = ticket(sh(10, 9), Step(E.TRANSFER_DEPARTMENT, sh(10, 31, 23)), status=Status.TRANSFERRED)
    assert of(once, back_and_again, before).transferred == 2


# ---- the minimum sample -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("cases", "ranked"), [(4, False), (5, True)])
def test_a_rate_over_fewer_cases_than_the_minimum_sample_is_not_ranked(cases: int, ranked: bool) -> None:
    t = sh(11, 11)
    found = of(*(ticket(t, Step(E.ACKNOWLEDGE, t)) for _ in range(cases)))
    assert found.responded_in_time == Rate(cases, cases, 5)
    assert found.responded_in_time.ranked is ranked


def test_the_minimum_sample_given_is_carried_by_every_rate() -> None:
    found = of(ticket(sh(11, 11), Step(E.ACKNOWLEDGE, sh(11, 11))), min_sample=1)
    assert found.responded_in_time.ranked
    assert {found.responded_in_time.min_sample, found.resolved_on_time.min_sample} == {1}
    assert found.satisfaction.min_sample == 1


# ---- a scope from its estates ------------------------------------------------------------------------------
def test_a_scopes_figures_are_its_estates_figures_added_up() -> None:
    """Each ticket belongs to one estate: every count, and each rate's hits and cases, add up to what
    the figures of all the tickets at once are."""
    t = sh(11, 3)
    one = [
        ticket(
            t,
            Step(E.ACKNOWLEDGE, t + timedelta(hours=1)),
            Step(E.RESOLVE, t + timedelta(hours=5), due_at=t + timedelta(days=1)),
        ),
        ticket(t, Step(E.WITHDRAW, t + timedelta(hours=3)), status=Status.WITHDRAWN),
        ticket(t, Step(E.ESCALATE, t + timedelta(days=2), rung="bureau"), status=Status.IN_PROGRESS),
    ]
    other = [
        ticket(
            t,
            Step(E.ACKNOWLEDGE, t + timedelta(hours=3)),
            Step(E.RESOLVE, t + timedelta(days=2), due_at=t + timedelta(days=1)),
            Step(E.CLOSE_UNCONFIRMED, t + timedelta(days=5)),
            Step(E.RATE, t + timedelta(days=6), stars=4),
            Step(E.REOPEN, t + timedelta(days=7)),
            Step(E.TRANSFER_DEPARTMENT, t + timedelta(days=8)),
            status=Status.TRANSFERRED,
        ),
        ticket(
            t,
            Step(E.ACKNOWLEDGE, t),
            Step(E.RESOLVE, t, due_at=t + timedelta(days=1)),
            Step(E.CONFIRM, t),
            Step(E.RATE, t, stars=2),
        ),
    ]
    whole = of(*one, *other, min_sample=2)
    assert total([of(*one, min_sample=2), of(*other, min_sample=2), of(min_sample=2)], 2) == whole
    # responded: the first and the last in time; the withdrawn one, the one never acknowledged and the
    # late one missed. Resolved: the first and the last; the one never resolved and the late one missed.
    assert whole == Figures(5, Rate(2, 5, 2), Rate(2, 4, 2), 1, 1, 1, Rate(1, 2, 2), 2, 1, 1, 1)
    assert total([], 7) == Figures(0, Rate(0, 0, 7), Rate(0, 0, 7), 0, 0, 0, Rate(0, 0, 7), 0, 0, 0, 0)
