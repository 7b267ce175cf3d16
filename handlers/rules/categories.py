"""What owners complain about, and how urgent it is (codes only; labels live in handlers.labels)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """In the order owners meet them: everyday repairs first, then cleaning, security and fees, then
    the money and governance complaints of the work plans."""

    WATER_LEAK = "water_leak"  # 漏水、渗水
    WATER_POWER_OUT = "water_power_out"  # 停水、停电
    DRAINS = "drains"  # 下水道堵塞
    ACCESS_CONTROL = "access_control"  # 门禁、单元门
    LIFT = "lift"
    LIGHTS = "lights"  # 公共照明
    NOISE = "noise"  # 噪音扰民
    PARKING = "parking"  # 停车秩序
    STORM_DAMAGE = "storm_damage"  # 台风、暴雨损坏
    CLEANING = "cleaning"  # 环境卫生
    SECURITY = "security"  # 安保、秩序
    FEES = "fees"  # 物业费和收费问题
    REVENUE_DISCLOSURE = "revenue_disclosure"
    REVENUE_MISUSE = "revenue_misuse"
    COMMON_SPACE = "common_space"
    SERVICE_ROOMS = "service_rooms"
    MAINTENANCE_FUND = "maintenance_fund"
    SHARED_UTILITIES = "shared_utilities"
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
    Category.WATER_LEAK: Duty.REPAIR,
    Category.WATER_POWER_OUT: Duty.REPAIR,
    Category.DRAINS: Duty.REPAIR,
    Category.ACCESS_CONTROL: Duty.REPAIR,
    Category.LIGHTS: Duty.REPAIR,
    Category.STORM_DAMAGE: Duty.REPAIR,
    Category.NOISE: Duty.SECURITY,
    Category.PARKING: Duty.SECURITY,
    Category.SECURITY: Duty.SECURITY,
    Category.CLEANING: Duty.CLEANING,
    Category.FEES: Duty.SERVICE,
    Category.LIFT: Duty.REPAIR,
    Category.SHARED_UTILITIES: Duty.SERVICE,
    Category.FIRE_SAFETY: Duty.SECURITY,
    Category.SAFETY_HAZARD: Duty.SECURITY,
    Category.SERVICE_QUALITY: Duty.SERVICE,
    Category.COMMON_SPACE: Duty.SERVICE,
}

# The categories of everyday life, shown to owners first and two to a row
EVERYDAY: tuple[Category, ...] = (
    Category.WATER_LEAK,
    Category.WATER_POWER_OUT,
    Category.DRAINS,
    Category.ACCESS_CONTROL,
    Category.LIFT,
    Category.LIGHTS,
    Category.NOISE,
    Category.PARKING,
    Category.STORM_DAMAGE,
    Category.CLEANING,
    Category.SECURITY,
    Category.FEES,
)

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
