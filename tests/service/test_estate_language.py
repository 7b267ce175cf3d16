"""Someone who never chose a language reads their estate's: in their chats and in every notice, such as
a manager or a repairman loaded from the setup file who never pressed /start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.documents.setup_file import read_setup
from handlers.conversations.io import Kind
from handlers.services.setup import apply_setup
from handlers.services.setup_document import SetupError
from tests.service.talk import Talk
from tests.service.world import HO_OWNER, LI_REPAIR, SETUP, SMITH_OWNER, WANG_MANAGER, World


def set_estate_language(world: World, key: str, language: str) -> None:
    with world.ctx.uow() as uow:
        estate = uow.estates.by_key(key)
        assert estate is not None
        estate.language = language
        uow.estates.save(estate)
        uow.commit()


def language_of(world: World, telegram_id: int) -> str | None:
    with world.ctx.uow() as uow:
        person = uow.people.by_telegram_id(telegram_id)
        assert person is not None
        return person.language


async def test_a_repairman_who_never_chose_a_language_is_sent_notices_in_the_estate_language(
    world: World,
) -> None:
    assert language_of(world, LI_REPAIR) is None  # the setup file names no language for 李师傅
    set_estate_language(world, "haibin", "zh_Hant")
    talk = Talk(world.ctx)
    world.report()  # a lift report at 海滨花园: a new ticket for the repairman on duty
    await talk.outbox.drain()
    to_him = [s.text for s in talk.seen if s.chat_id == LI_REPAIR]
    assert to_him and all("您有新工單" in text for text in to_him), to_him


async def test_the_estate_language_is_the_default_where_the_file_names_none(world: World) -> None:
    talk = Talk(world.ctx)
    world.report()
    await talk.outbox.drain()
    to_him = [s.text for s in talk.seen if s.chat_id == LI_REPAIR]
    assert to_him and all("您有新工单" in text for text in to_him), to_him


async def test_a_chosen_language_wins_over_the_estate_language(world: World) -> None:
    set_estate_language(world, "qianpu", "zh_Hant")
    talk = Talk(world.ctx)
    await talk.command(SMITH_OWNER, "help")  # Mr Smith chose English in the setup file
    assert "/cancel – leave what you are doing" in talk.seen[-1].text


async def test_in_a_chat_the_estate_language_wins_over_the_telegram_app_language(world: World) -> None:
    set_estate_language(world, "haibin", "en")
    talk = Talk(world.ctx)
    await talk.handle(WANG_MANAGER, Kind.COMMAND, command="help", text="", language_code="zh-hans")
    assert "/cancel – leave what you are doing" in talk.seen[-1].text
    # A stranger, with no estate, still reads their app's language.
    await talk.handle(9_000_001, Kind.COMMAND, command="help", text="", language_code="zh-hant")
    assert "/language – 切換語言" in talk.seen[-1].text


def _setup_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SETUP.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "setup.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_setup_file_sets_an_estate_language_and_refuses_one_the_bot_does_not_speak(
    world: World, tmp_path: Path
) -> None:
    path = _setup_with(tmp_path, "    language: zh_Hans              #", "    language: en #")
    apply_setup(world.ctx, read_setup(path))
    with world.ctx.uow() as uow:
        languages = {e.key: e.language for e in uow.estates.all()}
    assert languages == {"haibin": "zh_Hans", "shangdu": "zh_Hans", "qianpu": "en"}

    bad = _setup_with(tmp_path, "    language: zh_Hans              #", "    language: fr #")
    with pytest.raises(SetupError, match="estates.language.*'fr' is not one of zh_Hans, zh_Hant, en"):
        apply_setup(world.ctx, read_setup(bad))
    bad = _setup_with(tmp_path, "    language: zh_Hant\n", "    language: zh-TW\n")
    with pytest.raises(SetupError, match="people.language.*'zh-TW' is not one of"):
        apply_setup(world.ctx, read_setup(bad))
    with world.ctx.uow() as uow:  # the refused files changed nothing
        assert {e.key: e.language for e in uow.estates.all()} == languages
    assert language_of(world, HO_OWNER) == "zh_Hant"
