"""Apply a setup document (offices, companies, estates, people, policies, calendar, settings, the report
calendar) all or nothing: the organisations (setup_organisations.py) and the people (setup_people.py)
in their order, then the rules the file sets, here."""

from __future__ import annotations

from datetime import date

from handlers.domain.workdays import CalendarOverride
from handlers.ports import UnitOfWork
from handlers.rules.policy import Policy
from handlers.rules.report_calendar import schedule_from
from handlers.services.context import Context
from handlers.services.membership import after_roles_changed, hand_over_estate
from handlers.services.settings import put_report_calendar, start_report_calendar
from handlers.services.setup_document import SETTINGS_SECTIONS, Entry, SetupError, validate
from handlers.services.setup_organisations import (
    apply_companies,
    apply_estates,
    apply_offices,
    apply_on_call,
)
from handlers.services.setup_people import absent_people, apply_people
from handlers.services.setup_report import SetupReport


def apply_setup(ctx: Context, doc: dict[str, list[Entry]]) -> SetupReport:
    """Create or update everything by stable keys in one transaction; any error writes nothing."""
    validate(doc)
    report = SetupReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        offices = apply_offices(uow, doc.get("offices", []), report)
        companies = apply_companies(uow, doc.get("companies", []), report)
        moved = apply_estates(uow, doc.get("estates", []), offices, companies, report, now)
        changed = apply_people(ctx, uow, doc.get("people", []), report)
        apply_on_call(uow, doc.get("estates", []), now)  # after the people: they may be new in this file
        for estate in moved:  # after the people: the new company's managers may be in this file
            report.handed_over[estate.key] = hand_over_estate(ctx, uow, estate, now)
        after_roles_changed(ctx, uow, changed, now)
        if report.listed is not None:
            report.absent = absent_people(uow, report.listed)
        _apply_policies(uow, doc.get("policies", []), report)
        _apply_calendar(uow, doc.get("calendar", []), report)
        _apply_settings(uow, doc, report)
        if "reports" in doc:
            created = put_report_calendar(uow, [schedule_from(e.data) for e in doc["reports"]], now)
            report.count("settings", created)
        else:
            start_report_calendar(uow, now)
        uow.commit()
    return report


def _apply_policies(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> None:
    for entry in entries:
        try:
            policy = Policy.from_dict(entry.data)
        except ValueError as exc:
            field_name = str(exc).split(":", 1)[0]
            raise SetupError(
                entry.line_of(field_name), f"policies.{field_name}", str(exc).split(": ", 1)[-1]
            ) from None
        known = {d.get("key") for d in uow.policies.all()}
        uow.policies.put(policy.key, policy.to_dict())
        report.count("policies", policy.key not in known)


def _apply_calendar(uow: UnitOfWork, entries: list[Entry], report: SetupReport) -> None:
    for entry in entries:
        raw = entry.data["date"]
        try:
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            raise SetupError(
                entry.line_of("date"), "calendar.date", f"{raw!r} is not a date like 2027-01-01"
            ) from None
        working = entry.data["working"]
        if not isinstance(working, bool):
            raise SetupError(entry.line_of("working"), "calendar.working", "must be true or false")
        uow.calendar.put(CalendarOverride(day=day, working=working, note=entry.data.get("note")))
        report.count("calendar", True)


def _apply_settings(uow: UnitOfWork, doc: dict[str, list[Entry]], report: SetupReport) -> None:
    """A settings section changes the fields it names (validate checked them); the rest stay."""
    for section in sorted(SETTINGS_SECTIONS):
        for entry in doc.get(section, []):
            if not entry.data:
                continue
            stored = uow.settings.get(section)
            uow.settings.put(section, {**(stored or {}), **entry.data})
            report.count("settings", stored is None)
