"""Alembic migrations over SQLModel.metadata."""
