"""The CJK font for images the bot draws (QR posters, revenue charts): Noto Sans CJK, installed from PyPI.

The `cvttf-NotoSansCJK-Regular` wheel ships NotoSansCJKtc-Regular.otf, a pan-CJK face that covers Simplified
and Traditional Chinese and Latin, so Chinese labels render instead of empty boxes. It is a data file of the
wheel (installed next to the environment's prefix), so we find it through the distribution's file list.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "cvttf-NotoSansCJK-Regular"
FILENAME = "NotoSansCJKtc-Regular.otf"


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font_path() -> Path:
    """The path of the installed CJK font; FontMissing, naming the package to install, if it is absent."""
    try:
        files = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == FILENAME:
            path = Path(str(f.locate())).resolve()
            if path.is_file():
                return path
    raise FontMissing(f"the CJK font {FILENAME} is missing: pip install {DISTRIBUTION}")
