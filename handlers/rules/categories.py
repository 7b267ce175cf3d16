"""What owners complain about, and how urgent it is (codes only; labels live in handlers.labels)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    REVENUE_DISCLOSURE = "revenue_disclosure"
    REVENUE_MISUSE = "revenue_misuse"
    COMMON_SPACE = "common_space"
    SERVICE_ROOMS = "service_rooms"
    MAINTENANCE_FUND = "maintenance_fund"
    SHARED_UTILITIES = "shared_utilities"
    LIFT = "lift"
    FIRE_SAFETY = "fire_safety"
    SERVICE_QUALITY = "service_quality"
    UNLAWFUL_FEES = "unlawful_fees"
    NOTICES = "notices"
    OWNERS_COMMITTEE = "owners_committee"
    SAFETY_HAZARD = "safety_hazard"
    OTHER = "other"


class Urgency(StrEnum):
    EMERGENCY = "emergency"  # fire, trapped in a lift, gas: call 119/110/96333 first
    URGENT = "urgent"  # water, power, gas, heating out: 24 hours
    ORDINARY = "ordinary"  # 7 working days
    COMPLEX = "complex"  # 15 working days


class Duty(StrEnum):
    """What a member of property staff does; assignment routes categories to duties."""

    SERVICE = "service"  # 客服
    REPAIR = "repair"  # 维修
    SECURITY = "security"  # 秩序维护
    CLEANING = "cleaning"  # 保洁


class Privacy(StrEnum):
    """Who may see the reporter's name."""

    EVERYONE = "everyone"  # everyone handling the case
    GOVERNMENT = "government"  # only community, street and bureau
    NOBODY = "nobody"  # nobody: messages are relayed


# Which duty handles which category by default; anything absent goes to customer service.
DEFAULT_ROUTING: dict[Category, Duty] = {
    Category.LIFT: Duty.REPAIR,
    Category.SHARED_UTILITIES: Duty.SERVICE,
    Category.FIRE_SAFETY: Duty.SECURITY,
    Category.SAFETY_HAZARD: Duty.SECURITY,
    Category.SERVICE_QUALITY: Duty.SERVICE,
    Category.COMMON_SPACE: Duty.SERVICE,
}

# Categories about money and governance go straight to the project manager, not to line staff.
MANAGER_CATEGORIES: frozenset[Category] = frozenset(
    {
        Category.REVENUE_DISCLOSURE,
        Category.REVENUE_MISUSE,
        Category.MAINTENANCE_FUND,
        Category.SERVICE_ROOMS,
        Category.UNLAWFUL_FEES,
        Category.NOTICES,
        Category.OWNERS_COMMITTEE,
    }
)

# Categories where a case may really belong to a government department (吹哨报到 targets).
DEPARTMENT_FOR: dict[Category, str] = {
    Category.COMMON_SPACE: "city_management",
    Category.UNLAWFUL_FEES: "market_regulation",
    Category.SERVICE_ROOMS: "planning",
    Category.FIRE_SAFETY: "fire",
}
