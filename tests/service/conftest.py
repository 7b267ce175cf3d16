"""The example world on a real database (SQLite and PostgreSQL), at a fixed moment."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.service.world import START, World, build_world


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, START)
