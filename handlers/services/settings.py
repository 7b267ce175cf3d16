"""The settings sections of the setup file (`supervision: {min_sample: 5}`), as the use cases read them."""

from __future__ import annotations

from handlers.ports import UnitOfWork
from handlers.rules.ranking import DEFAULT_MIN_SAMPLE, check_min_sample

SUPERVISION = "supervision"


def min_sample(uow: UnitOfWork) -> int:
    """The fewest cases a rate needs to be ranked, as the setup file last set it (default 5)."""
    stored = (uow.settings.get(SUPERVISION) or {}).get("min_sample", DEFAULT_MIN_SAMPLE)
    try:
        return check_min_sample(stored)
    except ValueError:  # the setup file's check lets none through; a hand-edited row falls back
        return DEFAULT_MIN_SAMPLE
