"""Public ticket numbers an owner can read out on the phone: HB-2026-000123."""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^[A-Z]{2,6}$")
_NUMBER = re.compile(r"^\s*([A-Za-z]{2,6})\s*-\s*(\d{4})\s*-\s*(\d{1,9})\s*$")


def valid_prefix(prefix: str) -> bool:
    """Estate prefixes are 2–6 capital Latin letters, easy to say on the phone."""
    return bool(_PREFIX.match(prefix))


def format_number(prefix: str, year: int, seq: int) -> str:
    if not valid_prefix(prefix):
        raise ValueError(f"ticket prefix must be 2-6 capital letters, got {prefix!r}")
    return f"{prefix}-{year:04d}-{seq:06d}"


def normalise_number(text: str) -> str | None:
    """Accept 'hb-2026-123' or 'HB - 2026 - 000123' as typed by a person; None if it is no number."""
    m = _NUMBER.match(text)
    if not m:
        return None
    return f"{m.group(1).upper()}-{m.group(2)}-{int(m.group(3)):06d}"
