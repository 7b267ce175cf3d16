"""The webhook door: Telegram posts updates here; a request without the right secret changes nothing."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from handlers.conversations.io import Answer

log = logging.getLogger("wuye.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram's updates are small; anything bigger is not from Telegram

Feed = Callable[[dict[str, Any]], Awaitable[None]]

# Telegram lets the answer to its POST carry one Bot API call ("reply to a webhook"): handling an update,
# a front end may leave here a call whose result nobody needs (a button press's answerCallbackQuery),
# and it goes back in the HTTP answer instead of as a request of its own.
_reply: ContextVar[dict[str, Any] | None] = ContextVar("wuye_webhook_reply", default=None)


def answer_params(answer: Answer) -> dict[str, Any]:
    """answerCallbackQuery's parameters for a button press's answer."""
    return {"callback_query_id": answer.callback_id, "text": answer.text[:200] or None,
            "show_alert": answer.alert or None}


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
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        # Handled before answering: if we crash, Telegram has no 200 and delivers the update again.
        slot: dict[str, Any] = {}
        token = _reply.set(slot)
        try:
            await self.feed(data)
        finally:
            _reply.reset(token)
        return web.json_response(slot or {"ok": True})

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
