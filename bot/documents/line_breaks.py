"""Where a line of mixed Chinese and Latin text may break: between any two Chinese characters, and
between Latin words only at spaces; a closing mark never starts a line. Used by the poster and the chart."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

NO_LINE_START = frozenset("。，、；：？！）」』》〉”’.,;:!?)")  # closing marks stay with the line before
_PIECES = re.compile(r"[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+|.")  # a Latin word, spaces, or one CJK char


def columns(text: str) -> int:
    """How wide ``text`` is in a monospace sense: a Chinese character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy line breaking: each line as long as ``fits`` allows (a single piece too wide for a line
    gets a line of its own)."""
    lines, line = [], ""
    for piece in _PIECES.findall(text):
        too_wide = not fits((line + piece).rstrip())
        if too_wide and line.strip() and piece not in NO_LINE_START:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def wrap_columns(text: str, width: int) -> str:
    """``text`` broken into as few lines of at most ``width`` columns as it needs, of even length (no
    lone last word), joined by newlines."""
    lines = break_lines(text, _within(width))
    for narrower in range(-(-columns(text) // max(len(lines), 1)), width):
        even = break_lines(text, _within(narrower))
        if len(even) <= len(lines):
            return "\n".join(even)
    return "\n".join(lines)


def _within(width: int) -> Callable[[str], bool]:
    return lambda line: columns(line) <= width
