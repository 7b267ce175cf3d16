"""bot/processes/heap.py: `wuye run` keeps its start-up objects out of full garbage collections while it
serves."""

from __future__ import annotations

import gc

from bot.processes.heap import settled_heap


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
