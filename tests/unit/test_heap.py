"""bot/processes/heap.py: `wuye run` keeps its start-up objects out of full garbage collections while it
serves."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.processes.heap import settled_heap


@pytest.fixture(autouse=True)
def unsettled() -> Iterator[None]:
    """These tests start from a heap nobody froze, as `wuye run`'s is; the suite's freeze is back after."""
    gc.unfreeze()
    yield
    gc.freeze()


def test_the_heap_is_frozen_while_serving_and_given_back_after() -> None:
    assert gc.get_freeze_count() == 0
    with settled_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the interpreter's own and the imported modules' objects at least
        made_later = [[] for _ in range(100)]
        assert gc.get_freeze_count() == frozen  # what is made while serving is collected as usual
        assert all(gc.is_tracked(x) for x in made_later)
    assert gc.get_freeze_count() == 0  # unfrozen: a program that ran wuye can collect it again


def test_the_heap_is_given_back_when_serving_fails() -> None:
    try:
        with settled_heap():
            raise RuntimeError("the front end stopped")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def test_a_heap_its_program_froze_before_is_left_as_that_program_froze_it() -> None:
    gc.freeze()  # the program running wuye (the test suite, say) settled its own heap
    frozen = gc.get_freeze_count()
    with settled_heap():
        assert gc.get_freeze_count() == frozen  # no second collection and freeze over the program's heap
    assert gc.get_freeze_count() == frozen  # and not unfrozen on the way out: that freeze is not wuye's
