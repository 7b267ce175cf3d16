"""Every command of a private chat, once: who it is for, its line in the Telegram menu and in /help.

The menus (handlers/conversations/menus.py) and /help (welcome.help_) are drawn from this list, and
the core's dispatch table is built from it (core.COMMANDS: a command listed here without a step, or a
step without an entry here, stops the import). Adding a command is one entry here and its step there.
Group chats have their own commands, listed the same way in IN_GROUPS (their /help, group.help_, and
core.COMMANDS_IN_GROUPS are drawn from it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.domain.people import RoleKind
from handlers.services.access import Actor
from handlers.text import N_

Audience = Callable[[Actor | None], bool]


def _kinds(actor: Actor | None) -> set[RoleKind]:
    return {r.kind for r in actor.roles} if actor is not None else set()


def owners(actor: Actor | None) -> bool:
    return RoleKind.OWNER in _kinds(actor)


def staff(actor: Actor | None) -> bool:
    return bool(_kinds(actor) & {RoleKind.STAFF, RoleKind.MANAGER})


def managers(actor: Actor | None) -> bool:
    return RoleKind.MANAGER in _kinds(actor)


def at_an_estate(actor: Actor | None) -> bool:
    """Anyone with a role at an estate (owners, staff, managers, committee members): not officials."""
    return actor is not None and any(r.estate_id for r in actor.roles if r.kind is not RoleKind.OFFICIAL)


def officials(actor: Actor | None) -> bool:
    return actor is not None and bool(actor.office_ids())


def area_officials(actor: Actor | None) -> bool:
    """Officials of a community, a street or the district: a department's officials act on the cases handed to
    them and govern no area, so they have no figures or ledger of one."""
    return actor is not None and bool(actor.area_office_ids())


def managers_and_area_officials(actor: Actor | None) -> bool:
    return managers(actor) or area_officials(actor)


def readers_of_figures(actor: Actor | None) -> bool:
    """An official's area, a manager's company, a committee member's estate."""
    return area_officials(actor) or bool(_kinds(actor) & {RoleKind.MANAGER, RoleKind.COMMITTEE})


def with_roles(actor: Actor | None) -> bool:
    return actor is not None and bool(actor.roles)


def strangers(actor: Actor | None) -> bool:
    return actor is None or not actor.roles


def everyone(_actor: Actor | None) -> bool:
    return True


def nobody(_actor: Actor | None) -> bool:
    return False


@dataclass(frozen=True)
class Command:
    name: str
    audience: Audience
    menu: str | None  # the menu's description (untranslated); None: not in the menu
    help: str | None  # the /help line (untranslated); None: not in /help


# In the order the menu and /help list them: the roles' commands first, then everyone's.
REGISTRY: tuple[Command, ...] = (
    Command("start", nobody, None, None),  # Telegram's own first message; the deep link's invite
    Command("report", owners, N_("Report a problem"), N_("/report – report a problem")),
    Command("my", owners, N_("My reports"), N_("/my – my reports and their progress")),
    Command("tasks", staff, N_("My open tickets (staff)"), N_("/tasks – my open tickets by deadline")),
    Command(
        "team",
        managers,
        N_("Estate's open tickets (managers)"),
        N_("/team – every open ticket of the estate; assign and reassign"),
    ),
    Command(
        "revenue_template",
        managers,
        N_("Public revenue: the template to publish"),
        N_("/revenue_template – the disclosure template; send it back filled in to publish"),
    ),
    Command(
        "revenue",
        at_an_estate,
        N_("Public revenue of my estate"),
        N_("/revenue – the public revenue of my estate, quarter by quarter"),
    ),
    Command(
        "area", officials, N_("Open tickets in my area (officials)"), N_("/area – open tickets in my area")
    ),
    Command(
        "overdue",
        officials,
        N_("Overdue tickets in my area (officials)"),
        N_("/overdue – what is overdue in my area"),
    ),
    Command(
        "supervision",
        officials,
        N_("Listed for supervision in my area (officials)"),
        N_(
            "/supervision – what in my area is listed for supervision by the district housing "
            "bureau (挂牌督办)"
        ),
    ),
    Command(
        "disclosure",
        officials,
        N_("Who in my area published public revenue"),
        N_("/disclosure – who in my area published public revenue on time"),
    ),
    Command(
        "ledger",
        managers_and_area_officials,
        N_("Monthly ledger (台账) as a spreadsheet"),
        N_("/ledger 2026-11 – the month's ledger (台账) as a spreadsheet"),
    ),
    Command(
        "reports",
        area_officials,
        N_("Who has sent the monthly ledger (台账)"),
        N_(
            "/reports [2026-11] – which offices (mine and those below) have sent the month's ledger "
            "(台账), and which not yet"
        ),
    ),
    Command(
        "stats",
        readers_of_figures,
        N_("Figures and rankings: response, on time, satisfaction"),
        N_(
            "/stats [2026-11] – the month's figures (response, on time, satisfaction) and rankings "
            "of my area, company or estate; also a quarter (2026Q3) or days (2026-11-01..2026-11-15)"
        ),
    ),
    Command(
        "web",
        with_roles,
        N_("Sign in on the web pages"),
        N_("/web – a one-time code to sign in on the web pages (tables, filters, downloads)"),
    ),
    Command(
        "join",
        strangers,
        N_("Join your estate with its code"),
        N_("/join CODE – join your estate with the code from the notice board"),
    ),
    Command("language", everyone, N_("Change the language"), N_("/language – change the language")),
    Command(
        "privacy", everyone, N_("My data and deleting it"), N_("/privacy – what I store about you; delete it")
    ),
    Command("cancel", everyone, N_("Leave what you are doing"), N_("/cancel – leave what you are doing")),
    Command("help", everyone, N_("What I can do"), None),
)

NAMES = frozenset(c.name for c in REGISTRY)

# A group chat's commands, in the order its /help lists them (a group gets no menu of its own).
IN_GROUPS: tuple[Command, ...] = (
    Command(
        "bind",
        everyone,
        None,
        N_("/bind – post this unit's ticket cards here (project managers and officials)"),
    ),
    Command("unbind", everyone, None, N_("/unbind – stop posting here")),
    Command("cancel", everyone, None, N_("/cancel – drop a question you started here with a button")),
    Command("help", everyone, None, None),
)

GROUP_NAMES = frozenset(c.name for c in IN_GROUPS)


def for_actor(actor: Actor | None) -> list[Command]:
    """The commands this person has, in the registry's order (None, or nobody with roles: a stranger)."""
    return [c for c in REGISTRY if c.audience(actor)]
