"""Ticket states and the explicit table of which event moves a ticket from which state to which."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"  # 签收
    IN_PROGRESS = "in_progress"
    WAITING_OWNER = "waiting_owner"  # clock paused until the owner answers
    RESOLVED = "resolved"  # waiting for the owner's confirmation
    CLOSED = "closed"  # confirmed by the owner
    CLOSED_UNCONFIRMED = "closed_unconfirmed"  # quiet period passed without an answer
    REOPENED = "reopened"  # owner said "not fixed"; waits for (re)assignment
    REJECTED = "rejected"  # company says "not ours"; the community decides
    TRANSFERRED = "transferred"  # handed to a government department (吹哨报到)
    WITHDRAWN = "withdrawn"  # the owner took the report back


class Event(StrEnum):
    # events that move the status
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    ASK_OWNER = "ask_owner"
    OWNER_REPLY = "owner_reply"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    CLOSE_UNCONFIRMED = "close_unconfirmed"
    REJECT = "reject"
    TRANSFER_DEPARTMENT = "transfer_department"
    RETURN_TO_COMPANY = "return_to_company"  # the department sends the case back: not theirs either
    HANDOVER = "handover"  # its handler left (deactivated) or the estate changed company
    WITHDRAW = "withdraw"
    # events recorded without moving the status
    OPEN = "open"
    COMMENT = "comment"
    ADD_PHOTO = "add_photo"  # the owner adds a photo to an open report
    RATE = "rate"
    URGE = "urge"  # 督办
    ESCALATE = "escalate"
    REMIND = "remind"
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_GRANT = "extension_grant"
    EXTENSION_REFUSE = "extension_refuse"
    ANONYMISE = "anonymise"


OPEN_STATUSES: frozenset[Status] = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_OWNER,
        Status.REOPENED,
        Status.REJECTED,
        Status.TRANSFERRED,
    }
)
FINAL_STATUSES: frozenset[Status] = frozenset({Status.CLOSED, Status.CLOSED_UNCONFIRMED, Status.WITHDRAWN})
# The company still owes work on these: the deadline clock runs.
HANDLING_STATUSES: frozenset[Status] = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED}
)
UNACKNOWLEDGED_STATUSES: frozenset[Status] = frozenset({Status.NEW, Status.ASSIGNED, Status.REOPENED})

_WORKING = (Status.ACKNOWLEDGED, Status.IN_PROGRESS)
_BEFORE_RESOLUTION = (Status.NEW, Status.ASSIGNED, *_WORKING, Status.WAITING_OWNER, Status.REOPENED)

TRANSITIONS: dict[tuple[Status, Event], Status] = {
    # assignment and reassignment (also the community overruling a rejection)
    **{
        (s, Event.ASSIGN): Status.ASSIGNED
        for s in (Status.NEW, Status.ASSIGNED, *_WORKING, Status.REOPENED, Status.REJECTED)
    },
    (Status.ASSIGNED, Event.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.REOPENED, Event.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.ACKNOWLEDGED, Event.START): Status.IN_PROGRESS,
    **{(s, Event.ASK_OWNER): Status.WAITING_OWNER for s in _WORKING},
    (Status.WAITING_OWNER, Event.OWNER_REPLY): Status.IN_PROGRESS,
    **{(s, Event.RESOLVE): Status.RESOLVED for s in (*_WORKING, Status.TRANSFERRED)},
    (Status.RESOLVED, Event.CONFIRM): Status.CLOSED,
    (Status.RESOLVED, Event.REOPEN): Status.REOPENED,
    (Status.CLOSED_UNCONFIRMED, Event.REOPEN): Status.REOPENED,
    (Status.RESOLVED, Event.CLOSE_UNCONFIRMED): Status.CLOSED_UNCONFIRMED,
    **{(s, Event.REJECT): Status.REJECTED for s in (Status.ASSIGNED, *_WORKING, Status.REOPENED)},
    **{
        (s, Event.TRANSFER_DEPARTMENT): Status.TRANSFERRED
        for s in (Status.NEW, Status.ASSIGNED, *_WORKING, Status.REOPENED, Status.REJECTED)
    },
    **{(s, Event.WITHDRAW): Status.WITHDRAWN for s in _BEFORE_RESOLUTION},
    (Status.TRANSFERRED, Event.RETURN_TO_COMPANY): Status.NEW,  # routed to the company at once
    # A handover starts the company's handling afresh (a new acknowledgement); a case waiting for the
    # owner, with the community, a department or the owner's confirmation stays where it is.
    **{(s, Event.HANDOVER): Status.NEW for s in (Status.NEW, Status.ASSIGNED, *_WORKING, Status.REOPENED)},
    **{
        (s, Event.HANDOVER): s
        for s in (Status.WAITING_OWNER, Status.REJECTED, Status.TRANSFERRED, Status.RESOLVED)
    },
}

# Events that are recorded without a status change, and the statuses in which they make sense.
NOTES: dict[Event, frozenset[Status]] = {
    Event.OPEN: frozenset({Status.NEW}),
    Event.COMMENT: frozenset(Status),
    Event.ADD_PHOTO: OPEN_STATUSES,
    # Asked after a confirmed fix, and apart on a closure the owner did not confirm (satisfaction is
    # not drawn from confirmed fixes alone).
    Event.RATE: frozenset({Status.CLOSED, Status.CLOSED_UNCONFIRMED}),
    Event.URGE: OPEN_STATUSES,
    Event.ESCALATE: OPEN_STATUSES,
    Event.REMIND: OPEN_STATUSES,
    Event.EXTENSION_REQUEST: HANDLING_STATUSES,
    Event.EXTENSION_GRANT: OPEN_STATUSES,
    Event.EXTENSION_REFUSE: OPEN_STATUSES,
    Event.ANONYMISE: frozenset(Status),
}


class IllegalTransition(Exception):
    """An event that the ticket's current status does not allow."""

    def __init__(self, status: Status, event: Event) -> None:
        super().__init__(f"cannot {event.value} a ticket that is {status.value}")
        self.status = status
        self.event = event


def next_status(status: Status, event: Event) -> Status:
    """The status after `event`, or IllegalTransition; note-only events keep the status."""
    if event in NOTES:
        if status not in NOTES[event]:
            raise IllegalTransition(status, event)
        return status
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise IllegalTransition(status, event) from None


def allowed_events(status: Status) -> list[Event]:
    """Every event the status allows, in declaration order."""
    return [e for e in Event if (status, e) in TRANSITIONS or (e in NOTES and status in NOTES[e])]
