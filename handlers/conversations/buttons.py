"""What a button carries, written and read in one place.

Telegram hands a button's data back when it is pressed, but a client may send any data at all (up to
64 bytes), so nothing in a press is trusted: `decode` accepts only the layouts declared here, with
ASCII numbers in range and words from fixed lists, and everything else is `None` ("this button is no
longer valid", nothing changed). `encode` writes the same layouts, with a version prefix (`1/ak:42`),
so a later change of layout can tell its own buttons from ones still sitting in old messages. Data
without a prefix is read as version 1 (the buttons sent before the prefix).

Whether the presser may touch what a press names is for the step to check, as for any input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.rules.categories import Category, Privacy, Urgency
from handlers.rules.periods import Period
from handlers.text import LANGUAGES

VERSION = "1"
MAX_BYTES = 64  # Telegram's limit on callback data
ID_LIMIT = 2**31  # row ids are PostgreSQL integers
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")  # ASCII only: "²" or "①" pass str.isdigit() and fail int()


class Field:
    def parse(self, raw: str) -> Any | None:
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        return self.parse(str(value)) == value


@dataclass(frozen=True)
class Number(Field):
    """A whole number written in ASCII digits, within [low, high]."""

    low: int = 1
    high: int = ID_LIMIT - 1

    def parse(self, raw: str) -> int | None:
        negative = raw.startswith("-") and self.low < 0
        digits = raw[1:] if negative else raw
        if not _DIGITS.fullmatch(digits):
            return None
        value = -int(digits) if negative else int(digits)
        return value if self.low <= value <= self.high else None


@dataclass(frozen=True)
class Word(Field):
    """One of a fixed set of words."""

    choices: frozenset[str]

    def parse(self, raw: str) -> str | None:
        return raw if raw in self.choices else None


@dataclass(frozen=True)
class Unit(Field):
    """A unit a group can be bound to: e<estate id> or o<office id>."""

    def parse(self, raw: str) -> str | None:
        return raw if raw[:1] in ("e", "o") and Number().parse(raw[1:]) is not None else None


@dataclass(frozen=True)
class PeriodText(Field):
    """A reporting period as Period writes it back (2026-11, 2026Q3, 2026-11-01..2026-11-15)."""

    def parse(self, raw: str) -> str | None:
        try:
            return raw if str(Period.parse(raw)) == raw else None
        except ValueError:
            return None


def word(*choices: str) -> Word:
    return Word(frozenset(choices))


ID = Number()
GROUP_CHAT = Number(low=-(10**15), high=-1)  # Telegram's groups have negative ids
# the actions whose one argument is a ticket's id
TICKET_ACTIONS: tuple[str, ...] = ("ak", "st", "as", "rs", "tr", "nj", "cd", "tl", "mt", "cf", "nf", "rp")
TICKET_ACTIONS += ("rc", "rb", "ob", "ug", "cm", "xg", "xr")

# a scope of the figures, by its kind (handlers.services.figures.ScopeKind), in one letter
SCOPE_CODES = {"estate": "e", "company": "c", "community": "m", "street": "s", "district": "d"}

# action -> the layouts its arguments may take (one tuple of fields per layout)
LAYOUTS: dict[str, tuple[tuple[Field, ...], ...]] = {
    **{action: ((ID,),) for action in TICKET_ACTIONS},
    "ph": ((ID,),),  # the owner adds a photo to their report
    "mh": ((ID,),),  # the owner writes to whoever handles it
    "wd": ((ID,), (ID, Number(1, 1))),  # withdraw: asked, then confirmed
    "xq": ((ID,), (ID, Number(1, 15))),  # ask for more time: the ticket, then how many working days
    "td": ((ID,), (ID, ID)),  # transfer to a department: the ticket, then the department
    "ag": ((ID, ID),),  # assign: the ticket, the colleague
    "rt": ((ID, Number(1, 5)),),  # rate: the ticket, the stars
    "rz": ((word("skip"),),),  # resolve without a photo
    "lg": ((Word(frozenset(LANGUAGES)),),),
    "pd": ((word("ask", "yes", "no"),),),  # delete my data
    "bg": ((Unit(),),),  # bind this group to one of my units
    "ub": ((GROUP_CHAT,),),  # unbind that group
    # a ledger: whose (e<estate>, o<office>), the month or quarter (2026-11, 2026Q3; 202611 on buttons
    # from before quarters), xlsx or csv, new version or not
    "lx": (
        (Unit(), Number(100001, 999912), word("x", "c", "xn", "cn")),
        (Unit(), PeriodText(), word("x", "c", "xn", "cn")),
    ),
    "ru": ((ID, ID),),  # the report calendar's Confirm and send: the report, the ledger version drafted
    "r": (  # the report form
        (word("cat"), Word(frozenset(c.value for c in Category))),
        (word("urg"), Word(frozenset(u.value for u in Urgency))),
        (word("prv"), Word(frozenset(p.value for p in Privacy))),
        (word("est"), ID),
        (word("ed"), word("category", "description", "photos", "location", "urgency", "privacy")),
        (word("done", "skip", "ok", "edit", "emg", "rec", "txt", "no"),),
    ),
    # /stats: a report's page, ranked by response, resolution or satisfaction (scope, id, period, rate,
    # page); a committee member's open tickets (estate, page)
    "ss": ((Word(frozenset(SCOPE_CODES.values())), ID, PeriodText(), word("a", "r", "s"), Number(1, 9999)),),
    "so": ((ID, Number(1, 9999)),),
    # a typical case (典型案例): open it; then 1 edit, 2 ask to remove, 3 remove
    "ty": ((ID,), (ID, Number(1, 3))),
    "tk": ((ID,),),  # keep the part as it is (editing a typical case)
    "ol": ((word("area", "overdue", "supervised"), Number(1, 10**6)),),  # an official's list: which, page
    "rv": (  # public revenue: publish, discard, view, history, question, question a line
        (word("pub", "dis", "v", "h", "q", "ql"), ID),
    ),
}


@dataclass(frozen=True)
class Press:
    """A decoded button press: its action and its arguments, checked against the action's layouts."""

    action: str
    args: tuple[Any, ...] = ()

    def arg(self, index: int) -> Any:
        return self.args[index] if index < len(self.args) else None


def encode(action: str, *args: Any) -> str:
    """The data for a button: only layouts `decode` accepts can be written."""
    data = f"{VERSION}/" + ":".join([action, *(str(a) for a in args)])
    if decode(data) != Press(action, tuple(args)) or len(data.encode()) > MAX_BYTES:
        raise ValueError(f"not a button of ours: {action} {args!r}")
    return data


def decode(data: str | None) -> Press | None:
    """The press `data` claims to be, if it is one of ours; None for anything else."""
    if not data or len(data) > MAX_BYTES or not data.isascii():
        return None
    version, slash, rest = data.partition("/")
    if not slash:
        rest = data  # written before the version prefix: the same layouts
    elif version != VERSION:
        return None
    action, *raw = rest.split(":")
    for layout in LAYOUTS.get(action, ()):
        if len(layout) != len(raw):
            continue
        values = [f.parse(r) for f, r in zip(layout, raw, strict=True)]
        if all(v is not None for v in values):
            return Press(action, tuple(values))
    return None


def unversioned(data: str) -> str:
    """The data without its version prefix (for matching buttons by what they do)."""
    version, slash, rest = data.partition("/")
    return rest if slash and version.isdigit() else data


def actions() -> Sequence[str]:
    return tuple(LAYOUTS)
