"""What loading a setup file did, for the command line to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SetupReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # (person key, role, code, valid until) for people whose Telegram id the file does not give
    invites: list[tuple[str, str, str, datetime | None]] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)  # "KEY: role@where" that stopped acting
    absent: list[str] = field(default_factory=list)  # keys of active people this file no longer lists
    handed_over: dict[str, int] = field(default_factory=dict)  # estate key -> open tickets handed on
    listed: set[str] | None = None  # the people keys the file lists (None: it has no people section)

    def count(self, what: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[what] = target.get(what, 0) + 1
