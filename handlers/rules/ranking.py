"""Rates over a number of cases, and ranking them: a rate over fewer cases than the minimum sample is
shown but never ranked (one case out of one is no record to put anyone first on)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_MIN_SAMPLE = 5
MAX_MIN_SAMPLE = 10_000


def check_min_sample(value: object) -> int:
    """The minimum sample as a setup file gives it: a whole number from 1 up; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MIN_SAMPLE:
        raise ValueError(f"must be a whole number from 1 to {MAX_MIN_SAMPLE} (it is {value!r})")
    return value


@dataclass(frozen=True)
class Rate:
    """`hits` of `cases` (responded in time, resolved on time, rated 4–5...), exact: no float."""

    hits: int
    cases: int
    min_sample: int = DEFAULT_MIN_SAMPLE

    def __post_init__(self) -> None:
        if not 0 <= self.hits <= self.cases:
            raise ValueError(f"a rate of {self.hits} out of {self.cases}")

    @property
    def ranked(self) -> bool:
        """Enough cases to be ranked (and so to be shown as a percentage that means something)."""
        return self.cases >= max(self.min_sample, 1)

    @property
    def percent(self) -> int:
        """Rounded half up, for display only; 0 when there is no case. Ranking compares exactly."""
        return (200 * self.hits + self.cases) // (2 * self.cases) if self.cases else 0

    def beats(self, other: Rate) -> bool:
        """A higher rate, or the same rate over more cases."""
        left, right = self.hits * other.cases, other.hits * self.cases
        return left > right or (left == right and self.cases > other.cases)

    def ties(self, other: Rate) -> bool:
        return self.hits * other.cases == other.hits * self.cases and self.cases == other.cases


@dataclass(frozen=True)
class Placed(Generic[T]):
    subject: T
    rate: Rate
    position: int | None  # 1 for the best; the same for a tie (1, 1, 3); None: too few cases to rank


@dataclass(frozen=True)
class Ranking(Generic[T]):
    ranked: list[Placed[T]]  # best first
    unranked: list[Placed[T]]  # fewer cases than the minimum sample, most cases first


def rank(entries: Iterable[tuple[T, Rate]]) -> Ranking[T]:
    """Best rate first, then more cases; equal rate and cases share a place, in the order given. Rates
    over fewer cases than their minimum sample are left out of the places."""
    items = list(entries)
    big = [(i, s, r) for i, (s, r) in enumerate(items) if r.ranked]
    small = [(i, s, r) for i, (s, r) in enumerate(items) if not r.ranked]

    # A stable sort on exact comparisons: equal rates over equal cases stay in the order given.
    def order(a: tuple[int, T, Rate], b: tuple[int, T, Rate]) -> int:
        return -1 if a[2].beats(b[2]) else int(b[2].beats(a[2]))

    ordered = sorted(big, key=cmp_to_key(order))
    ranked: list[Placed[T]] = []
    for n, (_, subject, rate) in enumerate(ordered):
        before = ranked[-1] if ranked else None
        position = before.position if before is not None and before.rate.ties(rate) else n + 1
        ranked.append(Placed(subject, rate, position))
    small.sort(key=lambda e: (-e[2].cases, e[0]))
    return Ranking(ranked, [Placed(s, r, None) for _, s, r in small])
