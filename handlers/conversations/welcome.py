"""The greeting: /start (with a code, joining an estate or taking a role), /join, /help.

Here rather than in core.py or owner.py so that neither imports the other: the core routes commands to
these, and /join hands an owner's code to owner.begin_join.
"""

from __future__ import annotations

from handlers.conversations import owner, revenue
from handlers.conversations.errors import explain
from handlers.conversations.turn import Turn
from handlers.domain import RoleKind
from handlers.services import people
from handlers.services.access import Actor
from handlers.services.errors import UserError


def start(turn: Turn) -> None:
    code = turn.inc.text.strip()
    if code:
        try:
            found = people.look_up_code(turn.ctx, turn.person_id, code)
        except UserError as exc:
            turn.say(explain(turn.tr, exc))
            return
        if found.kind == "owner":
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
    actor = turn.actor()
    lines = []
    if actor.owner_roles():
        lines += [turn.t("/report – report a problem"), turn.t("/my – my reports and their progress")]
    if any(r.kind in (RoleKind.STAFF, RoleKind.MANAGER) for r in actor.roles):
        lines.append(turn.t("/tasks – my open tickets by deadline"))
    if actor.has(RoleKind.MANAGER):
        lines.append(turn.t("/team – every open ticket of the estate; assign and reassign"))
    if actor.office_ids():
        lines.append(turn.t("/area – open tickets in my area"))
        lines.append(turn.t("/overdue – what is overdue in my area"))
        lines.append(
            turn.t(
                "/supervision – what in my area is listed for supervision by the district housing "
                "bureau (挂牌督办)"
            )
        )
    if actor.office_ids() or actor.has(RoleKind.MANAGER):
        lines.append(turn.t("/ledger 2026-11 – the month's ledger (台账) as a spreadsheet"))
    if not actor.roles:
        lines.append(turn.t("/join CODE – join your estate with the code from the notice board"))
    lines += revenue.help_lines(turn, actor)
    lines += [
        turn.t("/language – change the language"),
        turn.t("/privacy – what I store about you; delete it"),
        turn.t("/cancel – leave what you are doing"),
    ]
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
    if found.kind != "owner":
        start(turn)
        return
    owner.begin_join(turn, code, found.estate_name or "")
