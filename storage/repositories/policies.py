"""What deadlines and figures are reckoned by: the escalation policies, the working-day calendar's
overrides and the settings sections of the setup file."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from handlers.domain.workdays import CalendarOverride
from storage.repositories.statements import Plain
from storage.tables import CalendarOverrideRow, PolicyRow, SettingRow

_P = PolicyRow.__table__  # type: ignore[attr-defined]
_POLICIES = Plain("policies", lambda _: select(_P.c.data).order_by(_P.c.key))
_C = CalendarOverrideRow.__table__  # type: ignore[attr-defined]
_OVERRIDES = Plain("calendar overrides", lambda _: select(_C.c.day, _C.c.working))


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[dict[str, Any]]:
        return [dict(r.data) for r in _POLICIES.all(self.session, {})]

    def put(self, key: str, data: dict[str, Any]) -> None:
        row = self.session.get(PolicyRow, key)
        if row is None:
            self.session.add(PolicyRow(key=key, data=data))
        else:
            row.data = data
        self.session.flush()


class CalendarRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def overrides(self) -> dict[date, bool]:
        return {r.day: r.working for r in _OVERRIDES.all(self.session, {})}

    def put(self, item: CalendarOverride) -> None:
        row = self.session.get(CalendarOverrideRow, item.day)
        if row is None:
            self.session.add(CalendarOverrideRow(day=item.day, working=item.working, note=item.note))
        else:
            row.working, row.note = item.working, item.note
        self.session.flush()


class SettingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.session.get(SettingRow, key)
        return dict(row.data) if row is not None else None

    def put(self, key: str, data: dict[str, Any]) -> None:
        row = self.session.get(SettingRow, key)
        if row is None:
            self.session.add(SettingRow(key=key, data=data))
        else:
            row.data = data
        self.session.flush()
