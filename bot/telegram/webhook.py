"""The webhook door: Telegram posts updates here; a request without the right secret changes nothing,
and a body that is not a well-formed update is answered 400 (Telegram retries a 500 for ever)."""

from __future__ import annotations

import dataclasses
import functools
import hmac
import json
import logging
import math
import typing
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from handlers.conversations.io import Answer, Incoming

log = logging.getLogger("wuye.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram's updates are small; anything bigger is not from Telegram
# Telegram's objects nest a dozen levels at most (a reply's quoted message, a keyboard's rows of buttons).
MAX_DEPTH = 64
# Every integer Telegram sends fits in 64 signed bits (ids have at most 52 significant bits), as do the
# database's BIGINT columns: a bigger one is not from Telegram and could not be stored.
_INT_RANGE = (-(2**63), 2**63 - 1)

Feed = Callable[[dict[str, Any]], Awaitable[None]]


class NotAnUpdate(Exception):
    """A webhook body that is not a well-formed update; the message is one line, without its content.
    A front end's ``feed`` raises it when its framework cannot read the update."""


def read_update(body: bytes) -> dict[str, Any]:
    """The update in a webhook body, checked before any framework sees it: UTF-8 JSON with no NaN or
    infinity, nested at most `MAX_DEPTH` deep, every integer within 64 bits, an object whose
    ``update_id`` is a whole number from 0."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError:
        raise NotAnUpdate("not UTF-8") from None
    except RecursionError:  # json gives up on deep nesting by exhausting the interpreter's stack
        raise NotAnUpdate(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, and the constants refused above
        raise NotAnUpdate(f"not JSON ({str(exc).splitlines()[0]})") from None
    _check_shape(data)
    if not isinstance(data, dict):
        raise NotAnUpdate(f"a JSON {type(data).__name__}, not an object")
    update_id = data.get("update_id")
    if type(update_id) is not int or update_id < 0:
        raise NotAnUpdate("no update_id that is a whole number from 0")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _check_shape(data: Any) -> None:
    """Depth and integer range, walked without recursion (the body may be built to exhaust a stack)."""
    low, high = _INT_RANGE
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise NotAnUpdate(f"nested deeper than {MAX_DEPTH} levels")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
        elif type(value) is int and not low <= value <= high:
            raise NotAnUpdate("a number beyond 64 bits (no Telegram id is that large)")
        elif isinstance(value, str) and not _encodable(value):
            raise NotAnUpdate("a string with a lone surrogate (\\ud800...), which is not text")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_incoming(inc: Incoming) -> None:
    """Raise NotAnUpdate unless each field of what a front end made of an update has its declared type:
    a framework that reads JSON leniently (python-telegram-bot) hands on a ``"text": 5`` as it came."""
    for name, hint in _incoming_types().items():
        value = getattr(inc, name)
        if not any(_has_type(value, allowed) for allowed in hint):
            raise NotAnUpdate(f"its {name} is a {type(value).__name__}")


def _has_type(value: Any, allowed: type) -> bool:
    if allowed is type(None):
        return value is None
    if allowed in (int, bool):  # a bool is an int to isinstance, and an int is not a bool
        return type(value) is allowed
    return isinstance(value, allowed)


@functools.cache
def _incoming_types() -> dict[str, tuple[type, ...]]:
    """Incoming's fields and the types each may hold (the download callable aside)."""
    hints = typing.get_type_hints(Incoming)
    return {
        f.name: typing.get_args(hints[f.name]) or (hints[f.name],)
        for f in dataclasses.fields(Incoming)
        if f.name != "fetch"
    }


# Telegram lets the answer to its POST carry one Bot API call ("reply to a webhook"): handling an update,
# a front end may leave here a call whose result nobody needs (a button press's answerCallbackQuery),
# and it goes back in the HTTP answer instead of as a request of its own.
_reply: ContextVar[dict[str, Any] | None] = ContextVar("wuye_webhook_reply", default=None)


def answer_params(answer: Answer) -> dict[str, Any]:
    """answerCallbackQuery's parameters for a button press's answer."""
    return {
        "callback_query_id": answer.callback_id,
        "text": answer.text[:200] or None,
        "show_alert": answer.alert or None,
    }


def reply_by_webhook(method: str, params: dict[str, Any]) -> bool:
    """Put the call ``method(params)`` in the answer to the webhook request being handled, if there is
    one and it has no call yet; False: the caller makes the request itself."""
    slot = _reply.get()
    if slot is None or slot:
        return False
    slot.update({k: v for k, v in params.items() if v is not None}, method=method)
    return True


class WebhookServer:
    def __init__(self, feed: Feed, secret: str, path: str, engine: Engine, host: str, port: int) -> None:
        self.feed, self.secret, self.path, self.engine = feed, secret, path or "/", engine
        self.host, self.port = host, port
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_post(self.path, self._update)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.refused = 0

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.refused += 1
            if self.refused == 1 or self.refused % 100 == 0:
                log.warning(
                    "refused %d webhook call(s) without the right secret (latest from %s)",
                    self.refused,
                    request.remote,
                )
            return web.json_response({"ok": False, "error": "forbidden"}, status=401)
        if request.content_type != "application/json":
            return self._refuse(request, 415, f"Content-Type {request.content_type!r}, not application/json")
        try:
            data = read_update(await request.read())
        except NotAnUpdate as exc:
            return self._refuse(request, 400, str(exc))
        # Handled before answering: if we crash, Telegram has no 200 and delivers the update again.
        slot: dict[str, Any] = {}
        token = _reply.set(slot)
        try:
            await self.feed(data)
        except NotAnUpdate as exc:  # the framework could not read it
            return self._refuse(request, 400, str(exc), data["update_id"])
        finally:
            _reply.reset(token)
        return web.json_response(slot or {"ok": True})

    def _refuse(
        self, request: web.Request, status: int, reason: str, update_id: int | None = None
    ) -> web.Response:
        """One line in the log, without the body (it may hold what people wrote); Telegram, or whoever
        has the secret, is told why."""
        which = f"update {update_id}" if update_id is not None else "a webhook body"
        log.warning("refused %s from %s (answered %d): %s", which, request.remote, status, reason)
        return web.json_response({"ok": False, "error": f"not an update: {reason}"}, status=status)

    async def _health(self, _: web.Request) -> web.Response:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return web.json_response({"ok": False, "database": f"{type(exc).__name__}"}, status=503)
        return web.json_response({"ok": True, "database": "ok"})

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the real port when 0 was asked for
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
