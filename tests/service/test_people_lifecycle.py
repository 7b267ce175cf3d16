"""People come and go: the setup file's name stays a person's name, the file can deactivate a person or
a role (and a role it no longer lists stops), `wuye people` lists and deactivates, and whatever someone
held when they stopped is handed on at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from bot.documents.setup_file import read_setup
from handlers.domain.people import RoleKind
from handlers.rules.categories import Category, Urgency
from handlers.services import ladder, people
from handlers.services.setup import apply_setup
from tests.service.world import LI_REPAIR, SETUP, WANG_MANAGER, ZHAO_REPAIR, ZHENG_BUREAU, World


def load_changed(world: World, tmp_path: Path, change: Any) -> Any:
    doc = yaml.safe_load(SETUP.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "setup.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return apply_setup(world.ctx, read_setup(path))


def person(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in doc["people"] if p["key"] == key)


def test_the_setup_files_name_stays_whatever_name_they_chat_under(world: World) -> None:
    again = people.touch_person(world.ctx, ZHENG_BUREAU, "老郑")
    assert again.display_name == "郑处长（区建设局专班）" and again.telegram_name == "老郑"
    stranger = people.touch_person(world.ctx, 300070, "小周")
    renamed = people.touch_person(world.ctx, 300070, "周小周")
    assert (stranger.display_name, renamed.display_name) == ("小周", "周小周")  # not named by the file


def test_the_file_deactivates_a_person_or_a_role_and_what_it_no_longer_lists(
    world: World, tmp_path: Path
) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.ORDINARY)
    assignee = world.ticket(ticket.id or 0).assignee_id
    leaving = "li-repair" if assignee == world.pid(LI_REPAIR) else "zhao-repair"

    def change(doc: dict[str, Any]) -> None:
        person(doc, leaving)["active"] = False
        person(doc, "zhou-committee")["roles"] = [
            {"role": "owner", "estate": "haibin", "unit": "1栋1单元101"}
        ]
        person(doc, "wu-street")["roles"][0]["active"] = False

    report = load_changed(world, tmp_path, change)
    assert sorted(report.deactivated) == sorted(
        [f"{leaving}: staff@haibin", "zhou-committee: committee@haibin", "wu-street: official@jialian-street"]
    )
    with world.ctx.uow() as uow:

        def kinds(telegram_id: int) -> list[RoleKind]:
            found = uow.people.by_telegram_id(telegram_id)
            return [r.kind for r in uow.roles.of_person(found.id or 0)] if found else []

        assert kinds(LI_REPAIR if leaving == "li-repair" else ZHAO_REPAIR) == []
        assert kinds(100031) == [RoleKind.OWNER]  # 周老师 stays an owner, no longer on the committee
        assert kinds(100051) == []
    # The ticket of the one who left went to the project manager, on the record.
    handed = world.ticket(ticket.id or 0)
    assert handed.assignee_id == world.pid(WANG_MANAGER)
    assert "handover" in [e.event.value for e in world.events(ticket.id or 0)]
    # Reloading the unchanged file brings them back (the file is the truth) and says nothing of absence.
    back = apply_setup(world.ctx, read_setup(SETUP))
    assert back.deactivated == [] and back.absent == []


def test_people_missing_from_a_new_file_are_named_not_silently_kept(world: World, tmp_path: Path) -> None:
    report = load_changed(
        world,
        tmp_path,
        lambda doc: doc.update(people=[p for p in doc["people"] if p["key"] != "sun-security"]),
    )
    assert report.absent == ["sun-security"]


def test_reminders_for_someone_who_left_go_to_the_managers(world: World) -> None:
    ticket = world.report(category=Category.LIFT, urgency=Urgency.URGENT)
    assignee = world.ticket(ticket.id or 0).assignee_id
    with world.ctx.uow() as uow:  # their role stops behind the use cases' back: the ladder still knows
        for role in uow.roles.of_person(assignee or 0):
            role.active = False
            uow.roles.save(role)
        uow.commit()
    world.clock.advance(timedelta(hours=6))  # half the urgent time, 16:00: a reminder is due
    ladder.sweep(world.ctx)
    reminded = world.recipients(ticket.id or 0, "ticket.reminder")
    assert reminded and assignee not in reminded and world.pid(WANG_MANAGER) in reminded


# ---- `wuye people` and `wuye invite owners --rotate` ------------------------------------------------
@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in ("WUYE_DATABASE_URL", "WUYE_DATA_DIR", "WUYE_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'wuye.db'}"
    result = CliRunner().invoke(app, ["load", str(SETUP), "--database-url", url])
    assert result.exit_code == 0, result.output
    return url


def test_people_list_and_deactivate_from_the_command_line(database: str) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["people", "list", "--database-url", database])
    assert listed.exit_code == 0
    lines = {line.split("\t")[0]: line for line in listed.output.splitlines()}
    assert "manager@haibin" in lines["wang-manager"] and "\tactive\t" in lines["wang-manager"]
    assert "not on Telegram yet" in lines["he-service"] and "staff (invited)@shangdu" in lines["he-service"]
    done = runner.invoke(app, ["people", "deactivate", "li-repair", "--database-url", database])
    assert done.exit_code == 0 and "1 role(s) stopped" in done.output
    after = runner.invoke(app, ["people", "list", "--database-url", database])
    li = next(line for line in after.output.splitlines() if line.startswith("li-repair"))
    assert "\tinactive\t" in li and "staff@haibin (inactive)" in li
    missing = runner.invoke(app, ["people", "deactivate", "nobody-here", "--database-url", database])
    assert missing.exit_code == 2 and missing.output.count("\n") == 1 and "nobody-here" in missing.output


def test_a_rotated_owner_code_from_the_command_line(database: str) -> None:
    runner = CliRunner()
    before = runner.invoke(app, ["invite", "owners", "--estate", "haibin", "--database-url", database])
    rotated = runner.invoke(
        app, ["invite", "owners", "--estate", "haibin", "--rotate", "--database-url", database]
    )
    assert rotated.exit_code == 0 and "EHB7QK4M9W" in before.output and "EHB7QK4M9W" not in rotated.output
    assert "no longer works" in rotated.output
