"""The organisations around an estate: the offices of government, the property companies, the estates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OfficeKind(StrEnum):
    BUREAU = "bureau"  # 区住建局 / 整治工作专班
    STREET = "street"  # 街道办事处
    COMMUNITY = "community"  # 社区居委会
    DEPARTMENT = "department"  # 城管, 市场监管, 资源规划, 消防


@dataclass
class Office:
    key: str
    name: str
    kind: OfficeKind
    parent_id: int | None = None
    department: str | None = None  # city_management, market_regulation, planning, fire
    id: int | None = None


@dataclass
class Company:
    key: str
    name: str
    phone: str | None = None
    id: int | None = None


@dataclass
class Estate:
    key: str
    name: str
    prefix: str  # ticket number prefix
    community_id: int
    company_id: int
    invite_code: str
    address: str | None = None
    created_at: datetime | None = None  # when it joined wuye (None: before that was recorded)
    language: str = "zh_Hans"  # for its people who chose none (a manager from the setup file, say)
    # person keys of the setup file's `on_call`: told of emergencies outside office hours
    on_call: list[str] = field(default_factory=list)
    id: int | None = None
