"""The sweep: find tickets whose next action has come, carry it out, and note when to look again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from handlers.domain.notifications import NoticeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import StaleTicket, UnitOfWork
from handlers.rules.ladder import REMINDER_BITS, Action, Due, LadderState, Step, due_steps, plan
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import RUNG_ORDER, Policy, Rung
from handlers.rules.worktime import WorkCalendar
from handlers.services.access import supervising_offices
from handlers.services.after_hours import on_call_people
from handlers.services.context import Context
from handlers.services.groups import binding_stands
from handlers.services.notify import queue, queue_groups, refresh_cards, why_unreachable
from handlers.services.tickets.records import log_event

log = logging.getLogger("wuye.ladder")

# The plan puts a step that must not ping after hours inside office hours, at closing time at the
# latest; a sweep that finds it just after closing (it runs every few seconds) still sends it. Later
# than this, the bot was down: it waits for the office to open.
LATE_SWEEP_GRACE = timedelta(minutes=10)


def ladder_state(ticket: Ticket) -> LadderState:
    return LadderState(
        status=ticket.status,
        cycle_started_at=ticket.cycle_started_at or ticket.created_at,
        ack_due_at=ticket.ack_due_at,
        due_at=ticket.due_at,
        acknowledged=ticket.acknowledged_at is not None,
        rung=ticket.rung,
        reminders_sent=ticket.reminders_sent,
        overdue_reminded_at=ticket.overdue_reminded_at,
        resolved_at=ticket.resolved_at,
    )


def reschedule(ticket: Ticket, calendar: WorkCalendar) -> None:
    """Set the moment the sweep must next look at the ticket, from its plan."""
    steps = plan(ladder_state(ticket), Policy.from_dict(ticket.policy), calendar)
    ticket.schedule(min((s.at for s in steps), default=None))


def rung_recipients(uow: UnitOfWork, ticket: Ticket, rung: Rung) -> list[int]:
    """Who is pinged at a rung: the assignee, the estate's managers, or the office's officials."""
    if rung is Rung.ASSIGNEE:
        still = ticket.assignee_id is not None and any(
            r.estate_id == ticket.estate_id and r.kind in (RoleKind.STAFF, RoleKind.MANAGER)
            for r in uow.roles.of_person(ticket.assignee_id)
        )  # someone who left no longer hears about it: the managers do
        return [ticket.assignee_id or 0] if still else rung_recipients(uow, ticket, Rung.MANAGER)
    if rung is Rung.MANAGER:
        return [r.person_id for r in uow.roles.at_estate(ticket.estate_id, RoleKind.MANAGER)]
    estate = uow.estates.get(ticket.estate_id)
    if estate is None:
        return []
    chain = supervising_offices(uow, estate)  # community, street, bureau
    index = {Rung.COMMUNITY: 0, Rung.STREET: 1, Rung.BUREAU: 2}[rung]
    if index >= len(chain):
        return []
    return [r.person_id for r in uow.roles.at_office(chain[index].id or 0)]


def rung_office(uow: UnitOfWork, ticket: Ticket, rung: Rung) -> int | None:
    """The office at a government rung: the estate's community, street or bureau."""
    estate = uow.estates.get(ticket.estate_id)
    if estate is None or rung not in (Rung.COMMUNITY, Rung.STREET, Rung.BUREAU):
        return None
    chain = supervising_offices(uow, estate)
    index = {Rung.COMMUNITY: 0, Rung.STREET: 1, Rung.BUREAU: 2}[rung]
    return chain[index].id if index < len(chain) else None


@dataclass
class SweepReport:
    looked_at: int = 0
    steps: list[tuple[str, str]] = field(default_factory=list)  # (ticket number, action[/rung])
    failed: int = 0


def sweep(ctx: Context, limit: int = 1000) -> SweepReport:
    """One pass over the tickets that are due; each in its own transaction, failures isolated."""
    report = SweepReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        due_ids = uow.tickets.due_ids(now, limit)
    for ticket_id in due_ids:
        report.looked_at += 1
        try:
            for step in advance(ctx, ticket_id, now):
                report.steps.append((step[0], step[1]))
        except StaleTicket:
            pass  # another instance (or a person) got there first; it will be looked at again
        except Exception:
            report.failed += 1
            log.exception("ladder step failed for ticket %s", ticket_id)
    return report


def advance(ctx: Context, ticket_id: int, now: datetime) -> list[tuple[str, str]]:
    """Carry out every step of one ticket that has come due, exactly once."""
    done: list[tuple[str, str]] = []
    with ctx.uow() as uow:
        ticket = uow.tickets.claim(ticket_id, now)
        if ticket is None:
            return done
        calendar = ctx.calendar(uow)
        policy = Policy.from_dict(ticket.policy)
        due = due_steps(plan(ladder_state(ticket), policy, calendar), now)
        closed = not calendar.is_open(now)
        working_start = calendar.next_working_start(now)
        late = [s.at for s in due.send if now - s.at > LATE_SWEEP_GRACE]
        deferred = bool(late) and closed and not policy.pings_after_hours()
        if deferred:
            # Caught up while the office is closed (after downtime): what does not ping after hours
            # waits for it to open, all of it, recorded as done only when it is sent.
            due = Due([], [], due.next_at)
        elif working_start > now and any(s.action is Action.REMIND_OVERDUE for s in due.send):
            # At night or on a holiday (after downtime): the daily reminder waits for morning.
            deferred = True
            keep = [s for s in due.send if s.action is not Action.REMIND_OVERDUE]
            due = Due(keep, [s for s in due.done if s.action is not Action.REMIND_OVERDUE], due.next_at)
        night_duty = closed and policy.pings_after_hours()  # the on-call people hear of it too
        for step in due.send:
            _apply(uow, ticket, step, now, night_duty)
            done.append((ticket.number, step.action.value + (f"/{step.rung.value}" if step.rung else "")))
        for step in due.done:
            if step.action in REMINDER_BITS:
                ticket.mark_reminded(REMINDER_BITS[step.action])
        if any(s.action in (Action.REMIND_DEADLINE, Action.REMIND_OVERDUE) for s in due.send):
            ticket.mark_deadline_reminded(now)
        reschedule(ticket, calendar)
        if deferred and ticket.next_action_at is not None and ticket.next_action_at <= now:
            later = [st.at for st in plan(ladder_state(ticket), policy, calendar) if st.at > now]
            ticket.schedule(min([*later, working_start]))
        uow.tickets.save(ticket)
        if any(s.action in (Action.ESCALATE, Action.CLOSE_UNCONFIRMED) for s in due.send):
            # After the save: the card refresh is keyed by the ticket's version, and the version the
            # ticket was claimed at is the one the last change's refresh already used.
            refresh_cards(uow, ticket, now)
        uow.commit()
    return done


def _apply(uow: UnitOfWork, ticket: Ticket, step: Step, now: datetime, after_hours: bool) -> None:
    if step.action is Action.CLOSE_UNCONFIRMED:
        log_event(uow, ticket, lambda t: t.close_unconfirmed(now), None)
        queue(uow, now, NoticeKind.TICKET_CLOSED_UNCONFIRMED, ticket.reporter_id, ticket=ticket)
        return
    if step.action is Action.ESCALATE and step.rung is not None:
        _escalate(uow, ticket, step.rung, now, after_hours)
        return
    # A reminder: to whoever must act now (see _reminded).
    tag = step.action.value
    if step.action is Action.REMIND_OVERDUE:
        tag += ":" + now.date().isoformat()
    elif ticket.due_at is not None:
        # An extension starts the reminders over against the new deadline: one message per deadline.
        tag += ":" + ticket.due_at.strftime("%Y%m%dT%H%M")
    log_event(uow, ticket, lambda t: t.note(Event.REMIND, now), None, data={"action": step.action.value})
    for person_id in _reminded(uow, ticket):
        queue(
            uow,
            now,
            NoticeKind.TICKET_REMINDER,
            person_id,
            ticket=ticket,
            tag=tag,
            params={"action": step.action.value},
        )


def _escalate(uow: UnitOfWork, ticket: Ticket, rung: Rung, now: datetime, after_hours: bool) -> None:
    """Climb a rung: its people and bound groups get the card, the owner hears who has the case now,
    and when nobody at the rung's office can be reached the managers are asked to phone them instead.
    Outside office hours the estate's on-call people get the managers' card too: they are awake."""
    index = RUNG_ORDER.index(rung)
    recipients = rung_recipients(uow, ticket, rung)
    if rung is Rung.MANAGER and after_hours:
        recipients += [p for p in on_call_people(uow, ticket.estate_id) if p not in recipients]
    office = rung_office(uow, ticket, rung)
    unreached = unreached_at(uow, recipients, office) if office is not None else None
    data: dict[str, Any] = {"rung": rung.value}
    if office is not None:
        data["office_id"] = office  # the timeline names the office as it was escalated to
    if unreached is not None:
        data["unreached"] = True
    event = log_event(uow, ticket, lambda t: t.escalate(rung, now), None, data=data)
    params = {"rung": rung.value}
    for person_id in recipients:
        queue(
            uow,
            now,
            NoticeKind.TICKET_ESCALATED,
            person_id,
            ticket=ticket,
            rung=index,
            tag=event.id,
            params=params,
        )
    if rung is Rung.MANAGER:
        queue_groups(
            uow,
            now,
            NoticeKind.TICKET_ESCALATED,
            ticket,
            estate_id=ticket.estate_id,
            rung=index,
            tag=event.id,
            params=params,
        )
    elif office is not None:
        queue_groups(
            uow,
            now,
            NoticeKind.TICKET_ESCALATED,
            ticket,
            office_id=office,
            rung=index,
            tag=event.id,
            params=params,
        )
    # The owner hears it too, in plain words: who has their case now (and if they could not be told).
    told: dict[str, Any] = {"office_id": office} if office is not None else {}
    if unreached is not None:
        told["unreached"] = True
    if rung is Rung.BUREAU:
        queue(
            uow, now, NoticeKind.TICKET_SUPERVISED, ticket.reporter_id, ticket=ticket, rung=index, params=told
        )
    elif rung in (Rung.COMMUNITY, Rung.STREET) and office is not None:
        queue(uow, now, NoticeKind.TICKET_CHASED, ticket.reporter_id, ticket=ticket, rung=index, params=told)
    if unreached is not None:
        # Nobody claims the office was told; the project managers can pick up the phone.
        for manager in rung_recipients(uow, ticket, Rung.MANAGER):
            queue(
                uow,
                now,
                NoticeKind.TICKET_UNREACHED,
                manager,
                ticket=ticket,
                rung=index,
                tag=event.id,
                params={"office_id": office, "people": unreached},
            )


def unreached_at(uow: UnitOfWork, recipients: list[int], office_id: int) -> list[dict[str, Any]] | None:
    """The people of an office at a rung and why each cannot be reached, when none of them can (nor a
    group bound to the office); None when the rung's card reaches someone there."""
    if any(binding_stands(uow, b) for b in uow.groups.for_office(office_id)):
        return None
    why = [(person_id, why_unreachable(uow, person_id)) for person_id in recipients]
    if any(reason is None for _, reason in why):
        return None
    return [{"person_id": person_id, "why": reason} for person_id, reason in why]


def _reminded(uow: UnitOfWork, ticket: Ticket) -> list[int]:
    """Who must act, so who is reminded: the department a case was transferred to (it must report;
    吹哨报到), else the assignee, or the managers while nobody is assigned."""
    if ticket.status is Status.TRANSFERRED and ticket.department_office_id:
        department = [r.person_id for r in uow.roles.at_office(ticket.department_office_id)]
        if department:
            return department
    return rung_recipients(uow, ticket, Rung.ASSIGNEE)


def prune_processed_updates(ctx: Context, keep_days: int = 7) -> int:
    """Forget update ids older than Telegram would ever redeliver."""
    with ctx.uow() as uow:
        removed = uow.updates.prune(ctx.clock.now() - timedelta(days=keep_days))
        uow.commit()
    return removed
