"""The greeting: /start (with a code, joining an estate or taking a role), /join, /help.

Here rather than in core.py or owner.py so that neither imports the other: the core routes commands to
these, and /join hands an owner's code to owner.begin_join.
"""

from __future__ import annotations

from handlers.conversations import owner, registry
from handlers.conversations.errors import explain
from handlers.conversations.turn import Turn
from handlers.domain.people import RoleKind
from handlers.services import people
from handlers.services.access import Actor
from handlers.services.errors import UserError
from handlers.services.people import InviteKind


def start(turn: Turn) -> None:
    code = turn.inc.text.strip()
    if code:
        try:
            found = people.look_up_code(turn.ctx, turn.person_id, code)
        except UserError as exc:
            turn.say(explain(turn.tr, exc))
            return
        if found.kind is InviteKind.OWNER:
            owner.begin_join(turn, code, found.estate_name or "")
            return
        role = people.redeem_invite(turn.ctx, turn.person_id, code)
        turn.say(
            turn.t(
                "Welcome! Registered as: {role}{where}.",
                role=_role_name(turn, role.kind),
                where=(" · " + found.estate_name) if found.estate_name else "",
            )
        )
        help_(turn)
        return
    turn.say(
        turn.t(
            "Hello, I am the estate's front desk. I take owners' reports to the property "
            "company, keep the deadlines and tell the community, street and district when "
            "a problem is not dealt with in time."
        )
    )
    help_(turn)


def _role_name(turn: Turn, kind: RoleKind) -> str:
    from handlers.conversations.labels import ROLE, label

    return label(turn.tr, ROLE, kind)


def help_(turn: Turn) -> None:
    """What this person can do here (their commands, from the registry) and whom to phone."""
    actor = turn.actor()
    lines = [turn.t(c.help) for c in registry.for_actor(actor) if c.help]
    lines += _company_phones(turn, actor)
    turn.say("\n".join(lines))


def _company_phones(turn: Turn, actor: Actor) -> list[str]:
    """An owner's property company and its phone, from the setup file: who to call when it is urgent."""
    found: list[str] = []
    with turn.ctx.uow() as uow:
        for estate_id in dict.fromkeys(r.estate_id for r in actor.owner_roles() if r.estate_id):
            estate = uow.estates.get(estate_id)
            company = uow.companies.get(estate.company_id) if estate is not None else None
            if estate is not None and company is not None and company.phone:
                found.append(
                    turn.t(
                        "{estate}: {company}, phone {phone}",
                        estate=estate.name,
                        company=company.name,
                        phone=company.phone,
                    )
                )
    return ["", *found] if found else []


def join_command(turn: Turn) -> None:
    code = turn.inc.text.strip()
    if not code:
        turn.say(
            turn.t("Send /join followed by the code on your estate's notice board, e.g. /join EAB2CD3EF4.")
        )
        return
    try:
        found = people.look_up_code(turn.ctx, turn.person_id, code)
    except UserError as exc:
        turn.say(explain(turn.tr, exc))
        return
    if found.kind is not InviteKind.OWNER:
        start(turn)
        return
    owner.begin_join(turn, code, found.estate_name or "")
