"""Which notice about a ticket says what: each NoticeKind with the renderer that draws it (most with
their words here), and those drawn with the clock and the working calendar of the moment they are sent."""

from __future__ import annotations

from handlers.conversations.notice_rendering import (
    Renderer,
    TimedRenderer,
    about_office,
    answer,
    assigned,
    closed_unconfirmed,
    department,
    escalated,
    extension_decided,
    extension_requested,
    on_call,
    photo_added,
    question,
    refresh,
    rejection_review,
    reminder,
    resolved,
    simple,
    unreached,
    urged,
)
from handlers.domain.notifications import NoticeKind
from handlers.text import N_

RENDERERS: dict[str, Renderer] = {
    NoticeKind.TICKET_REMINDER: reminder,
    NoticeKind.TICKET_SUPERVISED: about_office(
        N_(
            "🏛 {number} has been listed for supervision (挂牌督办) by {office}, the district housing "
            "bureau: it follows the case until it is resolved, and the property company must report to it."
        ),
        N_(
            "🏛 {number} has been listed for supervision (挂牌督办) by {office}, the district housing "
            "bureau, but nobody there can be reached through the bot yet, so they have not been told. "
            "The project manager has been asked to phone them."
        ),
    ),
    NoticeKind.TICKET_CHASED: about_office(
        N_("📈 {number} is past its deadline and has been escalated to {office}, which now follows it up."),
        N_(
            "📈 {number} is past its deadline and has been escalated to {office}, but nobody there can be "
            "reached through the bot yet, so they have not been told. The project manager has been asked "
            "to phone them."
        ),
    ),
    NoticeKind.TICKET_UNREACHED: unreached,
    NoticeKind.TICKET_URGED_OWNER: about_office(
        N_("📢 {office} has urged the property company to act on {number}.")
    ),
    NoticeKind.TICKET_URGED: urged,
    NoticeKind.TICKET_EXTENSION_REQUESTED: extension_requested,
    NoticeKind.TICKET_EXTENSION_GRANTED: extension_decided(
        N_("⏳ The community granted more time for {number}: the new deadline is {until}.")
    ),
    NoticeKind.TICKET_EXTENSION_REFUSED: extension_decided(
        N_("The community refused more time for {number}; the deadline stays.")
    ),
    NoticeKind.TICKET_COMMENT: simple(N_("💬 A comment on {number}:\n“{comment}”")),
    NoticeKind.TICKET_UNASSIGNED: simple(
        N_("↪️ {number} was reassigned to someone else. No action needed from you.")
    ),
    NoticeKind.TICKET_ACKNOWLEDGED: simple(
        N_("✅ Your report {number} was acknowledged by the property staff. Deadline: {due}.")
    ),
    NoticeKind.TICKET_STARTED: simple(N_("🔧 Work has started on {number}.")),
    NoticeKind.TICKET_QUESTION: question,
    NoticeKind.TICKET_PHOTO: photo_added,
    NoticeKind.TICKET_ANSWER: answer,
    NoticeKind.TICKET_RESOLVED: resolved,
    NoticeKind.TICKET_CONFIRMED: simple(N_("🎉 The owner confirmed {number} is fixed. Closed.")),
    NoticeKind.TICKET_RATED: simple(N_("⭐ The owner rated {number}: {stars} of 5.")),
    NoticeKind.TICKET_CLOSED_UNCONFIRMED: closed_unconfirmed,
    NoticeKind.TICKET_REJECTED: simple(
        N_(
            "The property company says {number} is not its responsibility:\n“{reason}”\n"
            "The community committee will decide."
        )
    ),
    NoticeKind.TICKET_REJECTION_REVIEW: rejection_review,
    NoticeKind.TICKET_DEPARTMENT: department,
    NoticeKind.TICKET_TRANSFERRED: simple(
        N_("📣 {number} was transferred to a government department, which must report on it.")
    ),
    NoticeKind.TICKET_WITHDRAWN: simple(N_("{number} was withdrawn by the owner. No action needed.")),
    NoticeKind.TICKET_RETURNED: simple(
        N_(
            "↩️ The department sent {number} back to the property company, which must handle it now. "
            "Deadline: {due}."
        )
    ),
}


TIMED_RENDERERS: dict[str, TimedRenderer] = {
    NoticeKind.TICKET_ESCALATED: escalated,
    NoticeKind.TICKET_ASSIGNED: assigned,
    NoticeKind.TICKET_ON_CALL: on_call,
    NoticeKind.CARD_REFRESH: refresh,  # type: ignore[dict-item]
}
