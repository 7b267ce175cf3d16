"""Command menus by role: who sees which commands, in which language (pure, no database)."""

from __future__ import annotations

import re

import pytest

from bot.telegram.menu import MENU_LANGUAGES, menu
from handlers.conversations.core import COMMANDS
from handlers.conversations.menus import menu_commands, menu_for, set_menu, stranger_menu
from handlers.domain.people import Person, Role, RoleKind
from handlers.services.access import Actor
from handlers.text import LANGUAGES
from tests.support.translations import shared_translations

COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")  # Telegram's rule for a menu command
TAIL = ["language", "privacy", "cancel", "help"]


def actor(*roles: Role) -> Actor:
    return Actor(Person("someone", telegram_id=1, id=7), list(roles))


def department(*roles: Role) -> Actor:
    """Someone whose offices are all government departments: no area, so no figures and no ledger."""
    return Actor(
        Person("someone", telegram_id=1, id=7), list(roles), frozenset(r.office_id or 0 for r in roles)
    )


OWNER = Role(7, RoleKind.OWNER, estate_id=1, unit="3栋2单元501")
STAFF = Role(7, RoleKind.STAFF, estate_id=1, company_id=1)
MANAGER = Role(7, RoleKind.MANAGER, estate_id=1, company_id=1)
OFFICIAL = Role(7, RoleKind.OFFICIAL, office_id=4)
COMMITTEE = Role(7, RoleKind.COMMITTEE, estate_id=1)


def names(commands: list[tuple[str, str]]) -> list[str]:
    return [c for c, _ in commands]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, ["join", *TAIL]),
        (actor(), ["join", *TAIL]),
        (actor(OWNER), ["report", "my", "revenue", "web", *TAIL]),
        (actor(STAFF), ["tasks", "revenue", "web", *TAIL]),
        (actor(MANAGER), ["tasks", "team", "revenue_template", "revenue", "ledger", "stats", "web", *TAIL]),
        (
            actor(OFFICIAL),
            ["area", "overdue", "supervision", "disclosure", "ledger", "reports", "stats", "web", *TAIL],
        ),
        (department(OFFICIAL), ["area", "overdue", "supervision", "disclosure", "web", *TAIL]),
        (actor(COMMITTEE, OWNER), ["report", "my", "revenue", "stats", "web", *TAIL]),
        (actor(STAFF, OWNER), ["report", "my", "tasks", "revenue", "web", *TAIL]),
        (
            actor(MANAGER, STAFF, OFFICIAL),
            [
                "tasks",
                "team",
                "revenue_template",
                "revenue",
                "area",
                "overdue",
                "supervision",
                "disclosure",
                "ledger",
                "reports",
                "stats",
                "web",
                *TAIL,
            ],
        ),
    ],
    ids=[
        "nobody",
        "stranger",
        "owner",
        "staff",
        "manager",
        "official",
        "department-official",
        "committee-owner",
        "staff-owner",
        "everything",
    ],
)
def test_each_role_sees_its_own_commands_then_the_common_ones(who: Actor | None, expected: list[str]) -> None:
    assert names(menu_commands(who)) == expected


def test_only_strangers_are_offered_join_and_nobody_else_sees_role_commands_they_lack() -> None:
    owner = names(menu_commands(actor(OWNER)))
    assert "join" not in owner and "tasks" not in owner and "area" not in owner
    staff = names(menu_commands(actor(STAFF)))
    assert "team" not in staff and "report" not in staff and "revenue_template" not in staff
    official = names(menu_commands(actor(OFFICIAL)))
    assert "revenue" not in official and "tasks" not in official
    # the figures are for officials, managers and committee members, not for owners or line staff
    assert "stats" not in names(menu_commands(actor(OWNER))) and "stats" not in staff


def test_every_menu_command_is_one_the_core_handles() -> None:
    everything = menu_commands(actor(OWNER, MANAGER, STAFF, OFFICIAL)) + menu_commands(None)
    for command, _ in everything:
        assert command in COMMANDS, command
        assert COMMAND.match(command), command


@pytest.mark.parametrize("lang", LANGUAGES)
def test_menus_are_translated_and_within_telegrams_limits(lang: str) -> None:
    translations = shared_translations()
    tr = translations.for_lang(lang)  # type: ignore[arg-type]
    for who in (None, actor(OWNER), actor(STAFF, MANAGER), actor(OFFICIAL)):
        shown = menu_for(who, tr)
        assert names(shown) == names(menu_commands(who))
        for (_, description), (_, msgid) in zip(shown, menu_commands(who), strict=True):
            assert 1 <= len(description) <= 256
            assert description == tr.gettext(msgid)


def test_the_owner_menu_in_traditional_chinese_differs_from_simplified() -> None:
    translations = shared_translations()
    hans = menu_for(actor(OWNER), translations.for_lang("zh_Hans"))
    hant = menu_for(actor(OWNER), translations.for_lang("zh_Hant"))
    en = menu_for(actor(OWNER), translations.for_lang("en"))
    report = {"zh_Hans": dict(hans)["report"], "zh_Hant": dict(hant)["report"], "en": dict(en)["report"]}
    assert report["en"] == "Report a problem"
    assert len(set(report.values())) == 3, report  # 反映问题 / 反映問題 / Report a problem


def test_set_menu_carries_the_chat_and_the_translated_commands() -> None:
    tr = shared_translations().for_lang("en")
    out = set_menu(200003, actor(OWNER), tr)
    assert out.chat_id == 200003
    assert out.commands == menu_for(actor(OWNER), tr)


def test_the_default_menus_are_the_strangers_menu_per_client_language() -> None:
    translations = shared_translations()
    assert set(MENU_LANGUAGES) == {None, "zh", "en"}
    for code, lang in MENU_LANGUAGES.items():
        tr = translations.for_lang(lang)  # type: ignore[arg-type]
        assert menu(tr) == stranger_menu(tr), code
        assert names(menu(tr)) == ["join", *TAIL]


def test_a_command_without_a_step_or_a_step_without_an_entry_is_refused() -> None:
    from handlers.conversations import core, registry

    assert set(core.COMMANDS) == registry.NAMES
    with pytest.raises(RuntimeError, match="planted"):
        core.dispatch_table({**core.STEPS, "planted": core.cancel}, registry.NAMES)
    with pytest.raises(RuntimeError, match="help"):
        core.dispatch_table({k: v for k, v in core.STEPS.items() if k != "help"}, registry.NAMES)


def test_help_lists_what_the_menu_lists() -> None:
    from handlers.conversations import registry

    for roles in ([OWNER], [STAFF], [MANAGER], [OFFICIAL], []):
        person = actor(*roles) if roles else None
        in_menu = [name for name, _ in menu_commands(person)]
        in_help = [c.name for c in registry.for_actor(person) if c.help]
        assert in_help == [n for n in in_menu if n != "help"]


def test_a_groups_commands_are_the_registrys_too() -> None:
    from handlers.conversations import core, registry

    assert list(core.COMMANDS_IN_GROUPS) == [c.name for c in registry.IN_GROUPS]
    with pytest.raises(RuntimeError, match="planted"):
        core.dispatch_table(
            {**core.STEPS_IN_GROUPS, "planted": core.cancel}, registry.GROUP_NAMES, registry.IN_GROUPS
        )
