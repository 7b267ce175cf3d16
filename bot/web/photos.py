"""Photos uploaded on the web: checked as images, size-limited, stored under the data folder, and sent
to Telegram as photos by the outbox.

An uploaded photo is decoded with Pillow (anything else is refused), re-encoded as a JPEG (which drops
its metadata, a phone's GPS position included) and kept as `<data>/photos/<sha256>.jpg`. The ticket's
attachment carries `web:<sha256>` where a Telegram photo carries its file id, so every card, timeline
and privacy rule treats both alike; the outbox turns such a part into an upload of the file."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from handlers.conversations.io import Edit, Send

MAX_BYTES = 8 * 1024 * 1024  # one uploaded photo
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
LONGEST_SIDE = 2560
PREFIX = "web:"
_NAME = re.compile(r"^[0-9a-f]{64}$")


class NotAPhoto(Exception):
    """The upload is not an image we take; `code` says why ("too_large", "not_image")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def photo_dir(data_dir: Path) -> Path:
    return data_dir / "photos"


def keep_photo(data: bytes, data_dir: Path) -> tuple[str, str]:
    """Check, re-encode and store an upload; returns (file_id, unique_id) for the attachment."""
    if len(data) > MAX_BYTES:
        raise NotAPhoto("too_large")
    if not data:
        raise NotAPhoto("not_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS or probe.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                raise NotAPhoto("not_image")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise NotAPhoto("not_image") from None
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    jpeg = out.getvalue()
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
