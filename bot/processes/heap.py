"""The garbage collector and a long-running bot: what start-up built stays out of full collections.

The framework's models (aiogram's are pydantic's, with their schemas), SQLAlchemy's tables and the
translations are some 300,000 objects that live as long as the process. CPython's full collection walks
every tracked object, and under load it runs dozens of times a minute; in the throughput benchmark those
passes were over a third of the front end's CPU. Frozen after start-up (`gc.freeze`), they are left out of
every later pass, which then walks only what was made since.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_heap() -> None:
    """Collect what start-up left behind, then leave everything alive now out of later collections."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """The heap frozen while the block runs (a bot serving); unfrozen on the way out, so a program that
    runs wuye and goes on (the tests) can collect it afterwards."""
    freeze_heap()
    try:
        yield
    finally:
        gc.unfreeze()
