"""One update, one read of who sent it: the units of work an update opens (the turn's bookkeeping, the
use case, the card drawn after it) share what they read of people and their roles, so the presser and
their roles are read from the database once per update instead of once per unit of work.

The conversation core opens the scope (`one_update`) around each update, and the web front door around
each request (bot/web/app.py); storage's person and role repositories read through `current()`. Outside
a scope (the outbox, the scheduler, the CLI) nothing is remembered. Any write to a person or a role
forgets everything remembered, and a unit of work that wrote one reads the database itself from then on:
what it reads may never be committed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from handlers.domain.people import Person, Role


@dataclass
class UpdateReads:
    """People (by id and by Telegram id) and their active roles, as read during one update."""

    people: dict[int, Person | None] = field(default_factory=dict)
    telegram: dict[int, int | None] = field(default_factory=dict)  # Telegram id -> person id
    roles: dict[int, list[Role]] = field(default_factory=dict)  # person id -> active roles

    def person(self, person_id: int) -> tuple[bool, Person | None]:
        """(known, a copy of the person) by id."""
        if person_id not in self.people:
            return False, None
        found = self.people[person_id]
        return True, copy.copy(found) if found is not None else None

    def by_telegram(self, telegram_id: int) -> tuple[bool, Person | None]:
        if telegram_id not in self.telegram:
            return False, None
        person_id = self.telegram[telegram_id]
        return (True, None) if person_id is None else self.person(person_id)

    def keep_person(self, person: Person | None, telegram_id: int | None = None) -> None:
        if telegram_id is not None:
            self.telegram[telegram_id] = person.id if person is not None else None
        if person is not None and person.id is not None:
            self.people[person.id] = copy.copy(person)

    def roles_of(self, person_id: int) -> list[Role] | None:
        found = self.roles.get(person_id)
        return [copy.copy(r) for r in found] if found is not None else None

    def keep_roles(self, person_id: int, roles: list[Role]) -> None:
        self.roles[person_id] = [copy.copy(r) for r in roles]

    def forget(self) -> None:
        self.people.clear()
        self.telegram.clear()
        self.roles.clear()


_CURRENT: ContextVar[UpdateReads | None] = ContextVar("wuye_update_reads", default=None)


def current() -> UpdateReads | None:
    """What this update has read so far; None outside an update."""
    return _CURRENT.get()


@contextmanager
def one_update() -> Iterator[UpdateReads]:
    """Everything in the block is one update: its units of work share their reads of people."""
    reads = UpdateReads()
    token = _CURRENT.set(reads)
    try:
        yield reads
    finally:
        _CURRENT.reset(token)
