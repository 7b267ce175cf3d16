"""Telegram groups bound to a unit, so ticket cards for that unit are also posted there."""

from __future__ import annotations

from handlers.domain import GroupBinding, RoleKind
from handlers.services import access
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError


def bind(ctx: Context, person_id: int, chat_id: int, title: str | None) -> GroupBinding:
    """Bind a group to the binder's unit: their office if they are an official, else their estate."""
    if chat_id > 0:
        raise UserError("bind_in_group")
    with ctx.uow() as uow:
        actor = access.load_actor(uow, person_id)
        offices = sorted(actor.office_ids())
        estates = sorted(
            {r.estate_id for r in actor.roles if r.kind in (RoleKind.STAFF, RoleKind.MANAGER) and r.estate_id}
        )
        if not offices and not estates:
            raise NotAllowed("bind_not_member")
        binding = GroupBinding(
            chat_id=chat_id,
            person_id=person_id,
            created_at=ctx.clock.now(),
            title=(title or "")[:200] or None,
            office_id=offices[0] if offices else None,
            estate_id=None if offices else estates[0],
        )
        uow.groups.put(binding)
        uow.commit()
        return binding


def unbind(ctx: Context, person_id: int, chat_id: int) -> bool:
    """Only a member of the bound unit may unbind it."""
    with ctx.uow() as uow:
        binding = uow.groups.get(chat_id)
        if binding is None:
            return False
        actor = access.load_actor(uow, person_id)
        member = (binding.office_id in actor.office_ids()) or (
            binding.estate_id is not None and actor.is_staff_at(binding.estate_id)
        )
        if not member:
            raise NotAllowed("bind_not_member")
        uow.groups.delete(chat_id)
        uow.commit()
        return True


def forget(ctx: Context, chat_id: int) -> bool:
    """The bot was removed from the group: stop posting there."""
    with ctx.uow() as uow:
        removed = uow.groups.delete(chat_id)
        uow.commit()
        return removed


def unit_name(ctx: Context, binding: GroupBinding) -> str:
    with ctx.uow() as uow:
        if binding.office_id:
            office = uow.offices.get(binding.office_id)
            return office.name if office else "?"
        estate = uow.estates.get(binding.estate_id or 0)
        return estate.name if estate else "?"
