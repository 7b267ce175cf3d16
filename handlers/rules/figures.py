"""The supervision figures (the 12345 三率 and the counts beside them), defined over the facts of each
ticket of a scope. README "Supervision figures" says in words what each one counts.

Every figure of a period counts tickets, each at most once, by a moment of its history that falls in
the period; a rate's case is decided once (met, or missed the moment its limit passed), so a period's
rates do not change after the period ends. Only "overdue now" is a count of the present moment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from handlers.rules.lifecycle import OPEN_STATUSES, Event, Status
from handlers.rules.policy import Rung
from handlers.rules.ranking import DEFAULT_MIN_SAMPLE, Rate

SATISFIED_FROM = 4  # stars: 4 and 5 are satisfied (满意), 1 to 3 are not
# The first of these ends the wait for the first acknowledgement: after a rejection, a transfer to a
# department or a withdrawal it is no longer owed.
ACKNOWLEDGEMENT_ENDS = frozenset({Event.ACKNOWLEDGE, Event.REJECT, Event.TRANSFER_DEPARTMENT, Event.WITHDRAW})
# Open, and the deadline clock running (waiting for the owner pauses it): what /overdue lists.
OVERDUE_STATUSES = OPEN_STATUSES - {Status.WAITING_OWNER}


@dataclass(frozen=True)
class Step:
    """One entry of a ticket's history, as the figures read it."""

    event: Event
    at: datetime
    due_at: datetime | None = None  # RESOLVE: the deadline in force then (pauses, extensions counted)
    stars: int | None = None  # RATE
    rung: str | None = None  # ESCALATE: the rung reached (a Rung value)


@dataclass(frozen=True)
class TicketFacts:
    """What the figures need of one ticket: when it was reported and the acknowledgement limit set then,
    its history oldest first, and where it stands now."""

    created_at: datetime
    ack_due_at: datetime | None  # the acknowledgement limit set when it was reported
    history: tuple[Step, ...]
    status: Status
    due_at: datetime | None  # the deadline in force now
    paused_at: datetime | None = None  # waiting for the owner since (the clock stopped then)


@dataclass(frozen=True)
class Case:
    """One ticket's case in a rate: decided `at` (when it was met, or when its limit passed unmet)."""

    at: datetime
    met: bool


@dataclass(frozen=True)
class Figures:
    received: int
    responded_in_time: Rate
    resolved_on_time: Rate
    closed_confirmed: int  # closed as fixed by the owner (销号)
    closed_unconfirmed: int  # closed after the quiet period without an answer: never counted as fixed
    withdrawn: int
    satisfaction: Rate  # rated 4–5 of those rated (`cases` is how many were rated)
    overdue_now: int
    reopened: int
    supervised: int  # reached listed supervision (挂牌督办, the bureau's rung)
    transferred: int  # transferred to a government department (吹哨报到)


def _first(facts: TicketFacts, events: frozenset[Event]) -> Step | None:
    return next((s for s in facts.history if s.event in events), None)


def response_case(facts: TicketFacts, now: datetime) -> Case | None:
    """The response to the report: its first acknowledgement, against the limit set when it was
    reported. Met when acknowledged by the limit; missed, at the limit, when the limit passed first
    (while the acknowledgement was still owed). None: not decided yet, or no longer owed (rejected,
    transferred or withdrawn before the limit)."""
    limit = facts.ack_due_at
    if limit is None:
        return None
    first = _first(facts, ACKNOWLEDGEMENT_ENDS)
    if first is not None and first.event is Event.ACKNOWLEDGE:
        return Case(first.at, True) if first.at <= limit else Case(limit, False)
    waited_until = first.at if first is not None else now
    return Case(limit, False) if waited_until > limit else None


def resolution_case(facts: TicketFacts, now: datetime) -> Case | None:
    """The first resolution, against the deadline in force at that moment (a pause for the owner and a
    granted extension move it; a transfer gives the department's own). Met when resolved by it; missed,
    at the deadline, when the deadline passed first while the clock ran. None: not decided yet, or
    withdrawn or paused before the deadline."""
    done = _first(facts, frozenset({Event.RESOLVE}))
    if done is not None:
        if done.due_at is None:
            return None
        return Case(done.at, True) if done.at <= done.due_at else Case(done.due_at, False)
    due = facts.due_at
    if due is None:
        return None
    withdrawn = _first(facts, frozenset({Event.WITHDRAW}))
    stops = [now, facts.paused_at, withdrawn.at if withdrawn is not None else None]
    clock_stopped = min(s for s in stops if s is not None)
    return Case(due, False) if clock_stopped > due else None


def is_overdue(facts: TicketFacts, now: datetime) -> bool:
    """Open, its clock running, and past its deadline (as /overdue lists it)."""
    return facts.status in OVERDUE_STATUSES and facts.due_at is not None and facts.due_at < now


def figures(
    tickets: Iterable[TicketFacts],
    start: datetime,
    end: datetime,
    now: datetime,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Figures:
    """The figures of the tickets of one scope over [start, end) (UTC moments; see periods.Period.span)."""

    def within(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    def has(f: TicketFacts, event: Event, rung: str | None = None) -> bool:
        return any(s.event is event and within(s.at) and (rung is None or s.rung == rung) for s in f.history)

    received = responded = responses = resolved = resolutions = 0
    confirmed = unconfirmed = withdrawn = satisfied = rated = overdue = 0
    reopened = supervised = transferred = 0
    for f in tickets:
        received += within(f.created_at)
        response = response_case(f, now)
        if response is not None and within(response.at):
            responses += 1
            responded += response.met
        resolution = resolution_case(f, now)
        if resolution is not None and within(resolution.at):
            resolutions += 1
            resolved += resolution.met
        confirmed += has(f, Event.CONFIRM)
        unconfirmed += has(f, Event.CLOSE_UNCONFIRMED)
        withdrawn += has(f, Event.WITHDRAW)
        rating = next((s for s in f.history if s.event is Event.RATE and s.stars is not None), None)
        if rating is not None and rating.stars is not None and within(rating.at):
            rated += 1
            satisfied += rating.stars >= SATISFIED_FROM
        overdue += is_overdue(f, now)
        reopened += has(f, Event.REOPEN)
        supervised += has(f, Event.ESCALATE, Rung.BUREAU.value)
        transferred += has(f, Event.TRANSFER_DEPARTMENT)
    return Figures(
        received=received,
        responded_in_time=Rate(responded, responses, min_sample),
        resolved_on_time=Rate(resolved, resolutions, min_sample),
        closed_confirmed=confirmed,
        closed_unconfirmed=unconfirmed,
        withdrawn=withdrawn,
        satisfaction=Rate(satisfied, rated, min_sample),
        overdue_now=overdue,
        reopened=reopened,
        supervised=supervised,
        transferred=transferred,
    )


def total(parts: Iterable[Figures], min_sample: int = DEFAULT_MIN_SAMPLE) -> Figures:
    """A scope's figures from its estates' (or from any parts that share no ticket): each ticket belongs
    to one estate, so every count and a rate's hits and cases add up to what `figures` makes of all the
    scope's tickets at once."""
    counts: dict[str, Any] = dict.fromkeys(_COUNTS, 0)
    hits, cases = dict.fromkeys(_RATES, 0), dict.fromkeys(_RATES, 0)
    for part in parts:
        for name in _COUNTS:
            counts[name] += getattr(part, name)
        for name in _RATES:
            rate = getattr(part, name)
            hits[name] += rate.hits
            cases[name] += rate.cases
    counts |= {name: Rate(hits[name], cases[name], min_sample) for name in _RATES}
    return Figures(**counts)


_NONE = Figures(0, Rate(0, 0), Rate(0, 0), 0, 0, 0, Rate(0, 0), 0, 0, 0, 0)
_RATES = tuple(f.name for f in fields(Figures) if isinstance(getattr(_NONE, f.name), Rate))
_COUNTS = tuple(f.name for f in fields(Figures) if f.name not in _RATES)
