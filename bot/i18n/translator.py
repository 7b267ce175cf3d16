"""The gettext translator: catalogs compiled from the .po files in memory at start-up, Babel formats."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from handlers.ports import Translator
from handlers.text import LANGUAGES, Lang, check_fen, local_day, local_moment, resolve_language

DOMAIN = "wuye"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class LocaleFormats:
    """How one language writes dates, times and money; Babel supplies digits, separators, month names."""

    babel_locale: str
    date_pattern: str
    datetime_pattern: str
    money_pattern: str


# Patterns are spelled out (not CLDR's "medium") so every language gets a 24-hour clock without seconds.
# zh_Hant uses Taiwan's data, which is CLDR's unmarked Traditional Chinese (zh_Hant adds nothing over it,
# while zh_Hant_HK overrides for Hong Kong); with fixed patterns the two would print the same anyway.
# Money is always "¥": every amount here is CNY, and CLDR's "CN¥" outside zh_Hans_CN only guards
# against a confusion with yen that no estate bill has.
FORMATS: dict[Lang, LocaleFormats] = {
    "zh_Hans": LocaleFormats("zh_Hans_CN", "y年M月d日", "y年M月d日 HH:mm", "¥#,##0.00"),
    "zh_Hant": LocaleFormats("zh_Hant_TW", "y年M月d日", "y年M月d日 HH:mm", "¥#,##0.00"),
    "en": LocaleFormats("en", "d MMM y", "d MMM y, HH:mm", "¥#,##0.00"),
}


def default_locales_dir() -> Traversable:
    """The `locales` package: the repo's folder in a checkout, its package data when installed."""
    return resources.files("locales")


def po_path(locales_dir: Traversable | Path, lang: Lang) -> Traversable:
    return locales_dir.joinpath(lang, "LC_MESSAGES", f"{DOMAIN}.po")


def read_catalog(locales_dir: Traversable | Path, lang: Lang) -> Catalog:
    """Parse one language's .po file; a malformed file raises rather than half-loading."""
    path = po_path(locales_dir, lang)
    if not path.is_file():
        raise FileNotFoundError(
            f"no catalog for {lang}: {path} is missing (run `python -m bot.i18n.catalogs`)"
        )
    with path.open("rb") as po:
        return read_po(po, locale=lang, domain=DOMAIN, abort_invalid=True)


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    """Fuzzy and (even partly) untranslated entries are left out, so gettext falls back to the msgid."""
    for message in list(catalog)[1:]:
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(forms):
            catalog.delete(message.id, context=message.context)
    mo = BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


class BabelTranslator:
    """One language's translations and formats; the display zone applies to shown times only."""

    def __init__(self, lang: Lang, translations: gettext.NullTranslations, tz: tzinfo) -> None:
        self._lang: Lang = lang
        self._translations = translations
        self._tz = tz
        self._formats = FORMATS[lang]

    @property
    def lang(self) -> Lang:
        return self._lang

    def gettext(self, message: str) -> str:
        # gettext("") would return the catalog's header block.
        return self._translations.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def format_datetime(self, dt: datetime) -> str:
        moment = local_moment(dt, self._tz)
        return babel_format_datetime(
            moment, self._formats.datetime_pattern, locale=self._formats.babel_locale
        )

    def format_date(self, d: date) -> str:
        day = local_day(d, self._tz)
        return babel_format_date(day, self._formats.date_pattern, locale=self._formats.babel_locale)

    def format_money(self, fen: int) -> str:
        yuan = Decimal(check_fen(fen)).scaleb(-2)
        return format_decimal(yuan, self._formats.money_pattern, locale=self._formats.babel_locale)

    def format_number(self, n: int | Decimal) -> str:
        return format_decimal(n, locale=self._formats.babel_locale)

    def __repr__(self) -> str:
        return f"BabelTranslator({self._lang!r}, tz={self._tz!s})"


class Translations:
    """Every language's translator, built once; `for_lang` hands out the cached one."""

    def __init__(self, translators: dict[Lang, Translator]) -> None:
        self._translators = translators

    def for_lang(self, lang: Lang) -> Translator:
        # A stored raw code ("zh-hant") still finds its translator instead of raising mid-conversation.
        return self._translators[lang if lang in self._translators else resolve_language(lang)]


def load_translations(locales_dir: Path | Traversable | None = None, tz: tzinfo = SHANGHAI) -> Translations:
    """Read and compile every language's .po file now, so a missing or broken catalog stops start-up."""
    where = default_locales_dir() if locales_dir is None else locales_dir
    translators: dict[Lang, Translator] = {
        lang: BabelTranslator(lang, compile_catalog(read_catalog(where, lang)), tz) for lang in LANGUAGES
    }
    return Translations(translators)
