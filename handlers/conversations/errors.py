"""What to tell a person when a use case refuses: one translated sentence per error code."""

from __future__ import annotations

from handlers.conversations import labels
from handlers.ports import Translator
from handlers.rules.lifecycle import Status
from handlers.rules.revenue import DisclosureStatus
from handlers.services.errors import UserError
from handlers.text import N_

FIELD: dict[str, str] = {
    "description": N_("The description"),
    "location": N_("The place"),
    "unit": N_("The unit"),
    "name": N_("The name"),
    "question": N_("The question"),
    "answer": N_("The answer"),
    "note": N_("The note"),
    "reason": N_("The reason"),
    "comment": N_("The comment"),
    "background": N_("The background"),
    "handling": N_("The handling"),
    "outcome": N_("The outcome"),
}

MESSAGES: dict[str, str] = {
    "text_too_short": N_("{field} is too short: please write at least {minimum} characters."),
    "text_too_long": N_("{field} is too long ({length} characters): please keep it under {maximum}."),
    "too_many_photos": N_("At most {maximum} photos, please."),
    "join_first": N_(
        "You have not joined an estate yet. Scan the QR code on your estate's notice board, "
        "or send /join followed by the estate's code."
    ),
    "estate_unknown": N_("That estate is not known."),
    "office_unknown": N_("That office is not known."),
    "company_unknown": N_("That company is not known."),
    "person_unknown": N_("I do not know you yet: send /start first."),
    "ticket_unknown": N_("That ticket does not exist."),
    "code_invalid": N_(
        "That code is not valid. Check it on the notice board, or ask whoever gave it to you for a new one."
    ),
    "code_wait": N_("Too many wrong codes. Please wait {minutes} minutes and try again."),
    "not_your_ticket": N_("Ticket {number} is not yours to handle."),
    "not_your_report": N_("Only the owner who reported {number} can do that."),
    "managers_only": N_("Only the project manager can do that."),
    "staff_only": N_("Only property staff have tasks."),
    "officials_only": N_("Only the community, street or district office can do that."),
    "assignee_not_staff": N_("That person is not staff at this estate."),
    "same_assignee": N_("{number} is already with that person."),
    "ticket_changed": N_("Ticket {number} was changed by someone else just now. Please look at it again."),
    "already_acknowledged": N_("Ticket {number} has already been acknowledged by {by}."),
    "reporter_gone": N_("The reporter has deleted their data, so they cannot be asked."),
    "rating_range": N_("Please choose from 1 to 5 stars."),
    "already_rated": N_("You have already rated {number}."),
    "department_unknown": N_("That department is not known."),
    "invite_role_unsupported": N_("That role cannot be invited."),
    "extension_range": N_("More time must be between 1 and {maximum} working days."),
    "extension_too_late": N_("More time can only be asked for before the deadline."),
    "extension_pending": N_("A request for more time on {number} is already waiting for the community."),
    "extension_none": N_("There is no pending request for more time on {number}."),
    "bind_in_group": N_("Send /bind in the group you want to bind, not here."),
    "bind_not_member": N_(
        "Only a project manager (for the company's estate) or an official (for the office) can bind a group."
    ),
    "unbind_not_member": N_(
        "Only a project manager of the estate or an official of the office this group is bound to "
        "can unbind it."
    ),
    "bind_taken": N_(
        "This group is bound to another unit; one of its managers or officials must /unbind it first."
    ),
    "bind_public_group": N_(
        "This group is public (it has a @username anyone can find), so it cannot receive ticket cards. "
        "Use a private group."
    ),
    "illegal_transition": N_("This cannot be done now: the ticket's status is “{status}”."),
    "stats_readers_only": N_(
        "The figures are for community, street and district officials, project managers and members "
        "of an owners' committee."
    ),
    "stats_not_yours": N_(
        "Those figures are not yours to see: only your own area, your company's estates or your estate."
    ),
    "period_not_begun": N_("{period} has not begun yet, so there is nothing to count."),
}


# A disclosure's stored status, as a word in the sentences that name it.
DISCLOSURE_STATUS = {
    DisclosureStatus.DRAFT: N_("draft"),
    DisclosureStatus.PUBLISHED: N_("published"),
    DisclosureStatus.DISCARDED: N_("discarded"),
}


def explain(tr: Translator, error: UserError) -> str:
    template = MESSAGES.get(error.code)
    if template is None:
        return tr.gettext("Sorry, that did not work.")
    params = dict(error.params)
    if "field" in params:
        params["field"] = labels.label(tr, FIELD, str(params["field"]))
    if error.code == "disclosure_not_draft":
        params["status"] = labels.label(tr, DISCLOSURE_STATUS, params["status"])
    if error.code == "illegal_transition":
        params["status"] = labels.label(tr, labels.STATUS, Status(params["status"]))
    try:
        return tr.gettext(template).format(**params)
    except (KeyError, IndexError):
        return tr.gettext(template)
