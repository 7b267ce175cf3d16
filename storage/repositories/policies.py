"""What deadlines and figures are reckoned by: the escalation policies, the working-day calendar's
overrides and the settings sections of the setup file."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from handlers.domain.workdays import CalendarOverride
from storage.tables import CalendarOverrideRow, PolicyRow, SettingRow


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[dict[str, Any]]:
        rows = self.session.exec(select(PolicyRow).order_by(col(PolicyRow.key))).all()
        return [dict(r.data) for r in rows]

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
        return {r.day: r.working for r in self.session.exec(select(CalendarOverrideRow)).all()}

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
