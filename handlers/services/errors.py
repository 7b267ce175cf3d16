"""Errors a person can be told about: a code and parameters, translated at the edge."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Bad input or a forbidden action; nothing was changed."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params = params


class NotFound(UserError):
    pass


class NotAllowed(UserError):
    pass


class Conflict(UserError):
    """The ticket moved on under the person's feet (e.g. someone else acknowledged it first)."""
