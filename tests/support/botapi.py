"""A stand-in Telegram Bot API server for end-to-end tests (aiohttp on 127.0.0.1, random port).

Point the real frameworks at ``server.url``:
  PTB:     ApplicationBuilder().token(T).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
  aiogram: Bot(T, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))

Tests inject updates with ``push_*`` (see ``UpdateFactory``), inspect ``calls`` / ``sent()`` / ``stats``,
wait with ``wait_for*`` / ``messages_since``, and inject faults with ``rate_limit``, ``fail_next``,
``fail_with``, ``block`` and ``delay``.  Bot API methods live in ``botapi_methods``; the model of
Telegram (bots, users, chats, files, update builders) in ``botapi_models``; request decoding in
``botapi_wire``; parse_mode and entities in ``botapi_text``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.botapi_methods import METHODS, SEND_METHODS
from tests.support.botapi_models import (
    DEFAULT_TOKEN,
    TOKEN_RE,
    APIError,
    BotState,
    SentRecord,
    UpdateFactory,
    World,
)
from tests.support.botapi_wire import (
    NOT_FOUND,
    UNAUTHORIZED,
    Upload,
    error_response,
    json_response,
    read_request,
    read_webhook_reply,
)

__all__ = ["DEFAULT_TOKEN", "APIError", "Call", "StandInBotAPI", "Stats", "Upload"]

_API_PATH = re.compile(r"^/bot([^/]+)/([^/]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot([^/]+)/(.+)$")


class Call(tuple):
    """One Bot API request: unpacks as ``(method, params)``; also has ``.token``, ``.status`` (0 while
    pending), ``.at`` (monotonic arrival time) and ``.content_type`` (how the client encoded it)."""

    method: str
    params: dict[str, Any]
    token: str
    status: int
    at: float
    content_type: str

    def __new__(cls, method: str, params: dict[str, Any], token: str, content_type: str = "") -> Call:
        call = super().__new__(cls, (method, params))
        call.method, call.params, call.token, call.content_type = method, params, token, content_type
        call.status, call.at = 0, time.monotonic()
        return call

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {self.params!r}, status={self.status})"


@dataclass
class Stats:
    """Counters kept by the server (all bots together)."""

    by_status: Counter[int] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    delivered: Counter[int] = field(default_factory=Counter)  # messages sent per chat id
    edits: Counter[int] = field(default_factory=Counter)  # successful edits per chat id
    deliveries: list[tuple[float, int, int]] = field(default_factory=list)  # (monotonic, chat, msg id)

    @property
    def rate_limited(self) -> int:
        """How many requests were answered 429 Too Many Requests."""
        return self.by_status[429]

    @property
    def server_errors(self) -> int:
        """How many requests were answered with a 5xx status."""
        return sum(count for status, count in self.by_status.items() if status >= 500)


@dataclass
class _Fault:
    status: int
    methods: frozenset[str] | None
    remaining: int | None = None
    until: float | None = None
    retry_after: int | None = None
    body: str = "html"
    chat_id: int | None = None  # only requests to this chat


@dataclass
class _Bucket:
    rate: float
    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        moment = time.monotonic()
        self.tokens = min(max(1.0, self.rate), self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class _Window:
    """Telegram's limits read strictly: at most `limit` accepted in any one-second window."""

    limit: int
    times: deque[float] = field(default_factory=deque)

    def take(self) -> bool:
        moment = time.monotonic()
        while self.times and moment - self.times[0] >= 1.0:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(moment)
        return True


class StandInBotAPI(UpdateFactory):
    """The stand-in server. ``token`` is the main bot (used when a ``token=`` argument is omitted)."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token, self.host, self.port = token, host, port
        self.url = ""
        self.world = World()
        self.world.bot(token)
        self.calls: list[Call] = []
        self.stats = Stats()
        self.rejected: set[str] = set()
        self.handlers: dict[str, Callable[..., Any]] = {}
        self._records: list[SentRecord] = []
        self._update_ids: dict[str, int] = {}
        self._changed = asyncio.Event()
        self._faults: list[_Fault] = []
        self._rate: tuple[_Bucket | _Window | None, float | None, int] = (None, None, 1)
        self._chat_buckets: dict[str, _Bucket | _Window] = {}
        self._strict = False
        self._delay: tuple[float, frozenset[str] | None] = (0.0, None)
        self._closing = False
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> StandInBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server: Any = site._server  # aiohttp keeps the asyncio.Server here; port 0 means "any free port"
        self.port = server.sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        for bot in self.world.bots.values():
            bot.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandInBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- bots, users, chats ----------------------------------------------------------------------
    def register_bot(self, token: str, *, first_name: str | None = None, username: str | None = None) -> dict:
        """Declare a bot's name (any well-formed token works without this). Returns its User dict."""
        return self.world.bot(token, first_name=first_name, username=username).user()

    def bot_user(self, token: str | None = None) -> dict[str, Any]:
        return self.world.bot(token or self.token).user()

    def reject_token(self, token: str) -> None:
        """Answer every request with this token 401 Unauthorized (a revoked or wrong token)."""
        self.rejected.add(token)

    def add_user(self, user_id: int, first_name: str | None = None, **details: Any) -> dict[str, Any]:
        """Known user + private chat; details: last_name, username, language_code, is_bot."""
        return self.world.add_user(user_id, first_name, **details)

    def add_chat(self, chat_id: int, title: str | None = None, **details: Any) -> dict[str, Any]:
        """Known group/supergroup/channel; details: type ("group"/"supergroup"/"channel"), username."""
        return self.world.add_chat(chat_id, title, **details)

    def set_handler(self, method: str, handler: Callable[..., Any]) -> None:
        """Implement or override a method: ``handler(params, bot_state)`` returns the result (may be
        async) or raises ``APIError``."""
        self.handlers[method.lower()] = handler

    # ---- updates ---------------------------------------------------------------------------------
    def _next_update_id(self, bot: BotState) -> int:
        self._update_ids[bot.token] = self._update_ids.get(bot.token, 0) + 1
        return self._update_ids[bot.token]

    def push_raw(self, update: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
        """Queue an update for getUpdates (an ``update_id`` is assigned when missing)."""
        bot = self.world.bot(token or self.token)
        if "update_id" not in update:
            update = {"update_id": self._next_update_id(bot), **update}
        bot.updates.append(update)
        bot.notify()
        self._touch()
        return update

    def delete_as_user(self, chat_id: int, message_id: int, *, token: str | None = None) -> None:
        """The person deletes a bot's message in their private chat: the bot can no longer edit it."""
        self.world.bot(token or self.token).records[(chat_id, message_id)].deleted = True
        self._touch()

    def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self.world.bot(token or self.token).updates)

    # ---- inspection ------------------------------------------------------------------------------
    def sent(
        self, chat_id: int | None = None, *, token: str | None = None, include_deleted: bool = True
    ) -> list[dict[str, Any]]:
        """Messages sent by bots, oldest first, in their latest state; each has extra keys ``edits``
        (history), ``deleted``, ``method``, and ``reply_markup`` exactly as the bot gave it."""
        return [
            record.view()
            for record in self._records
            if (chat_id is None or record.chat_id == chat_id)
            and (token is None or record.token == token)
            and (include_deleted or not record.deleted)
        ]

    def calls_to(self, method: str, *, token: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower() and (token is None or call.token == token)
        ]

    def webhook(self, token: str | None = None) -> dict[str, Any] | None:
        return self.world.bot(token or self.token).webhook

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = "", *, token: str | None = None
    ) -> list[dict[str, Any]]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or "")
        return list(self.world.bot(token or self.token).commands.get(key, []))

    def callback_answer(self, query_id: str, *, token: str | None = None) -> dict[str, Any] | None:
        """The answerCallbackQuery params for a pushed callback query (None while unanswered)."""
        return self.world.bot(token or self.token).callbacks.get(query_id)

    def file_bytes(self, file_id: str) -> bytes:
        return self.world.files[file_id].data

    def mark(self) -> int:
        """A marker for ``messages_since``: the number of messages sent so far."""
        return len(self._records)

    async def messages_since(
        self, mark: int, chat_id: int | None = None, *, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` messages were sent (to ``chat_id``) after ``mark``; return all of them."""

        def probe() -> list[dict[str, Any]]:
            new = [r for r in self._records[mark:] if chat_id is None or r.chat_id == chat_id]
            return [r.view() for r in new] if len(new) >= count else []

        return await self.wait_until(probe, timeout=timeout, what=f"{count} message(s) to chat {chat_id}")

    async def wait_for_messages(
        self, chat_id: int | None, count: int = 1, *, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages in total were sent to ``chat_id``; return them."""
        return await self.messages_since(0, chat_id, count=count, timeout=timeout)

    async def wait_for(self, predicate: Callable[[Any], Any], *, timeout: float = 5.0) -> Any:
        """Wait until a recorded ``Call`` or a sent message dict satisfies ``predicate``; return it."""

        def probe() -> Any:
            return next((item for item in [*self.calls, *self.sent()] if predicate(item)), None)

        return await self.wait_until(probe, timeout=timeout, what="predicate")

    async def wait_for_call(
        self,
        method: str,
        where: Callable[[dict[str, Any]], Any] | None = None,
        *,
        since: int = 0,
        timeout: float = 5.0,
    ) -> Call:
        """Wait for a request to ``method`` (from ``calls[since:]``) whose params satisfy ``where``."""

        def probe() -> Call | None:
            return next(
                (
                    c
                    for c in self.calls[since:]
                    if c.method.lower() == method.lower() and (where is None or where(c.params))
                ),
                None,
            )

        return await self.wait_until(probe, timeout=timeout, what=f"a {method} call")

    async def wait_until(
        self, condition: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``condition()`` is truthy (re-checked whenever the server's state changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := condition()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(call) for call in self.calls[-8:])
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; last calls:\n  {recent}"
                )
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass
        return result

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _record_message(self, record: SentRecord) -> None:
        self._records.append(record)
        self.stats.delivered[record.chat_id] += 1
        self.stats.deliveries.append((record.at, record.chat_id, record.message["message_id"]))

    # ---- fault injection -------------------------------------------------------------------------
    def rate_limit(
        self,
        per_second: float | None,
        retry_after: int = 1,
        *,
        per_chat: float | None = None,
        strict: bool = False,
    ) -> None:
        """Answer 429 (``parameters.retry_after``) to sending/editing methods beyond ``per_second``
        overall or ``per_chat`` per chat: token buckets (burst = max(1, rate)), or with ``strict`` at
        most that many in any one-second window, as Telegram enforces it. ``None`` turns it off."""
        bucket: _Bucket | _Window | None = None
        if per_second:
            bucket = _Window(int(per_second)) if strict else _Bucket(per_second, max(1.0, per_second))
        self._rate = (bucket, per_chat, retry_after)
        self._strict = strict
        self._chat_buckets.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int = 502,
        *,
        methods: Iterable[str] | None = None,
        retry_after: int | None = None,
        body: str = "html",
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status``. ``methods=None`` means every method
        but getUpdates; ``chat_id``: only requests to that chat. ``body`` "html" (like Telegram's nginx
        for 5xx) or "json"; 429 is always JSON."""
        self._faults.append(
            _Fault(status, _names(methods), remaining=n, retry_after=retry_after, body=body, chat_id=chat_id)
        )

    def fail_with(
        self,
        status: int = 502,
        *,
        for_seconds: float = 1.0,
        methods: Iterable[str] | None = None,
        retry_after: int | None = None,
        body: str = "html",
    ) -> None:
        """Answer every matching request with ``status`` for ``for_seconds`` (an outage)."""
        self._faults.append(
            _Fault(
                status,
                _names(methods),
                until=time.monotonic() + for_seconds,
                retry_after=retry_after,
                body=body,
            )
        )

    def block(self, chat_id: int) -> None:
        """Sends to this chat answer 403 (user blocked the bot / bot kicked from the group)."""
        self.world.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.world.blocked.discard(chat_id)
        self.world.left.discard(chat_id)

    def delay(self, seconds: float, *, methods: Iterable[str] | None = None) -> None:
        """Sleep before handling matching requests (then handle them anyway, as Telegram does when a
        client gives up waiting). ``methods=None``: all but getUpdates. ``delay(0)`` turns it off."""
        self._delay = (seconds, _names(methods))

    def clear_faults(self) -> None:
        self._faults.clear()
        self.rate_limit(None)
        self.delay(0)
        self.world.blocked.clear()

    def _matches(self, methods: frozenset[str] | None, method: str) -> bool:
        return method.lower() != "getupdates" if methods is None else method.lower() in methods

    def _fault_for(self, method: str, params: dict[str, Any]) -> web.Response | None:
        moment = time.monotonic()
        self._faults = [
            f
            for f in self._faults
            if (f.remaining is None or f.remaining > 0) and (f.until is None or f.until > moment)
        ]
        for fault in self._faults:
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            if self._matches(fault.methods, method):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return error_response(fault.status, fault.retry_after, fault.body)
        bucket, per_chat, retry_after = self._rate
        if method.lower() in SEND_METHODS and (bucket is not None or per_chat):
            chat_ok = True
            if per_chat:
                strict = _Window(max(1, int(per_chat)))
                fresh = strict if self._strict else _Bucket(per_chat, max(1.0, per_chat))
                chat_bucket = self._chat_buckets.setdefault(str(params.get("chat_id")), fresh)
                chat_ok = chat_bucket.take()
            if not chat_ok or (bucket is not None and not bucket.take()):
                return error_response(429, retry_after, "json")
        return None

    # ---- webhooks ------------------------------------------------------------------------------
    async def post_webhook(
        self,
        update: dict[str, Any],
        *,
        token: str | None = None,
        url: str | None = None,
        secret_token: str | None = None,
    ) -> int:
        """Deliver ``update`` (e.g. from ``make_message``) to the bot's webhook as Telegram does: POST
        JSON with the ``X-Telegram-Bot-Api-Secret-Token`` header. A method call in the answer (the
        "reply to a webhook" feature) is executed like a request. Returns the webhook's HTTP status."""
        token = token or self.token
        hook = self.webhook(token) or {}
        target = url or hook.get("url")
        if not target:
            raise RuntimeError("no webhook is set for this bot; call setWebhook or pass url=")
        secret = secret_token if secret_token is not None else hook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with aiohttp.ClientSession() as http, http.post(target, json=update, headers=headers) as answer:
            reply = await read_webhook_reply(answer) if answer.status == 200 else None
            status = answer.status
        if reply is not None:
            method = str(reply.pop("method"))
            await self._execute(token, method, reply, "webhook-reply")
        return status

    # ---- HTTP ------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if match := _FILE_PATH.match(request.path):
            return self._download(*match.groups())
        match = _API_PATH.match(request.path)
        if match is None or not TOKEN_RE.match(match.group(1)):
            return json_response(404, NOT_FOUND)
        try:
            params, error = await read_request(request), None
        except ValueError as exc:
            params, error = {}, json_response(400, APIError(400, f"Bad Request: {exc}").payload())
        token, method = match.groups()
        return await self._execute(token, method, params, request.content_type, error)

    async def _execute(
        self,
        token: str,
        raw_method: str,
        params: dict[str, Any],
        content_type: str,
        error: web.Response | None = None,
    ) -> web.Response:
        known = METHODS.get(raw_method.lower())
        call = Call(known[0] if known else raw_method, params, token, content_type)
        self.calls.append(call)
        self.stats.by_method[call.method] += 1
        self._touch()
        if token in self.rejected:
            error = json_response(401, UNAUTHORIZED)
        response = error or await self._respond(call, token, raw_method.lower(), known)
        call.status = response.status
        self.stats.by_status[response.status] += 1
        self._touch()
        return response

    async def _respond(self, call: Call, token: str, method: str, known: Any) -> web.Response:
        seconds, delayed = self._delay
        if seconds and self._matches(delayed, method):
            await asyncio.sleep(seconds)
        if (fault := self._fault_for(method, call.params)) is not None:
            return fault
        handler = self.handlers.get(method) or (known[1] if known else None)
        if handler is None:
            return json_response(404, NOT_FOUND)
        bot = self.world.bot(token)
        try:
            result = handler(call.params, bot) if method in self.handlers else handler(self, bot, call.params)
            if inspect.isawaitable(result):
                result = await result
        except APIError as exc:
            return json_response(exc.status, exc.payload())
        return json_response(200, {"ok": True, "result": result})

    def _download(self, token: str, path: str) -> web.Response:
        stored = self.world.file_by_path(path) if TOKEN_RE.match(token) else None
        if token in self.rejected:
            return json_response(401, UNAUTHORIZED)
        if stored is None:
            return json_response(404, NOT_FOUND)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


def _names(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.lower() for m in methods)
