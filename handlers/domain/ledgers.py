"""What goes upward: the monthly ledger's versions as sent, and each office's reports on the report
calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class LedgerVersion:
    """One version of a scope's monthly ledger (台账) as it was sent: its files are kept and sent again
    byte for byte; a correction is the next version. The files are dropped (`erased`) when someone they
    name deletes their data (PIPL), and the next request builds a new version."""

    scope_kind: str  # handlers.services.figures.ScopeKind: an office's area, or an estate
    scope_id: int
    month: str  # 2026-11
    version: int
    built_at: datetime  # also the workbook's created and modified time
    rows: int  # tickets on the first sheet
    xlsx: bytes | None = None
    csv: bytes | None = None  # the first sheet, GBK
    built_by: int | None = None  # None: from the command line
    erased: bool = False
    id: int | None = None


@dataclass
class DueReport:
    """One office's report of one period on the report calendar (handlers/rules/report_calendar.py):
    when its draft went to the office's officials, and when it was sent upward, by whom (None and
    `automatic`: by the calendar on the due day), with which ledger version (the bytes that went up)."""

    office_id: int
    report: str  # handlers.rules.report_calendar.ReportKind
    period: str  # 2026-11
    due_on: date  # the working day it is due
    drafted_at: datetime | None = None
    sent_at: datetime | None = None
    sent_by: int | None = None
    automatic: bool = False
    ledger_id: int | None = None
    id: int | None = None
