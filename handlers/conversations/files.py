"""Which photos and files the bot takes where a photo is asked for, and what it says about the rest.

Only photos are kept (as Telegram file ids, shown to staff and officials with sendPhoto). A picture sent
"as a file" is a document: its file id cannot be shown as a photo, so the person is asked to send it
as a photo. Anything above the Bot API's download limit could never be fetched, so it is refused too.
"""

from __future__ import annotations

from handlers.conversations.io import Kind
from handlers.conversations.turn import Turn

MAX_FILE_BYTES = 20 * 1024 * 1024  # bots cannot download larger files through the Bot API (getFile)
_MB = 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / _MB:.1f}"


def photo_problem(turn: Turn) -> str | None:
    """Why this photo or document cannot be taken as a photo, in the person's language; None if it can
    (and for messages that are neither: the step answers those itself)."""
    inc = turn.inc
    if inc.kind not in (Kind.PHOTO, Kind.DOCUMENT):
        return None
    if inc.file_size is not None and inc.file_size > MAX_FILE_BYTES:
        return turn.t(
            "That file is too large ({size} MB): I can take at most {limit} MB. Please send a smaller photo.",
            size=_megabytes(inc.file_size),
            limit=MAX_FILE_BYTES // _MB,
        )
    if inc.kind is Kind.PHOTO:
        return None if inc.file_id else turn.t("That photo did not come through. Please send it again.")
    if (inc.mime_type or "").lower().startswith("image/"):
        return turn.t(
            "That picture came as a file. Please send it as a photo (choose “Photo”, not “File”, when "
            "attaching), so staff and the community can see it at a glance."
        )
    return turn.t(
        "I cannot take “{name}” here: only photos are kept with a report, no documents, programs "
        "or archives. Please send a photo.",
        name=inc.file_name or inc.mime_type or turn.t("this file"),
    )
