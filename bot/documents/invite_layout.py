"""The printed owner invite's layout: what the poster says (the QR code of the estate's t.me deep link
with the estate's name under it, the code itself for whoever cannot scan, what owners can report, one
sentence on who sees the reporter's name, the property company's name and phone) and where each thing
goes, measured with the CJK font of bot/documents/fonts.py. bot/documents/qr_invite.py draws it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import qrcode
from PIL import Image, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.documents.fonts import cjk_font_path
from bot.documents.line_breaks import break_lines
from handlers.conversations import labels
from handlers.ports import Translator
from handlers.rules.categories import EVERYDAY
from handlers.text import N_

A4_150DPI = (1240, 1754)  # A4, 210 × 297 mm, at 150 dpi
A4_MM = (210, 297)
DPI = 150
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")  # Telegram: 5-32 characters (bots end in "bot")

TITLE = N_("Owner services")
SCAN = N_("Scan with your phone's camera to join {estate} owner services on Telegram")
FALLBACK = N_("Cannot scan? In Telegram, open @{bot} and send:")
FOOTER = N_("Report problems to the property company and follow them to the end.")
WHAT_TO_REPORT = N_("What you can report")
# The promise of handlers.conversations.labels.PRIVACY_EXPLAINED, no more: the reporter chooses, and
# may keep their name from the company (officials may still see it unless they choose "nobody").
PRIVACY = N_(
    "Each time you report, you choose who may see your name; you can keep it from the property company."
)
COMPANY = N_("Property company: {company}")
PHONE = N_("Phone: {phone}")

INK, GREY, ACCENT = "#000000", "#555555", "#1B5E20"
LEADING = 0.05  # of the em, between lines (the font's own ascent and descent already leave air)


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def valid_username(name: str) -> bool:
    return bool(USERNAME.match(name.lstrip("@")))


@dataclass(frozen=True)
class Company:
    """Who runs the estate, as the setup file names them: printed so owners know whom they report to."""

    name: str
    phone: str | None = None


# ---- the layout --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextLine:
    """One line of text: ``x`` is its centre (align "center") or left edge (align "left"), in pixels of
    the PNG; ``baseline`` its baseline from the top; ``size`` the font's em in pixels."""

    text: str
    x: float
    baseline: float
    size: int
    align: str = "center"
    colour: str = INK
    width: float = 0.0  # as measured in the font
    ascent: float = 0.0
    descent: float = 0.0

    @property
    def box(self) -> tuple[float, float, float, float]:
        left = self.x - self.width / 2 if self.align == "center" else self.x
        return (left, self.baseline - self.ascent, left + self.width, self.baseline + self.descent)


@dataclass(frozen=True)
class QrCode:
    """The code at one pixel per module (quiet zone included), drawn ``side`` pixels wide at (x, y)."""

    modules: Image.Image
    x: int
    y: int
    side: int

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.side, self.y + self.side)


@dataclass(frozen=True)
class Rule:
    """A thin horizontal line between the poster's parts."""

    y: float
    x0: float
    x1: float


@dataclass
class Poster:
    size: tuple[int, int]
    texts: list[TextLine] = field(default_factory=list)
    qr: QrCode | None = None
    rules: list[Rule] = field(default_factory=list)
    body_bottom: float = 0.0  # where the words above the footer end
    footer_top: float = 0.0

    def words(self) -> str:
        return "\n".join(t.text for t in self.texts)


@cache
def font_at(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


def _width(text: str, size: int) -> float:
    return font_at(size).getlength(text)


def _fit(text: str, width: float, size: int, smallest: int = 24) -> int:
    """The largest size up to ``size`` in which ``text`` fits ``width``."""
    while size > smallest and _width(text, size) > width:
        size -= 2
    return max(size, smallest)


def _wrap(text: str, size: int, width: float) -> list[str]:
    return break_lines(text, lambda line: _width(line, size) <= width)


def qr_modules(link: str) -> Image.Image:
    """The QR code of ``link``, one pixel per module, 4 modules of quiet zone, black on white."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(link)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


class _Column:
    """Lays lines down the page from the top, keeping a cursor."""

    def __init__(self, poster: Poster, top: float) -> None:
        self.poster, self.y = poster, top
        self.width, self.height = poster.size

    def line(
        self, text: str, size: int, *, x: float | None = None, align: str = "center", colour: str = INK
    ) -> None:
        ascent, descent = font_at(size).getmetrics()
        self.poster.texts.append(
            TextLine(
                text,
                self.width / 2 if x is None else x,
                self.y + ascent,
                size,
                align,
                colour,
                _width(text, size),
                ascent,
                descent,
            )
        )
        self.y += _line_step(size)

    def paragraph(self, text: str, size: int, measure: float, colour: str = INK) -> None:
        for line in _wrap(text, size, measure):
            self.line(line, size, colour=colour)

    def gap(self, pixels: float) -> None:
        self.y += pixels


def poster_layout(
    tr: Translator,
    estate_name: str,
    code: str,
    bot_username: str,
    company: Company | None = None,
    size: tuple[int, int] = A4_150DPI,
) -> Poster:
    """Where each thing goes on the page. The QR code is as large as the words leave room for (from
    9 cm down to 6 cm on A4); if even that is too much, the words get smaller."""
    width, height = size
    modules = qr_modules(deep_link(bot_username, code))
    largest, smallest = width * 3 // 7, width * 2 // 7
    poster = Poster(size)
    for scale in (1.0, 0.92, 0.85, 0.78, 0.72):
        side = largest
        while side >= smallest:
            poster = _lay_out(tr, estate_name, code, bot_username, company, size, modules, side, scale)
            if poster.body_bottom + height / 80 <= poster.footer_top:
                return poster
            side -= modules.size[0]
    return poster


def _lay_out(
    tr: Translator,
    estate_name: str,
    code: str,
    bot_username: str,
    company: Company | None,
    size: tuple[int, int],
    modules: Image.Image,
    side: int,
    scale: float,
) -> Poster:
    width, height = size
    margin = width // 12
    measure = width - 2 * margin
    u = height / 100  # a hundredth of the page's height, for the gaps
    em: Callable[[int], int] = lambda parts: int(width / parts * scale)  # noqa: E731
    poster = Poster(size)
    page = _Column(poster, top=3 * u)

    title = tr.gettext(TITLE)
    page.line(title, _fit(title, measure, em(19)))
    page.gap(1.0 * u)
    qr_side = modules.size[0] * max(1, side // modules.size[0])
    poster.qr = QrCode(modules, (width - qr_side) // 2, int(page.y), qr_side)
    page.gap(qr_side + 1.0 * u)
    page.line(estate_name, _fit(estate_name, measure, em(15)))
    page.gap(0.3 * u)
    page.paragraph(tr.gettext(SCAN).format(estate=estate_name), em(38), measure)
    page.gap(0.8 * u)
    page.paragraph(tr.gettext(FALLBACK).format(bot=bot_username), em(42), measure)
    join = f"/join {code}"
    page.line(join, _fit(join, measure, em(26)))

    page.gap(1.0 * u)
    poster.rules.append(Rule(page.y, margin, width - margin))
    page.gap(1.4 * u)
    page.line(tr.gettext(WHAT_TO_REPORT), em(34), colour=ACCENT)
    page.gap(0.3 * u)
    _categories(page, tr, margin, measure, em(46))
    page.gap(0.8 * u)
    page.paragraph(tr.gettext(PRIVACY), em(44), measure, colour=ACCENT)

    if company is not None:
        page.gap(1.0 * u)
        poster.rules.append(Rule(page.y, margin, width - margin))
        page.gap(1.4 * u)
        named = tr.gettext(COMPANY).format(company=company.name)
        page.line(named, _fit(named, measure, em(38)))
        if company.phone:
            phone = tr.gettext(PHONE).format(phone=company.phone)
            page.line(phone, _fit(phone, measure, em(30)))
    poster.body_bottom = page.y

    small = em(54)
    footer = _wrap(tr.gettext(FOOTER), small, measure)
    poster.footer_top = height - 2.5 * u - len(footer) * _line_step(small)
    bottom = _Column(poster, top=poster.footer_top)
    for line in footer:
        bottom.line(line, small, colour=GREY)
    return poster


def _line_step(size: int) -> float:
    ascent, descent = font_at(size).getmetrics()
    return ascent + descent + size * LEADING


def _categories(page: _Column, tr: Translator, margin: int, measure: float, size: int) -> None:
    """The everyday categories in two columns, in the order owners meet them in the bot, the pair
    centred on the page."""
    lines = ["\u2022 " + labels.label(tr, labels.CATEGORY, c) for c in EVERYDAY]
    rows = (len(lines) + 1) // 2
    columns = [lines[:rows], lines[rows:]]  # down the first column, then the second
    gutter = measure / 10
    size = min(_fit(line, (measure - gutter) / 2, size, smallest=18) for line in lines)
    widths = [max(_width(line, size) for line in column) for column in columns]
    left = margin + (measure - sum(widths) - gutter) / 2
    starts = (left, left + widths[0] + gutter)
    top = page.y
    for x, column in zip(starts, columns, strict=True):
        page.y = top
        for line in column:
            page.line(line, size, x=x, align="left")
    page.y = top + rows * _line_step(size)
