"""An estate's quarterly disclosures of its money, their lines, their due dates, and owners' questions
about a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class DisclosureLine:
    """One line of a disclosure: an income item, a cost, or a use of the money, in integer fen."""

    section: str  # handlers.rules.revenue.Section
    item: str  # an item code of handlers.rules.revenue.ITEMS
    amount_fen: int
    position: int = 0
    reference: str = ""  # the contract, or the owners' assembly decision
    note: str = ""
    disclosure_id: int | None = None
    id: int | None = None


@dataclass
class Disclosure:
    """A quarterly disclosure of an estate's money (公共收益, 专项维修资金, 公摊水电); once published it
    never changes: a correction is a new revision with a reason."""

    estate_id: int
    kind: str  # handlers.rules.revenue.DisclosureKind
    quarter: str  # 2026Q3
    revision: int
    status: str  # a DisclosureStatus
    account_bank: str
    account_number: str  # masked: ****2345
    opening_fen: int
    closing_fen: int
    created_at: datetime
    created_by: int | None = None
    published_at: datetime | None = None
    published_by: int | None = None
    reason: str | None = None  # why this revision corrects the one before
    source: str | None = None  # the file it was imported from
    lines: list[DisclosureLine] = field(default_factory=list)
    id: int | None = None


@dataclass
class DisclosureDeadline:
    """The due date of one estate's disclosure for one quarter, and what the sweep did about it."""

    estate_id: int
    kind: str
    quarter: str
    due_on: Any  # datetime.date
    reminded: int = 0  # bits: which reminders before the due date went out
    missed_at: datetime | None = None  # the mark on the estate: the due date passed unpublished
    published_at: datetime | None = None


@dataclass
class DisclosureQuestion:
    """An owner's question about one line, opened as a ticket."""

    ticket_id: int
    disclosure_id: int
    line_id: int
    created_at: datetime
