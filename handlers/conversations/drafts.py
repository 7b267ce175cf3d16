"""What a conversation has gathered so far (its draft), typed: one dataclass per flow.

A draft is stored in the chat's state as a plain mapping of its fields (`to_data`), as the untyped dicts
were before, under the same keys, and read back with `from_data`, which takes what an older version
stored: a key it does not know is left out, a missing one takes the field's default, and JSON's lists
come back as the tuples the fields declare. A stored value of the wrong kind is `DraftUnreadable`: the
conversation cannot go on from it (the engine treats it as gone, like a stale button).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar, Self


class DraftUnreadable(ValueError):
    """A stored draft that does not fit its dataclass."""


def _coerce(kind: Any, value: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(option, value)
            except DraftUnreadable:
                continue
        raise DraftUnreadable(f"{value!r} is not {kind}")
    if kind is Any:
        return value
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError as exc:
            raise DraftUnreadable(f"{value!r} is not a {kind.__name__}") from exc
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise DraftUnreadable(f"{value!r} is not a bool")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit():
            return int(value)  # ids some versions wrote as text
        raise DraftUnreadable(f"{value!r} is not a whole number")
    if kind is str:
        if isinstance(value, str):
            return value
        raise DraftUnreadable(f"{value!r} is not text")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise DraftUnreadable(f"{value!r} is not a sequence")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v) for v in value)
        if len(args) != len(value):
            raise DraftUnreadable(f"{value!r} does not have {len(args)} parts")
        return tuple(_coerce(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise DraftUnreadable(f"{value!r} is not a mapping")
        return {_coerce(args[0], k): _coerce(args[1], v) for k, v in value.items()}
    raise TypeError(f"a draft field of a kind drafts do not store: {kind}")


def _as_is(kind: Any) -> tuple[type, ...]:
    """The types a value of this kind is stored and read back as, unchanged (text, numbers, flags)."""
    options = typing.get_args(kind) if typing.get_origin(kind) in (types.UnionType, typing.Union) else (kind,)
    return tuple(o for o in options if o in (str, int, bool))


def _plain(value: Any) -> Any:
    """What JSON stores of a field's value."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


@dataclasses.dataclass
class Draft:
    """The base of every flow's draft (a dataclass of ints, text, flags, enums, and tuples and
    mappings of them)."""

    # per draft class: each field's name, declared kind, and the types a stored value may have as is
    _fields_of: ClassVar[dict[type, list[tuple[str, Any, tuple[type, ...]]]]] = {}

    @classmethod
    def _fields(cls) -> list[tuple[str, Any, tuple[type, ...]]]:
        if cls not in Draft._fields_of:
            hints = typing.get_type_hints(cls)
            Draft._fields_of[cls] = [
                (f.name, hints[f.name], _as_is(hints[f.name])) for f in dataclasses.fields(cls)
            ]
        return Draft._fields_of[cls]

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Self:
        """The draft as stored (by this version or an older one)."""
        values = {}
        for name, kind, as_is in cls._fields():
            value = data.get(name)
            if value is not None:
                values[name] = value if type(value) in as_is else _coerce(kind, value)
        try:
            return cls(**values)
        except TypeError as exc:  # a required field missing
            raise DraftUnreadable(str(exc)) from exc

    def to_data(self) -> dict[str, object]:
        """The draft as the chat's state stores it: its fields that are set, as JSON keeps them."""
        data: dict[str, object] = {}
        for name, _, as_is in self._fields():
            value = getattr(self, name)
            if value is not None:
                data[name] = value if type(value) in as_is else _plain(value)
        return data
