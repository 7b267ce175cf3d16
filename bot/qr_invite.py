"""The printed owner invite: a QR code of the estate's t.me deep link with the estate's name under it,
sized for an A5 sheet at 150 dpi (prints sharp on A4 too), for the notice board and the lift lobby.

The words come from the catalogs (Simplified Chinese unless asked otherwise), drawn in the CJK font of
bot/fonts.py so Chinese never turns into empty boxes. The code is printed too, for whoever cannot scan.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.fonts import cjk_font_path
from handlers.ports import Translator
from handlers.text import N_

A5_150DPI = (1240, 1754)
DPI = 150
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")  # Telegram: 5-32 characters (bots end in "bot")

TITLE = N_("Owner services")
SCAN = N_("Scan with your phone's camera to join {estate} owner services on Telegram")
FALLBACK = N_("Cannot scan? In Telegram, open @{bot} and send:")
FOOTER = N_("Report problems to the property company and follow them to the end.")


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def valid_username(name: str) -> bool:
    return bool(USERNAME.match(name.lstrip("@")))


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, width: int, size: int, smallest: int = 24
) -> ImageFont.FreeTypeFont:
    """The largest font up to ``size`` in which ``text`` fits ``width``."""
    while size > smallest:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 4
    return _font(smallest)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: between Chinese characters anywhere, and
    between Latin words only at spaces."""
    lines, line = [], ""
    for piece in _PIECES.findall(text):
        too_wide = draw.textlength((line + piece).rstrip(), font=font) > width
        if too_wide and line.strip() and piece not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


_NO_LINE_START = set("。，、；：？！）」』》〉”’.,;:!?)")  # closing marks stay with the line before
_PIECES = re.compile(r"[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+|.")  # a Latin word, spaces, or one CJK char


def _centred(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    font: ImageFont.FreeTypeFont,
    page_width: int,
    fill: str = "black",
) -> int:
    """Draw ``text`` centred at height ``y``; return the y below it."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((page_width - (right - left)) // 2 - left, y - top), text, font=font, fill=fill)
    return y + int(bottom - top)


def qr_image(link: str, side: int) -> Image.Image:
    """The QR code of ``link`` as a black-on-white square of at most ``side`` pixels, whole pixels per
    module so it stays crisp (4 modules of quiet zone around it)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(link)
    code.make(fit=True)
    small = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    scale = max(1, side // small.size[0])
    return small.resize((small.size[0] * scale, small.size[1] * scale), Image.Resampling.NEAREST)


def draw_invite(
    tr: Translator, estate_name: str, code: str, bot_username: str, size: tuple[int, int] = A5_150DPI
) -> Image.Image:
    """The poster: a title, the QR code, the estate's name under it, how to join without scanning."""
    width, height = size
    margin = width // 12
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    y = height // 22
    y = _centred(
        draw, y, tr.gettext(TITLE), _fit(draw, tr.gettext(TITLE), width - 2 * margin, width // 14), width
    )
    qr = qr_image(deep_link(bot_username, code), min(width - 2 * margin, height // 2))
    y += height // 40
    page.paste(qr, ((width - qr.size[0]) // 2, y))
    y += qr.size[1] + height // 60
    name_font = _fit(draw, estate_name, width - 2 * margin, width // 11)
    y = _centred(draw, y, estate_name, name_font, width) + height // 40
    body = _font(width // 34)
    line_gap = width // 90
    for line in _wrap(draw, tr.gettext(SCAN).format(estate=estate_name), body, width - 2 * margin):
        y = _centred(draw, y, line, body, width) + line_gap
    y += height // 40
    for line in _wrap(draw, tr.gettext(FALLBACK).format(bot=bot_username), body, width - 2 * margin):
        y = _centred(draw, y, line, body, width) + line_gap
    y += line_gap
    y = _centred(
        draw, y, f"/join {code}", _fit(draw, f"/join {code}", width - 2 * margin, width // 16), width
    )
    small = _font(width // 44)
    footer = _wrap(draw, tr.gettext(FOOTER), small, width - 2 * margin)
    y = max(y + height // 30, height - height // 22 - len(footer) * (width // 40))
    for line in footer:
        y = _centred(draw, y, line, small, width, fill="#555555") + line_gap
    return page


def write_invite(path: Path, image: Image.Image) -> None:
    """Write the PNG (with its print resolution) in one step: a failure leaves no half-written file."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=".wuye-invite-", suffix=".png", dir=path.parent or ".")
    os.close(fd)
    try:
        image.save(temporary, format="PNG", dpi=(DPI, DPI))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
