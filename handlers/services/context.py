"""Everything a use case needs from outside: storage, the clock and the working-time calendar."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from handlers.ports import ChatTurns, Clock, DocumentTools, UnitOfWork
from handlers.rules.policy import Policy, merge_policies
from handlers.rules.worktime import HolidaySource, OfficeHours, WorkCalendar


@dataclass
class Context:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    holidays: HolidaySource
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    on_unknown_day: Callable[[date], None] | None = None
    invite_ttl_days: int = 14
    documents: DocumentTools | None = (
        None  # spreadsheets and charts (bot/documents/revenue_files.py); None: none
    )
    # one turn at a time per chat across processes (storage/turns.py); the default suits one process
    chat_turns: ChatTurns = field(default=lambda bot_id, chat_id: nullcontext())
    web_url: str | None = None  # the web front door's public address (WUYE_WEB_URL), for /web's link

    def calendar(self, uow: UnitOfWork) -> WorkCalendar:
        """The working-time calendar with the admins' overrides as stored now."""
        return WorkCalendar(
            self.holidays,
            self.tz,
            self.office_hours,
            overrides=uow.calendar.overrides(),
            on_unknown=self.on_unknown_day,
        )

    # the policies last read and what they made: read on every report, changed by a setup file
    _policies_made: tuple[list[dict[str, Any]], list[Policy]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def policies(self, uow: UnitOfWork) -> list[Policy]:
        """The policies as stored now; made again only when what is stored changed (making them, every
        deadline parsed, costs as much as the rest of opening a ticket)."""
        stored = uow.policies.all()
        made = self._policies_made
        if made is None or made[0] != stored:
            made = self._policies_made = (stored, merge_policies([Policy.from_dict(d) for d in stored]))
        return list(made[1])
