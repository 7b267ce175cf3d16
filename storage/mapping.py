"""Turns table rows into the domain's dataclasses and back, coercing stored codes into enums."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any, TypeVar

from sqlmodel import SQLModel

D = TypeVar("D")
R = TypeVar("R", bound=SQLModel)


# Memoised by hand: mypy does not count a class as Hashable for functools.cache.
_ENUM_FIELDS: dict[type, dict[str, type[enum.Enum]]] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _enum_fields(cls: type) -> dict[str, type[enum.Enum]]:
    if cls in _ENUM_FIELDS:
        return _ENUM_FIELDS[cls]
    hints = typing.get_type_hints(cls)
    found: dict[str, type[enum.Enum]] = {}
    for name, hint in hints.items():
        candidates = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        for c in candidates:
            if isinstance(c, type) and issubclass(c, enum.Enum):
                found[name] = c
    _ENUM_FIELDS[cls] = found
    return found


def _field_names(cls: type) -> tuple[str, ...]:
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return _FIELD_NAMES[cls]


_MEMBERS: dict[type, tuple[tuple[str, type[enum.Enum], dict[Any, enum.Enum]], ...]] = {}


def _members(cls: type) -> tuple[tuple[str, type[enum.Enum], dict[Any, enum.Enum]], ...]:
    """Each enumerated field of `cls`, its enumeration and its members by stored value: a member is looked
    up, not constructed (Enum(value) costs a microsecond, and a ticket has four)."""
    if cls not in _MEMBERS:
        fields = _enum_fields(cls).items()
        _MEMBERS[cls] = tuple((name, kind, {m.value: m for m in kind}) for name, kind in fields)
    return _MEMBERS[cls]


def to_domain(row: Any, cls: type[D]) -> D:
    values: dict[str, Any] = {name: getattr(row, name) for name in _field_names(cls)}
    for name, kind, members in _members(cls):
        value = values.get(name)
        if value is not None:
            found = members.get(value)
            values[name] = found if found is not None else kind(value)  # not a value: its ValueError
    return cls(**values)


def to_row_values(item: Any) -> dict[str, Any]:
    values = {}
    for name in _field_names(type(item)):
        value = getattr(item, name)
        values[name] = value.value if isinstance(value, enum.Enum) else value
    return values


def copy_into(row: SQLModel, item: Any) -> None:
    for name, value in to_row_values(item).items():
        if name != "id":
            setattr(row, name, value)
