"""The languages the bot speaks, and what translators share; their interface is in handlers/ports.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

Lang = Literal["zh_Hans", "zh_Hant", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LANG: Lang = "zh_Hans"

# Shown in their own script, whatever the reader's language, so they are deliberately not translated.
LANGUAGE_NAMES: dict[Lang, str] = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def N_(s: str) -> str:
    """Mark a string for extraction without translating it yet; translate it later with `_()`."""
    return s


# The language picker's own text; also the seed messages the catalog tests rely on.
CHOOSE_LANGUAGE = N_("Choose your language")
LANGUAGE_CHOSEN = N_("Language set to {language}.")

_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})
# Chinese languages other than `zh` itself; Cantonese readers mostly read Traditional characters.
_CHINESE = frozenset({"zh", "cmn", "wuu", "hak", "nan", "gan", "hsn", "cdo", "lzh", "yue"})
# ISO 639-1 (plus the withdrawn iw/in/ji older Android still sends): "fr" is French, "xx" is garbage.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
    dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia
    id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo
    lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl
    ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk
    tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu iw in ji
"""
_ISO_639_1 = frozenset(_ISO_639_1_CODES.split())


def resolve_language(code: str | None) -> Lang:
    """Map a Telegram `language_code` (or any BCP 47-ish tag) to a language we speak; never raises."""
    if not isinstance(code, str):
        return DEFAULT_LANG
    parts = [p for p in re.split(r"[^a-z0-9]+", code.strip().lower()) if p]
    if not parts:
        return DEFAULT_LANG
    primary, subtags = parts[0], set(parts[1:])
    if primary in _CHINESE:
        # The script decides before the region: zh-Hans-HK is Simplified Chinese read in Hong Kong.
        if "hans" in subtags:
            return "zh_Hans"
        if "hant" in subtags or subtags & _TRADITIONAL or primary == "yue":
            return "zh_Hant"
        return "zh_Hans"
    if primary == "en":
        return "en"
    # Any real language we don't speak gets English; three-letter codes are ISO 639-2/3, "und" is unknown.
    if primary in _ISO_639_1 or (len(primary) == 3 and primary.isalpha() and primary != "und"):
        return "en"
    return DEFAULT_LANG


def local_moment(dt: datetime, tz: tzinfo) -> datetime:
    """`dt` in the display zone; a naive datetime is a bug, since its zone is unknown."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"cannot display a naive datetime ({dt.isoformat()}): pass an aware one")
    return dt.astimezone(tz)


def local_day(d: date, tz: tzinfo) -> date:
    """The calendar day to show: an aware datetime counts in the display zone."""
    return local_moment(d, tz).date() if isinstance(d, datetime) else d


def check_fen(fen: int) -> int:
    """Money is integer fen; a float or a bool here is a bug, not a rounding question."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money is integer fen, got {type(fen).__name__}: {fen!r}")
    return fen


@dataclass(frozen=True)
class NullTranslator:
    """English passthrough with plain formatting, for tests that don't care about wording."""

    lang: Lang = "en"
    tz: tzinfo | None = None  # None: Asia/Shanghai, looked up only when a time is shown

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def format_datetime(self, dt: datetime) -> str:
        return local_moment(dt, self._zone()).strftime("%Y-%m-%d %H:%M")

    def format_date(self, d: date) -> str:
        return local_day(d, self._zone()).isoformat()

    def format_money(self, fen: int) -> str:
        yuan, cents = divmod(abs(check_fen(fen)), 100)
        return f"{'-' if fen < 0 else ''}¥{yuan:,}.{cents:02d}"

    def format_number(self, n: int | Decimal) -> str:
        return f"{n:,}"

    def _zone(self) -> tzinfo:
        return self.tz if self.tz is not None else ZoneInfo("Asia/Shanghai")


class NullTranslatorFactory:
    """A `TranslatorFactory` of `NullTranslator`s that remember the language asked for."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self._tz = tz

    def for_lang(self, lang: Lang) -> NullTranslator:
        return NullTranslator(lang=lang, tz=self._tz)
