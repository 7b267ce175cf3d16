"""Display names for the codes the database stores; marked for translation, rendered per reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.domain.people import RoleKind
from handlers.ports import Translator
from handlers.rules.categories import Category, Duty, Privacy, Urgency
from handlers.rules.lifecycle import Event, Status
from handlers.rules.policy import Rung
from handlers.text import N_

CATEGORY: dict[Category, str] = {
    Category.WATER_LEAK: N_("Leak or seepage"),
    Category.WATER_POWER_OUT: N_("Water or power out"),
    Category.DRAINS: N_("Blocked drain or sewer"),
    Category.ACCESS_CONTROL: N_("Access control, entrance door"),
    Category.LIGHTS: N_("Lights in common areas"),
    Category.NOISE: N_("Noise"),
    Category.PARKING: N_("Parking"),
    Category.STORM_DAMAGE: N_("Typhoon or storm damage"),
    Category.CLEANING: N_("Cleaning and rubbish"),
    Category.SECURITY: N_("Security and order"),
    Category.FEES: N_("Property fees and charges"),
    Category.REVENUE_DISCLOSURE: N_("Public revenue not disclosed or unclear"),
    Category.REVENUE_MISUSE: N_("Public revenue taken or misused"),
    Category.COMMON_SPACE: N_("Common space occupied or used commercially"),
    Category.SERVICE_ROOMS: N_("Property-service rooms used for something else"),
    Category.MAINTENANCE_FUND: N_("Maintenance fund misuse or no disclosure"),
    Category.SHARED_UTILITIES: N_("Shared water and electricity charges"),
    Category.LIFT: N_("Lift"),
    Category.FIRE_SAFETY: N_("Fire safety, blocked fire lanes"),
    Category.SERVICE_QUALITY: N_("Service below the contract (cleaning, security, greenery, repairs)"),
    Category.UNLAWFUL_FEES: N_("Unlawful fees, or cutting water or power to collect fees"),
    Category.NOTICES: N_("Mandatory notices missing"),
    Category.OWNERS_COMMITTEE: N_("Owners' committee problems"),
    Category.SAFETY_HAZARD: N_("Other safety hazard (façade, e-bike charging)"),
    Category.OTHER: N_("Other"),
}

CATEGORY_ICON: dict[Category, str] = {
    Category.WATER_LEAK: "💧",
    Category.WATER_POWER_OUT: "🚱",
    Category.DRAINS: "🚽",
    Category.ACCESS_CONTROL: "🚪",
    Category.LIGHTS: "💡",
    Category.NOISE: "🔊",
    Category.PARKING: "🅿️",
    Category.STORM_DAMAGE: "🌀",
    Category.CLEANING: "🗑️",
    Category.SECURITY: "🛡️",
    Category.FEES: "💳",
    Category.REVENUE_DISCLOSURE: "📊",
    Category.REVENUE_MISUSE: "💰",
    Category.COMMON_SPACE: "🚧",
    Category.SERVICE_ROOMS: "🏠",
    Category.MAINTENANCE_FUND: "🏦",
    Category.SHARED_UTILITIES: "🔌",
    Category.LIFT: "🛗",
    Category.FIRE_SAFETY: "🧯",
    Category.SERVICE_QUALITY: "🧹",
    Category.UNLAWFUL_FEES: "🧾",
    Category.NOTICES: "📋",
    Category.OWNERS_COMMITTEE: "👥",
    Category.SAFETY_HAZARD: "⚠️",
    Category.OTHER: "📝",
}

# The word for an urgency, as summaries and cards name it
URGENCY: dict[Urgency, str] = {
    Urgency.EMERGENCY: N_("Emergency"),
    Urgency.URGENT: N_("Urgent"),
    Urgency.ORDINARY: N_("Ordinary"),
    Urgency.COMPLEX: N_("Complex"),
}
# The buttons an owner chooses from: what each urgency means, where the word alone does not say
URGENCY_CHOICE: dict[Urgency, str] = {
    **URGENCY,
    Urgency.URGENT: N_("Urgent: water, power, gas or lift out"),
}

STATUS: dict[Status, str] = {
    Status.NEW: N_("New"),
    Status.ASSIGNED: N_("Assigned"),
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.WAITING_OWNER: N_("Waiting for the owner"),
    Status.RESOLVED: N_("Resolved, awaiting confirmation"),
    Status.CLOSED: N_("Closed, confirmed"),
    Status.CLOSED_UNCONFIRMED: N_("Closed without confirmation"),
    Status.REOPENED: N_("Reopened"),
    Status.REJECTED: N_("Declined by the company, community deciding"),
    Status.TRANSFERRED: N_("Transferred to a department"),
    Status.WITHDRAWN: N_("Withdrawn"),
}

EVENT: dict[Event, str] = {
    Event.OPEN: N_("Reported"),
    Event.ASSIGN: N_("Assigned"),
    Event.ACKNOWLEDGE: N_("Acknowledged"),
    Event.START: N_("Work started"),
    Event.ASK_OWNER: N_("Question to the owner"),
    Event.OWNER_REPLY: N_("Owner answered"),
    Event.RESOLVE: N_("Resolved"),
    Event.CONFIRM: N_("Confirmed fixed by the owner"),
    Event.REOPEN: N_("Reopened: not fixed"),
    Event.CLOSE_UNCONFIRMED: N_("Closed without confirmation"),
    Event.REJECT: N_("Declined as not the company's responsibility"),
    Event.TRANSFER_DEPARTMENT: N_("Transferred to a department"),
    Event.RETURN_TO_COMPANY: N_("Sent back to the company by the department"),
    Event.HANDOVER: N_("Handed over: its handler left or the estate changed company"),
    Event.WITHDRAW: N_("Withdrawn by the owner"),
    Event.COMMENT: N_("Comment"),
    Event.ADD_PHOTO: N_("Photo added by the owner"),
    Event.RATE: N_("Rated"),
    Event.URGE: N_("Urged by an official"),
    Event.ESCALATE: N_("Escalated"),
    Event.REMIND: N_("Reminder"),
    Event.EXTENSION_REQUEST: N_("Extension requested"),
    Event.EXTENSION_GRANT: N_("Extension granted"),
    Event.EXTENSION_REFUSE: N_("Extension refused"),
    Event.ANONYMISE: N_("Reporter's data deleted"),
}

PRIVACY: dict[Privacy, str] = {
    Privacy.EVERYONE: N_("Show my name to everyone handling the case"),
    Privacy.GOVERNMENT: N_("Show my name only to the government side"),
    Privacy.NOBODY: N_("Show my name to nobody"),
}
# The choice once made, after "Who sees my name:" (the buttons above would repeat the question)
PRIVACY_CHOSEN: dict[Privacy, str] = {
    Privacy.EVERYONE: N_("everyone handling the case"),
    Privacy.GOVERNMENT: N_("the government side only"),
    Privacy.NOBODY: N_("nobody"),
}

PRIVACY_EXPLAINED: dict[Privacy, str] = {
    Privacy.EVERYONE: N_(
        "The property staff, the project manager and the community, street and district officials "
        "will see your name and unit in their own chats with the bot (never in a group chat)."
    ),
    Privacy.GOVERNMENT: N_(
        "The property company sees only 'an owner'; the community, street and district officials "
        "see your name and unit in their own chats with the bot (never in a group chat)."
    ),
    Privacy.NOBODY: N_(
        "Nobody sees your name or unit, not even officials; the bot relays messages without "
        "revealing who you are."
    ),
}

ROLE: dict[RoleKind, str] = {
    RoleKind.OWNER: N_("Owner"),
    RoleKind.STAFF: N_("Property staff"),
    RoleKind.MANAGER: N_("Project manager"),
    RoleKind.COMMITTEE: N_("Owners' committee"),
    RoleKind.OFFICIAL: N_("Official"),
    RoleKind.ADMIN: N_("Administrator"),
}

DUTY: dict[Duty, str] = {
    Duty.SERVICE: N_("Customer service"),
    Duty.REPAIR: N_("Repairs"),
    Duty.SECURITY: N_("Security"),
    Duty.CLEANING: N_("Cleaning"),
}

RUNG: dict[Rung, str] = {
    Rung.ASSIGNEE: N_("Assigned staff"),
    Rung.MANAGER: N_("Project manager"),
    Rung.COMMUNITY: N_("Community committee"),
    Rung.STREET: N_("Street office"),
    Rung.BUREAU: N_("District housing bureau"),
}

# The timeline's line for an escalation whose office is not recorded (the manager has none)
ESCALATED_TO: dict[Rung, str] = {
    Rung.MANAGER: N_("Escalated to the project manager"),
    Rung.COMMUNITY: N_("Escalated to the community committee"),
    Rung.STREET: N_("Escalated to the street office"),
    Rung.BUREAU: N_("Escalated to the district housing bureau"),
}


def label(tr: Translator, table: Mapping[Any, str], code: object) -> str:
    """The translated label of a code, or the code itself if it has none."""
    text = table.get(code)
    return tr.gettext(text) if text else str(code)
