"""How Bot API requests and answers look on the wire, for the stand-in server.

Clients send parameters as a query string, JSON, urlencoded forms (PTB and aiogram without files) or
multipart (with files); every form value is a string, so ``convert`` turns them back into Python values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.botapi_models import APIError

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "results",
        "permissions",
        "options",
        "menu_button",
    }
)
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "data",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "file_id",
        "photo",
        "document",
        "sticker",
        "voice",
        "video",
        "audio",
        "animation",
        "description",
        "short_description",
        "name",
        "title",
        "inline_message_id",
        "language_code",
        "query",
        "action",
        "emoji",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "address",
        "question",
        "custom_title",
        "method",
    }
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n"
    "<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
)
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


@dataclass
class Upload:
    """A file received in a multipart request (``params`` hold it in place of ``attach://`` refs)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"Upload({self.field!r}, {self.filename!r}, {len(self.data)} bytes)"


def json_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def error_response(status: int, retry_after: int | None, body: str) -> web.Response:
    """A fault answer: 429 with ``parameters.retry_after``, nginx's HTML page, or Telegram-style JSON."""
    if status == 429:
        seconds = retry_after or 1
        return json_response(
            429,
            APIError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}).payload(),
        )
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if body == "html" and status >= 500:
        return web.Response(
            status=status, content_type="text/html", text=_NGINX_PAGE.format(status=status, reason=reason)
        )
    return json_response(
        status, APIError(status, reason, {"retry_after": retry_after} if retry_after else None).payload()
    )


async def read_request(request: web.Request) -> dict[str, Any]:
    """Parameters of a Bot API request (query + JSON / urlencoded / multipart body)."""
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json" and request.can_read_body:
        raw.update(_json_object(await request.text()))
    elif request.can_read_body and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[name] = Upload(name, value.filename, value.content_type, value.file.read())
            else:
                raw[name] = value
    return build_params(raw, uploads)


async def read_webhook_reply(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """A method call a bot put in its webhook answer (JSON or multipart, with a "method" field)."""
    raw: dict[str, Any] = {}
    uploads: dict[str, Upload] = {}
    if response.content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader(response.headers, response.content)
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                if part.filename:
                    uploads[part.name] = Upload(
                        part.name, part.filename, part.headers.get("Content-Type"), await part.read()
                    )
                else:
                    raw[part.name] = await part.text()
    elif response.content_type == "application/json":
        try:
            raw = _json_object(await response.text())
        except ValueError:
            return None
    return build_params(raw, uploads) if raw.get("method") else None


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError("can't parse JSON object") from exc
    if not isinstance(body, dict):
        raise ValueError("can't parse JSON object")
    return body


def build_params(raw: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    """Convert values and replace ``attach://name`` references (anywhere) by the uploaded files."""
    used: set[str] = set()

    def attach(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
            used.add(value[9:])
            return uploads[value[9:]]
        if isinstance(value, list):
            return [attach(item) for item in value]
        if isinstance(value, dict):
            return {key: attach(item) for key, item in value.items()}
        return value

    params = {name: attach(convert(name, value)) for name, value in raw.items()}
    params.update({name: upload for name, upload in uploads.items() if name not in used})
    return params


def convert(name: str, value: Any) -> Any:
    """A form string as Python: JSON fields decoded, numbers and booleans typed, text left alone."""
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"can't parse {name} JSON object") from exc
    if name in STRING_FIELDS:
        return value
    if value in ("true", "false", "True", "False"):
        return value.lower() == "true"
    if _NUMBER.match(value):
        return float(value) if "." in value else int(value)
    return value
