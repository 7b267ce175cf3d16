"""The webhook door against bodies that are not well-formed updates, on python-telegram-bot and aiogram:
each is answered 400 (415 for a body that is not JSON by its Content-Type), logged in one line without
a traceback, and changes nothing; Telegram retries a 500 for ever, so none may escape as one. A correct
update is still taken with 200 and answered."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.harness import DOORS, OWNER_HANS, SECRET, Door, Wuye, text_of
from tests.support.botapi import StandInBotAPI

pytestmark = pytest.mark.e2e

WEBHOOK_DOORS = [d for d in DOORS if d.webhook]
DEEP = 10_000


@pytest.fixture(scope="module")
def example_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    loader = Wuye(StandInBotAPI(), WEBHOOK_DOORS[0], folder)
    loader.load_example()
    loader.close()
    return folder / "wuye.db"


@pytest.fixture(params=WEBHOOK_DOORS, ids=lambda d: d.id)
async def wuye(
    request: pytest.FixtureRequest, botapi: StandInBotAPI, tmp_path: Path, example_database: Path
) -> AsyncIterator[Wuye]:
    door: Door = request.param
    app = Wuye(botapi, door, tmp_path)
    app.load_example(example_database)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        app.close()


def changed(update: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> bytes:
    body = copy.deepcopy(update)
    change(body)
    return json.dumps(body).encode()


def bodies(botapi: StandInBotAPI) -> dict[str, tuple[bytes, str, int]]:
    """name -> (body, Content-Type, the status it must get)."""
    good = botapi.make_command(OWNER_HANS, "help")
    message = good["message"]

    def at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def put(body: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            target = body
            for name in parents:
                target = target[name]
            target[last] = value

        return put

    json_type = "application/json"
    return {
        "message is a number": (b'{"update_id": 7, "message": 5}', json_type, 400),
        "a list": (b"[1, 2, 3]", json_type, 400),
        "a string": (b'"update"', json_type, 400),
        "not JSON": (b"{not json", json_type, 400),
        "not UTF-8": (b'{"update_id": 7, "x": "\xff"}', json_type, 400),
        "NaN": (b'{"update_id": 7, "x": NaN}', json_type, 400),
        f"{DEEP}-deep list": (b"[" * DEEP + b"]" * DEEP, json_type, 400),
        f"{DEEP}-deep update": (
            b'{"update_id": 7, "message": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
            json_type,
            400,
        ),
        "update_id 10**30": (changed(good, at("update_id", 10**30)), json_type, 400),
        "update_id -1": (changed(good, at("update_id", -1)), json_type, 400),
        "update_id true": (changed(good, at("update_id", True)), json_type, 400),
        "no update_id": (json.dumps({"message": message}).encode(), json_type, 400),
        "chat id beyond 64 bits": (changed(good, at("message.chat.id", 2**64)), json_type, 400),
        "user id beyond 64 bits": (changed(good, at("message.from.id", -(2**70))), json_type, 400),
        "chat id a string": (changed(good, at("message.chat.id", "abc")), json_type, 400),
        "text a number": (changed(good, at("message.text", 5)), json_type, 400),
        "chat missing": (changed(good, lambda b: b["message"].pop("chat")), json_type, 400),
        "callback_query a string": (b'{"update_id": 7, "callback_query": "x"}', json_type, 400),
        "a lone surrogate": (b'{"update_id": 7, "message": {"text": "\\ud800"}}', json_type, 400),
        "text/plain": (json.dumps(good).encode(), "text/plain", 415),
        "form-encoded": (b"update_id=7", "application/x-www-form-urlencoded", 415),
    }


async def post(wuye: Wuye, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    hook = f"http://127.0.0.1:{wuye.port}/telegram/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": content_type}
    async with aiohttp.ClientSession() as http, http.post(hook, data=body, headers=headers) as answer:
        text = await answer.text()
    try:
        return answer.status, json.loads(text)
    except ValueError:  # aiohttp's own page for a 500
        return answer.status, {"ok": None, "error": text}


async def test_a_body_that_is_not_an_update_is_answered_400_in_one_log_line_and_changes_nothing(
    wuye: Wuye, botapi: StandInBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mark = botapi.mark()
    for name, (body, content_type, status) in bodies(botapi).items():
        caplog.clear()
        answered, reply = await post(wuye, body, content_type)
        assert answered == status, f"{name}: answered {answered} {reply}"
        assert reply["ok"] is False and reply["error"].startswith("not an update: "), name
        refused = [r for r in caplog.records if r.name == "wuye.webhook"]
        assert len(refused) == 1, f"{name}: {[r.getMessage() for r in caplog.records]}"
        assert refused[0].levelno == logging.WARNING and f"answered {status}" in refused[0].getMessage()
        assert "\n" not in refused[0].getMessage(), name
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], name
    assert botapi.sent()[mark:] == []
    assert not wuye.seen(7)
    with wuye.uow() as uow:
        assert uow.conversations.get(OWNER_HANS, OWNER_HANS) is None

    # A correct update after all that is taken (200) and answered as ever.
    [answer] = await wuye.command(OWNER_HANS, "help")
    assert "/language" in text_of(answer)
