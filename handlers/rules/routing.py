"""Who gets a new ticket: category → duty at the estate, round-robin among that duty's staff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handlers.rules.categories import DEFAULT_ROUTING, MANAGER_CATEGORIES, Category, Duty


def duty_for(category: Category, routing: Mapping[Category, Duty] = DEFAULT_ROUTING) -> Duty | None:
    """The duty that handles a category, or None when it belongs to the project manager."""
    if category in MANAGER_CATEGORIES:
        return None
    return routing.get(category, Duty.SERVICE)


def pick_round_robin(candidates: Sequence[int], turn: int) -> int | None:
    """The candidate whose turn it is; `turn` is any counter that grows by one per ticket."""
    if not candidates:
        return None
    ordered = sorted(candidates)
    return ordered[(turn - 1) % len(ordered)]
