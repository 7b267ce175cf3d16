"""The generic repository: one domain record per table row, read and written over one session."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlmodel import Session, SQLModel, col, select

from storage.mapping import copy_into, to_domain, to_row_values

D = TypeVar("D")
R = TypeVar("R", bound=SQLModel)


class _Repository(Generic[D, R]):
    row: type[R]
    domain: type[D]

    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, *where: Any) -> D | None:
        row = self.session.exec(select(self.row).where(*where)).first()
        return to_domain(row, self.domain) if row is not None else None

    def _many(self, *where: Any, order: Any = None, limit: int | None = None) -> list[D]:
        stmt = select(self.row).where(*where)
        if order is not None:
            stmt = stmt.order_by(*order) if isinstance(order, tuple) else stmt.order_by(order)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_domain(r, self.domain) for r in self.session.exec(stmt).all()]

    def get(self, id: int) -> D | None:
        row = self.session.get(self.row, id)
        return to_domain(row, self.domain) if row is not None else None

    def add(self, item: D) -> D:
        row = self.row(**to_row_values(item))
        self.session.add(row)
        self.session.flush()
        item.id = row.id  # type: ignore[attr-defined]
        return item

    def save(self, item: D) -> D:
        row = self.session.get(self.row, item.id)  # type: ignore[attr-defined]
        if row is None:
            raise LookupError(f"{self.row.__tablename__} {item.id} does not exist")  # type: ignore[attr-defined]
        copy_into(row, item)
        self.session.flush()
        return item

    def all(self) -> list[D]:
        return self._many(order=col(self.row.id))  # type: ignore[attr-defined]


class _Keyed(_Repository[D, R]):
    def by_key(self, key: str) -> D | None:
        return self._one(col(self.row.key) == key)  # type: ignore[attr-defined]
