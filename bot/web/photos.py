"""Photos uploaded on the web: checked as images, size-limited, stored under the data folder, and sent
to Telegram as photos by the outbox.

An uploaded photo is decoded with Pillow (anything else is refused), re-encoded as a JPEG (which drops
its metadata, a phone's GPS position included) and kept as `<data>/photos/<sha256>.jpg`. The ticket's
attachment carries `web:<sha256>` where a Telegram photo carries its file id, so every card, timeline
and privacy rule treats both alike; the outbox turns such a part into an upload of the file. A photo sent
on Telegram is fetched for the web page once, through the Bot API, and kept beside them."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import aiohttp
from PIL import Image, UnidentifiedImageError

from handlers.conversations.io import Edit, Send

MAX_BYTES = 8 * 1024 * 1024  # one uploaded photo
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
LONGEST_SIDE = 2560
PREFIX = "web:"
_NAME = re.compile(r"^[0-9a-f]{64}$")


class PhotoFault(StrEnum):
    """Why an upload is not taken as a photo."""

    TOO_LARGE = "too_large"  # more than MAX_BYTES
    NOT_IMAGE = "not_image"  # empty, not a JPEG, PNG, WebP or GIF, too many pixels, or unreadable


class NotAPhoto(Exception):
    """The upload is not an image we take; `code` says why."""

    def __init__(self, code: PhotoFault) -> None:
        super().__init__(code)
        self.code = code


def photo_dir(data_dir: Path) -> Path:
    return data_dir / "photos"


def keep_photo(data: bytes, data_dir: Path) -> tuple[str, str]:
    """Check, re-encode and store an upload; returns (file_id, unique_id) for the attachment."""
    if len(data) > MAX_BYTES:
        raise NotAPhoto(PhotoFault.TOO_LARGE)
    if not data:
        raise NotAPhoto(PhotoFault.NOT_IMAGE)
    jpeg = _reencoded(data)
    name = hashlib.sha256(jpeg).hexdigest()
    folder = photo_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jpg"
    if not path.exists():
        tmp = folder / f"{name}.tmp"
        tmp.write_bytes(jpeg)
        tmp.replace(path)
    return PREFIX + name, PREFIX + name[:32]


def stored_photo(file_id: str, data_dir: Path) -> bytes | None:
    """The bytes of a photo uploaded on the web, or None (not one of ours, or gone)."""
    if not file_id.startswith(PREFIX) or not _NAME.match(file_id[len(PREFIX) :]):
        return None
    path = photo_dir(data_dir) / f"{file_id[len(PREFIX) :]}.jpg"
    return path.read_bytes() if path.is_file() else None


Deliver = Callable[[Send | Edit], Awaitable[int | None]]


def with_local_photos(deliver: Deliver, data_dir: Path) -> Deliver:
    """The outbox's deliver, sending a web upload's file where a part names it by `web:` id."""

    async def send(part: Send | Edit) -> int | None:
        if isinstance(part, Send) and part.photo and part.photo.startswith(PREFIX):
            data = stored_photo(part.photo, data_dir)
            if data is None:  # the file is gone: say so rather than send Telegram an id it never gave
                part = replace(part, photo=None, text=part.text + " (📷 —)")
            else:
                part = replace(part, photo=None, image=data)
        return await deliver(part)

    return send


# ---- photos sent on Telegram, for the web page ------------------------------------------------------
TELEGRAM_API = "https://api.telegram.org"
_FETCHES: dict[str, asyncio.Lock] = {}  # one download per photo at a time


def telegram_photo_path(unique_id: str, data_dir: Path) -> Path | None:
    """Where a photo sent on Telegram is kept once fetched (by Telegram's unique id); None for an id that
    is not one (a file name is never made of anything else)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", unique_id or ""):
        return None
    return photo_dir(data_dir) / f"tg-{unique_id}.jpg"


async def telegram_photo(
    file_id: str, unique_id: str, data_dir: Path, token: str | None, api_url: str | None = None
) -> bytes | None:
    """A photo reported in Telegram, as a JPEG: fetched once through the Bot API (getFile, then the file)
    and kept under the data folder; later readers get the kept copy. None when it cannot be had (no bot
    token, Telegram refused or is out of reach, not an image)."""
    path = telegram_photo_path(unique_id, data_dir)
    if path is None:
        return None
    if path.is_file():
        return path.read_bytes()
    if not token:
        return None
    lock = _FETCHES.setdefault(unique_id, asyncio.Lock())
    async with lock:
        if path.is_file():  # another reader fetched it meanwhile
            return path.read_bytes()
        data = await _download(file_id, token, (api_url or TELEGRAM_API).rstrip("/"))
        if data is None:
            return None
        try:
            jpeg = _reencoded(data)
        except NotAPhoto:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(jpeg)
        tmp.replace(path)
    _FETCHES.pop(unique_id, None)
    return jpeg


async def _download(file_id: str, token: str, base: str) -> bytes | None:
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{base}/bot{token}/getFile", params={"file_id": file_id}) as got:
                answer = await got.json(content_type=None)
            path = (answer.get("result") or {}).get("file_path") if answer.get("ok") else None
            if not isinstance(path, str) or not path:
                return None
            async with session.get(f"{base}/file/bot{token}/{path}") as got:
                if got.status != 200:
                    return None
                data = await got.content.read(MAX_BYTES * 3 + 1)  # Telegram keeps photos under 10 MB
                return data if len(data) <= MAX_BYTES * 3 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


def _reencoded(data: bytes) -> bytes:
    """Decoded with Pillow (a JPEG, PNG, WebP or GIF of at most MAX_PIXELS, anything else refused) and
    saved again as a JPEG, which drops its metadata."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS or probe.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                raise NotAPhoto(PhotoFault.NOT_IMAGE)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise NotAPhoto(PhotoFault.NOT_IMAGE) from None
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()
