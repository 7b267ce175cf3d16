"""A day the setup file declares working or not, over the holiday calendar (调休, an extra day off)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CalendarOverride:
    day: Any  # datetime.date
    working: bool
    note: str | None = None
