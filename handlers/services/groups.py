"""Telegram groups bound to a unit, so ticket cards for that unit are also posted there.

Only a project manager binds a group for their company's estate, only an official for their office; the
unit's other managers or officials are told who bound which group, and any of them can unbind it. A
group that looks public (it has a @username anyone can find) is never bound: cards carry complaints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.domain.notifications import GroupBinding, NoticeKind, Notification
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Ticket
from handlers.ports import UnitOfWork
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, NotFound, UserError
from handlers.services.notify import notification_key


@dataclass(frozen=True)
class Unit:
    """What a group can be bound to: an estate (its company's staff) or an office."""

    kind: str  # "e" estate | "o" office
    id: int
    name: str

    @property
    def code(self) -> str:
        return f"{self.kind}{self.id}"


def bindable_units(uow: UnitOfWork, actor: Actor) -> list[Unit]:
    """The estates this person manages for their company, and the offices they belong to."""
    units: list[Unit] = []
    for estate_id in sorted({r.estate_id for r in actor.roles if r.kind is RoleKind.MANAGER and r.estate_id}):
        estate = uow.estates.get(estate_id)
        if estate is not None and access.manages_for_company(actor, estate):
            units.append(Unit("e", estate_id, estate.name))
    for office_id in sorted(actor.office_ids()):
        office = uow.offices.get(office_id)
        if office is not None:
            units.append(Unit("o", office_id, office.name))
    return units


def units_of(ctx: Context, person_id: int) -> list[Unit]:
    with ctx.uow() as uow:
        return bindable_units(uow, access.load_actor(uow, person_id))


def bind(
    ctx: Context, person_id: int, chat_id: int, title: str | None, public: bool, unit: str | None = None
) -> Unit:
    """Bind the group to one of the binder's units (`unit` is a Unit.code; needed when they have
    several: UserError "bind_choose" otherwise)."""
    if chat_id > 0:
        raise UserError("bind_in_group")
    if public:
        raise UserError("bind_public_group")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        units = bindable_units(uow, actor)
        if not units:
            raise NotAllowed("bind_not_member")
        chosen = [u for u in units if unit is None or u.code == unit]
        if not chosen:
            raise NotAllowed("bind_not_member")
        if len(chosen) > 1:
            raise UserError("bind_choose")
        target = chosen[0]
        current = uow.groups.get(chat_id)
        if (
            current is not None
            and binding_stands(uow, current)
            and _unit_of(current) not in {u.code for u in units}
        ):
            raise NotAllowed("bind_taken")
        binding = GroupBinding(
            chat_id=chat_id,
            person_id=person_id,
            created_at=now,
            title=(title or "")[:200] or None,
            office_id=target.id if target.kind == "o" else None,
            estate_id=target.id if target.kind == "e" else None,
        )
        uow.groups.put(binding)
        _tell_unit(uow, now, NoticeKind.GROUP_BOUND, binding, person_id)
        uow.commit()
        return target


def unbind(ctx: Context, person_id: int, chat_id: int) -> bool:
    """Any manager of the estate (or official of the office) the group is bound to may unbind it."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        binding = uow.groups.get(chat_id)
        if binding is None:
            return False
        actor = access.load_actor(uow, person_id)
        if _unit_of(binding) not in {u.code for u in bindable_units(uow, actor)}:
            raise NotAllowed("unbind_not_member")
        uow.groups.delete(chat_id)
        _tell_unit(uow, now, NoticeKind.GROUP_UNBOUND, binding, person_id)
        uow.commit()
        return True


def forget(ctx: Context, chat_id: int) -> bool:
    """The bot was removed from the group: stop posting there."""
    with ctx.uow() as uow:
        removed = uow.groups.delete(chat_id)
        uow.commit()
        return removed


def unit_name_in(uow: UnitOfWork, binding: GroupBinding) -> str:
    if binding.office_id:
        office = uow.offices.get(binding.office_id)
        return office.name if office else "?"
    estate = uow.estates.get(binding.estate_id or 0)
    return estate.name if estate else "?"


def unit_members(uow: UnitOfWork, binding: GroupBinding) -> list[int]:
    """Who answers for a binding: the estate's project managers, or the office's officials."""
    if binding.estate_id is not None:
        estate = uow.estates.get(binding.estate_id)
        roles = uow.roles.at_estate(binding.estate_id, RoleKind.MANAGER)
        return sorted({r.person_id for r in roles if estate and r.company_id in (None, estate.company_id)})
    return sorted({r.person_id for r in uow.roles.at_office(binding.office_id or 0)})


def _unit_of(binding: GroupBinding) -> str:
    return f"o{binding.office_id}" if binding.office_id is not None else f"e{binding.estate_id}"


def _tell_unit(uow: UnitOfWork, now: datetime, kind: NoticeKind, binding: GroupBinding, by: int) -> None:
    """Tell the unit's managers (or officials) who bound or unbound which group, with a way to undo."""
    params = {"chat_id": binding.chat_id, "title": binding.title or "", "by": by, "unit": _unit_of(binding)}
    for person_id in unit_members(uow, binding):
        if person_id == by:
            continue
        uow.notifications.add(
            Notification(
                key=notification_key(kind, person_id, tag=f"{binding.chat_id}:{now.isoformat()}"),
                person_id=person_id,
                kind=kind,
                params=params,
                created_at=now,
            )
        )


def binding_stands(uow: UnitOfWork, binding: GroupBinding) -> bool:
    """A group binding holds only while whoever bound it may still bind it: a project manager of the
    estate, an official of the office. Someone who left takes their groups with them."""
    try:
        binder = access.load_actor(uow, binding.person_id)
    except NotFound:
        return False
    if binding.estate_id is not None:
        estate = uow.estates.get(binding.estate_id)
        return estate is not None and access.manages_for_company(binder, estate)
    return binding.office_id is not None and binding.office_id in binder.office_ids()


def binding_covers(uow: UnitOfWork, binding: GroupBinding, ticket: Ticket) -> bool:
    """The group's unit has the ticket: its estate's company, an office over the estate, or the
    department that has the case."""
    if binding.estate_id is not None:
        return binding.estate_id == ticket.estate_id
    if binding.office_id is None:
        return False
    if binding.office_id == ticket.department_office_id and ticket.status in access.DEPARTMENT_SEES:
        return True
    estate = uow.estates.get(ticket.estate_id)
    return estate is not None and any(
        o.id == binding.office_id for o in access.supervising_offices(uow, estate)
    )
