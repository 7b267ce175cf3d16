"""Drive the real `wuye run` (bot.serve.run_polling) against the stand-in Bot API server.

One ``Wuye`` is the application as an operator starts it: a SQLite database loaded with
examples/setup.yaml, ``WUYE_API_URL`` pointed at the stand-in server, and one of four front doors
(python-telegram-bot or aiogram, by long polling or by webhook). Tests talk to it as Telegram users
do: ``deliver`` hands an update over the way Telegram would (queued for getUpdates, or POSTed to the
bot's webhook with the secret header), and the ``say``/``command``/``press``/... helpers wait until
the bot answered in that chat and return what it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.config import Settings, load_settings
from bot.documents.setup_file import read_setup
from bot.serve import run_polling
from bot.wiring import build_app
from handlers.conversations.buttons import unversioned
from handlers.services.setup import apply_setup
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork
from tests.support.botapi import StandInBotAPI
from tests.support.processes import FAST_PACE, as_by_day

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "setup.yaml"
SECRET = "e2e-webhook-secret-0123456789"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000030806000000b8ad3a6b0000001049444154789c63f8cfc0f01f"
    "0803000004fe01ffe5a2cfd60000000049454e44ae426082"
)

# The cast of examples/setup.yaml.
MANAGER, REPAIR_LI, REPAIR_ZHAO, SERVICE = 100001, 100002, 100003, 100004
QIANPU_MANAGER, QIANPU_REPAIR = 100021, 100022
COMMUNITY, STREET, BUREAU, CHENGGUAN = 100041, 100051, 100061, 100071
OWNER_HANS, OWNER_HANT, OWNER_EN = 200001, 200002, 200003
STRANGER = 299001  # not in the setup file
CAST = {
    MANAGER: ("王建国", "zh-hans"),
    REPAIR_LI: ("李师傅", "zh-hans"),
    REPAIR_ZHAO: ("赵师傅", "zh-hans"),
    SERVICE: ("陈小姐", "zh-hans"),
    QIANPU_MANAGER: ("林经理", "zh-hans"),
    QIANPU_REPAIR: ("徐师傅", "zh-hans"),
    COMMUNITY: ("刘主任", "zh-hans"),
    STREET: ("吴科长", "zh-hans"),
    BUREAU: ("郑处长", "zh-hans"),
    CHENGGUAN: ("冯队长", "zh-hans"),
    OWNER_HANS: ("张女士", "zh-cn"),
    OWNER_HANT: ("何先生", "zh-hk"),
    OWNER_EN: ("Smith", "en"),
    STRANGER: ("Passer-by", "en"),
}


@dataclass(frozen=True)
class Door:
    """One way in: a framework and how updates arrive, and where the core runs."""

    framework: str  # "ptb" | "aiogram"
    webhook: bool
    # `wuye run`'s default is a core process of its own (WUYE_CORE_PROCESSES=1); its start-up takes
    # seconds. One door runs it so; the others keep the core on a thread of the bot process (0), where
    # the process is not what a scenario tests (the process's own tests: test_loop's killed core and
    # refused second core, tests/e2e/test_stopping.py, tests/integration/test_core_process.py).
    core_processes: int = 0

    @property
    def id(self) -> str:
        return f"{self.framework}-{'webhook' if self.webhook else 'polling'}"


DOORS = [
    Door("ptb", False, core_processes=1),  # `wuye run` as it starts by default
    Door("aiogram", False),
    Door("ptb", True),
    Door("aiogram", True),
]


def people_of_the_example() -> dict[int, tuple[str, str]]:
    """Everyone with a Telegram id in examples/setup.yaml (name, Telegram language code), and STRANGER."""
    codes = {"zh_Hans": "zh-hans", "zh_Hant": "zh-hant", "en": "en"}
    found = {
        int(entry.data["telegram_id"]): (
            str(entry.data["name"]),
            codes[entry.data.get("language", "zh_Hans")],
        )
        for entry in read_setup(EXAMPLE)["people"]
        if entry.data.get("telegram_id")
    }
    return {**found, **CAST}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every inline button of a sent message, row by row, in order."""
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button(message: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The (first) button whose callback data starts with ``prefix``."""
    found = [b for b in buttons(message) if unversioned(str(b.get("callback_data", ""))).startswith(prefix)]
    assert found, f"no button {prefix!r} on {message.get('text')!r}: {buttons(message)}"
    return found[0]


Until = str | Callable[[dict[str, Any]], bool] | None


def has_button(message: dict[str, Any], prefix: str) -> bool:
    return any(unversioned(str(b.get("callback_data", ""))).startswith(prefix) for b in buttons(message))


def matcher(until: Until) -> Callable[[dict[str, Any]], bool]:
    """None: any message; a string: a message with a button whose data starts with it; or a predicate."""
    if until is None:
        return lambda _: True
    if isinstance(until, str):
        return lambda m: has_button(m, until)
    return until


def with_button(messages: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The newest of ``messages`` with a button whose data starts with ``prefix``."""
    found = [m for m in messages if has_button(m, prefix)]
    assert found, f"no message with a {prefix!r} button among {[text_of(m)[:60] for m in messages]}"
    return found[-1]


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


class Wuye:
    """The application under test, started and stopped like `wuye run`."""

    def __init__(
        self, botapi: StandInBotAPI, door: Door, tmp_path: Path, core_processes: int | None = None
    ) -> None:
        self.botapi, self.door = botapi, door
        self.database_url = f"sqlite:///{tmp_path / 'wuye.db'}"
        self.port = free_port() if door.webhook else 0
        self.settings: Settings = load_settings(
            database_url=self.database_url,
            data_dir=tmp_path,
            bot_token=botapi.token,
            api_url=botapi.url,
            framework=door.framework,
            webhook_url=f"http://127.0.0.1:{self.port}/telegram/hook" if door.webhook else None,
            webhook_secret=SECRET if door.webhook else None,
            listen=f"127.0.0.1:{self.port or 8080}",
            core_processes=door.core_processes if core_processes is None else core_processes,
            **FAST_PACE,
        )
        self.engine: Engine = make_engine(self.database_url)
        self.bot_id = botapi.bot_user()["id"]
        for user_id, (name, language_code) in people_of_the_example().items():  # they started the bot
            botapi.add_user(user_id, name, language_code=language_code)
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    def load_example(self, template: Path | None = None) -> None:
        """`wuye load examples/setup.yaml` (which also creates the schema), or a copy of a database
        where that was done already (``template``: the same bytes, without the seconds it takes)."""
        target = Path(self.settings.url.removeprefix("sqlite:///"))
        if template is not None:
            shutil.copyfile(template, target)
            return
        app = build_app(self.settings)
        apply_setup(app.ctx, read_setup(EXAMPLE))
        as_by_day(app.ctx)  # `wuye run` reads the real clock: the same at any hour
        app.engine.dispose()

    async def start(self) -> None:
        """Start `wuye run` and return once it takes updates: its webhook is set (webhook), or it
        polls getUpdates (polling). A start-up failure is raised here."""
        since = len(self.botapi.calls)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(run_polling(self.settings, self._stop), name="wuye-run")

        def ready() -> bool:
            if self.door.webhook:
                return any(c.method == "setWebhook" and c.status == 200 for c in self.botapi.calls[since:])
            return any(c.method == "getUpdates" for c in self.botapi.calls[since:])

        waiter = asyncio.create_task(self.botapi.wait_until(ready, timeout=15, what="wuye run to start"))
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            waiter.cancel()
            await self._task  # raises the start-up error
            raise AssertionError("wuye run returned during start-up")
        await waiter

    async def stop(self) -> None:
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        task, self._task = self._task, None
        done, _ = await asyncio.wait({task}, timeout=15)
        if not done:  # a hang, not slowness: shutting down takes well under a second
            task.cancel()
            raise AssertionError("wuye run did not stop within 15 s of being asked to")
        await task  # re-raises what went wrong inside, if anything

    def close(self) -> None:
        self.engine.dispose()

    # ---- the database, read-only for assertions ----------------------------------------------------
    @contextlib.contextmanager
    def uow(self) -> Iterator[SqlUnitOfWork]:
        with SqlUnitOfWork(self.engine) as uow:
            yield uow

    def ticket_count(self) -> int:
        with self.uow() as uow:
            return len(uow.tickets.all())

    def tickets(self) -> list[Any]:
        with self.uow() as uow:
            return sorted(uow.tickets.all(), key=lambda t: t.id)

    def ticket(self, number: str) -> Any:
        with self.uow() as uow:
            found = uow.tickets.by_number(number)
        assert found is not None, f"no ticket {number}"
        return found

    def assignee(self, number: str) -> int:
        """The Telegram id of the person the ticket ``number`` is assigned to."""
        with self.uow() as uow:
            person = uow.people.get(self.ticket(number).assignee_id or 0)
        assert person is not None and person.telegram_id, f"{number} has no reachable assignee"
        return person.telegram_id

    def seen(self, update_id: int) -> bool:
        with self.uow() as uow:
            return uow.updates.seen(self.bot_id, update_id)

    # ---- updates in --------------------------------------------------------------------------------
    async def deliver(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """Hand ``update`` to the bot as Telegram would. Webhook: the HTTP status of the POST (the
        update is handled before the answer); polling: 200 once it is queued."""
        if self.door.webhook:
            return await self.botapi.post_webhook(update, secret_token=secret)
        self.botapi.push_raw(update)
        return 200

    async def exchange(
        self,
        update: dict[str, Any],
        chat_id: int,
        until: Until = None,
        *,
        timeout: float = 8.0,
        pressed: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Deliver ``update`` and wait for a new message in ``chat_id`` that matches ``until`` (a button
        prefix, a predicate, or None for any); return every message sent there since, oldest first.
        With ``pressed`` (the message whose button the update presses), that message counts too once the
        bot edited it (a form moves on in place); it then comes first."""
        match = matcher(until)
        mark = self.botapi.mark()
        key = (chat_id, pressed["message_id"]) if pressed is not None else None
        edits_before = len(self._latest(key)["edits"]) if key else 0
        status = await self.deliver(update)
        assert status == 200, f"webhook answered {status}"

        def probe() -> list[dict[str, Any]]:
            new = [m for m in self.botapi.sent()[mark:] if m["chat"]["id"] == chat_id]
            if key is not None and len((edited := self._latest(key))["edits"]) > edits_before:
                new.insert(0, edited)
            return new if any(match(m) for m in new) else []

        return await self.botapi.wait_until(probe, timeout=timeout, what=f"a reply in chat {chat_id}")

    async def handled(self, update: dict[str, Any], timeout: float = 8.0) -> None:
        """Deliver ``update`` and wait until the core recorded it as handled."""
        await self.deliver(update)
        await self.botapi.wait_until(
            lambda: self.seen(update["update_id"]),
            timeout=timeout,
            what=f"update {update['update_id']} to be handled",
        )

    async def say(self, user: int, text: str, until: Until = None, **options: Any) -> list[dict[str, Any]]:
        update = self.botapi.make_message(user, text, **options)
        return await self.exchange(update, options.get("chat_id") or user, until)

    async def command(
        self, user: int, command: str, args: str = "", until: Until = None, **options: Any
    ) -> list[dict[str, Any]]:
        update = self.botapi.make_command(user, command, args, **options)
        return await self.exchange(update, options.get("chat_id") or user, until)

    async def photo(
        self, user: int, data: bytes = PNG, caption: str | None = None, until: Until = None
    ) -> list[dict[str, Any]]:
        return await self.exchange(self.botapi.make_photo(user, data, caption), user, until)

    async def press(
        self, user: int, message: dict[str, Any], prefix: str, until: Until = None
    ) -> list[dict[str, Any]]:
        """Press the button whose data starts with ``prefix`` on ``message``; wait for a new message in
        the message's chat matching ``until``, or for ``message`` edited to match it."""
        update = self.botapi.make_callback(user, message, button(message, prefix)["callback_data"])
        return await self.exchange(update, message["chat"]["id"], until, pressed=message)

    def _latest(self, key: tuple[int, int]) -> dict[str, Any]:
        """A sent message as it is now (after any edits)."""
        chat_id, message_id = key
        return next(m for m in reversed(self.botapi.sent(chat_id)) if m["message_id"] == message_id)

    async def tap(self, user: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press a button with exactly ``data`` (forged data too) and wait until the press is answered;
        return the answerCallbackQuery parameters."""
        update = self.botapi.make_callback(user, message, data)
        query_id = update["callback_query"]["id"]
        status = await self.deliver(update)
        assert status == 200, f"webhook answered {status}"
        return await self.botapi.wait_until(
            lambda: self.botapi.callback_answer(query_id), what="the button press to be answered"
        )

    async def settle(self, chat_user: int) -> list[dict[str, Any]]:
        """Wait until everything delivered to this private chat before was dealt with: updates of one
        chat are handled in order, so once a /help sent now is answered, the earlier ones are done.
        Returns every message sent to the chat meanwhile (the /help answer last)."""
        return await self.command(chat_user, "help", until=lambda m: "/language" in text_of(m))

    # ---- what came out -------------------------------------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return self.botapi.sent(chat_id)

    async def wait_sent(
        self, chat_id: int, where: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until a message in ``chat_id`` satisfies ``where`` (in its latest, edited state)."""

        def probe() -> dict[str, Any] | None:
            return next((m for m in self.botapi.sent(chat_id) if where(m)), None)

        return await self.botapi.wait_until(probe, timeout=timeout, what=f"a matching message to {chat_id}")
