"""The generic repository: one domain record per table row, read and written over one session.

Rows are read and written with plain statements on the session's connection (its transaction), straight
into and out of the domain's dataclasses: the ORM's instances, identity map and unit-of-work flush cost
several times the SQL they run, and every use case goes through here. The session still holds the
transaction, and a repository that keeps ORM objects of its own (policies, group bindings, disclosures)
finds a row written here expired, not stale."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col

from storage.mapping import to_domain, to_row_values
from storage.repositories.statements import Plain, connection_of

D = TypeVar("D")
R = TypeVar("R", bound=SQLModel)


# Each table's statements by id, made the first time a repository of that table runs one.
_PLAIN: dict[tuple[type, str], Plain] = {}


def _plain(row: type, what: str, build: Callable[[Any], Any]) -> Plain:
    found = _PLAIN.get((row, what))
    if found is None:
        t = row.__table__  # type: ignore[attr-defined]
        found = _PLAIN[(row, what)] = Plain(f"{t.name} {what}", lambda _: build(t))
    return found


def _by_id(t: Any) -> Any:
    return sa_select(*t.columns).where(t.c.id == bindparam("id"))


def _insert(t: Any) -> Any:
    columns: dict[str, Any] = {c.name: bindparam(c.name) for c in t.columns if c.name != "id"}
    return t.insert().values(columns).returning(t.c.id)


def _update(t: Any) -> Any:
    columns: dict[str, Any] = {c.name: bindparam(c.name) for c in t.columns if c.name != "id"}
    return t.update().where(t.c.id == bindparam("_id")).values(columns)


class Repository(Generic[D, R]):
    row: type[R]
    domain: type[D]

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _table(self) -> Any:
        return self.row.__table__  # type: ignore[attr-defined]

    def _one(self, *where: Any) -> D | None:
        stmt = sa_select(*self._table.columns).where(*where).limit(1)
        found = connection_of(self.session).execute(stmt).first()
        return to_domain(found, self.domain) if found is not None else None

    def _many(self, *where: Any, order: Any = None, limit: int | None = None) -> list[D]:
        stmt = sa_select(*self._table.columns).where(*where)
        if order is not None:
            stmt = stmt.order_by(*order) if isinstance(order, tuple) else stmt.order_by(order)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_domain(r, self.domain) for r in connection_of(self.session).execute(stmt)]

    def get(self, id: int) -> D | None:
        found = _plain(self.row, "by id", _by_id).first(self.session, {"id": id})
        return to_domain(found, self.domain) if found is not None else None

    def add(self, item: D) -> D:
        values = to_row_values(item)
        values.pop("id")
        item.id = _plain(self.row, "insert", _insert).first(self.session, values)[0]  # type: ignore[attr-defined]
        return item

    def save(self, item: D) -> D:
        values = to_row_values(item)
        values["_id"] = values.pop("id")
        if _plain(self.row, "update", _update).run(self.session, values) != 1:
            raise LookupError(f"{self._table.name} {values['_id']} does not exist")
        self._forget(values["_id"])
        return item

    def _forget(self, id: Any) -> None:
        """The row changed behind the ORM's back: if this session holds it as an object, expire it."""
        held = self.session.identity_map.get(self.session.identity_key(self.row, id))
        if held is not None:
            self.session.expire(held)

    def all(self) -> list[D]:
        return self._many(order=col(self.row.id))  # type: ignore[attr-defined]


class MemoisedRepository(Repository[D, R]):
    """Reference data read many times in one unit of work (a card names the estate, the access check
    walks the office chain, the next card again): `get` reads each id once per unit of work. A save
    through this repository replaces what it remembers; each caller gets its own copy."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._seen: dict[int, D | None] = {}

    def get(self, id: int) -> D | None:
        if id not in self._seen:
            self._seen[id] = super().get(id)
        found = self._seen[id]
        return copy.copy(found) if found is not None else None

    def all(self) -> list[D]:
        """Every row, each then remembered as `get` would (a scope of 500 estates is read once)."""
        found = super().all()
        self._seen.update({item.id: copy.copy(item) for item in found})  # type: ignore[attr-defined]
        return found

    def add(self, item: D) -> D:
        added = super().add(item)
        self._seen.pop(added.id, None)  # type: ignore[attr-defined]
        return added

    def save(self, item: D) -> D:
        self._seen.pop(item.id, None)  # type: ignore[attr-defined]
        return super().save(item)


class KeyedRepository(Repository[D, R]):
    def by_key(self, key: str) -> D | None:
        return self._one(col(self.row.key) == key)  # type: ignore[attr-defined]
