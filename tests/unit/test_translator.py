"""The gettext translator: catalogs read from .po at load, per-language dates and money, fallbacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import PoFileError

from bot.i18n.translator import Translations, load_translations
from handlers.ports import Translator
from handlers.text import (
    CHOOSE_LANGUAGE,
    LANGUAGE_CHOSEN,
    LANGUAGE_NAMES,
    LANGUAGES,
    Lang,
    NullTranslator,
    NullTranslatorFactory,
)

# 01:30 UTC is 09:30 in Shanghai; 20:05 UTC is already the next day there.
MORNING = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
LATE_EVENING_UTC = datetime(2026, 11, 22, 20, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def translations() -> Translations:
    return load_translations()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_loads_from_the_shipped_catalogs(translations: Translations, lang: Lang) -> None:
    tr = translations.for_lang(lang)
    assert tr.lang == lang
    assert isinstance(tr, Translator)
    assert translations.for_lang(lang) is tr


@pytest.mark.parametrize(
    ("lang", "prompt", "chosen"),
    [
        ("zh_Hans", "请选择语言", "语言已设为简体中文。"),
        ("zh_Hant", "請選擇語言", "語言已設為繁體中文。"),
        ("en", "Choose your language", "Language set to English."),
    ],
)
def test_a_known_message_is_translated(
    translations: Translations, lang: Lang, prompt: str, chosen: str
) -> None:
    _ = translations.for_lang(lang).gettext
    assert _(CHOOSE_LANGUAGE) == prompt
    assert _(LANGUAGE_CHOSEN).format(language=LANGUAGE_NAMES[lang]) == chosen


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_message_missing_from_the_catalog_falls_back_to_the_msgid(
    translations: Translations, lang: Lang
) -> None:
    tr = translations.for_lang(lang)
    assert tr.gettext("No catalog has this {thing}") == "No catalog has this {thing}"
    assert tr.ngettext("{n} unknown", "{n} unknowns", 1) == "{n} unknown"
    assert tr.ngettext("{n} unknown", "{n} unknowns", 3) == "{n} unknowns"
    assert tr.gettext("") == ""  # not the catalog's header block


def test_a_stored_raw_language_code_still_finds_a_translator(translations: Translations) -> None:
    assert translations.for_lang("zh-hant").lang  # type: ignore[arg-type] == "zh_Hant"
    assert translations.for_lang("nonsense").lang == "zh_Hans"


@pytest.mark.parametrize(
    ("lang", "morning", "late_evening", "day"),
    [
        ("zh_Hans", "2026年11月23日 09:30", "2026年11月23日 04:05", "2026年1月5日"),
        ("zh_Hant", "2026年11月23日 09:30", "2026年11月23日 04:05", "2026年1月5日"),
        ("en", "23 Nov 2026, 09:30", "23 Nov 2026, 04:05", "5 Jan 2026"),
    ],
)
def test_times_are_shown_in_shanghai_in_each_languages_style(
    translations: Translations, lang: Lang, morning: str, late_evening: str, day: str
) -> None:
    tr = translations.for_lang(lang)
    assert tr.format_datetime(MORNING) == morning
    assert tr.format_datetime(LATE_EVENING_UTC) == late_evening
    assert tr.format_datetime(MORNING.astimezone(timezone(timedelta(hours=-5)))) == morning
    assert tr.format_date(date(2026, 1, 5)) == day
    # An aware datetime given as a date counts on the Shanghai calendar: 20:05 UTC is the 23rd there.
    assert tr.format_date(LATE_EVENING_UTC) == tr.format_date(date(2026, 11, 23))


def test_the_display_zone_is_configurable() -> None:
    tr = load_translations(tz=ZoneInfo("UTC")).for_lang("en")
    assert tr.format_datetime(MORNING) == "23 Nov 2026, 01:30"
    assert tr.format_date(LATE_EVENING_UTC) == "22 Nov 2026"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_naive_datetime_is_refused_rather_than_guessed(translations: Translations, lang: Lang) -> None:
    with pytest.raises(ValueError, match="naive"):
        translations.for_lang(lang).format_datetime(datetime(2026, 11, 23, 9, 30))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_money_is_yuan_from_integer_fen(translations: Translations, lang: Lang) -> None:
    tr = translations.for_lang(lang)
    assert tr.format_money(123450) == "¥1,234.50"
    assert tr.format_money(0) == "¥0.00"
    assert tr.format_money(5) == "¥0.05"
    assert tr.format_money(-120000) == "-¥1,200.00"
    assert tr.format_money(10**12) == "¥10,000,000,000.00"
    assert tr.format_number(1234567) == "1,234,567"
    assert tr.format_number(Decimal("1234.5")) == "1,234.5"


@pytest.mark.parametrize("bad", [12.5, Decimal("12.50"), True, "100"])
def test_money_that_is_not_integer_fen_is_refused(translations: Translations, bad: object) -> None:
    with pytest.raises(TypeError, match="fen"):
        translations.for_lang("zh_Hans").format_money(bad)


# --- behaviour on a synthetic catalog -------------------------------------------------------------

_HEADER = """msgid ""
msgstr ""
"Language: {lang}\\n"
"Plural-Forms: {plural}\\n"
"Content-Type: text/plain; charset=utf-8\\n"

"""
_PLURALS = {
    "zh_Hans": "nplurals=1; plural=0;",
    "zh_Hant": "nplurals=1; plural=0;",
    "en": "nplurals=2; plural=(n != 1);",
}


def _write_catalogs(root: Path, zh_hans_body: str) -> Path:
    for lang in LANGUAGES:
        po = root / lang / "LC_MESSAGES" / "wuye.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        body = zh_hans_body if lang == "zh_Hans" else ""
        po.write_text(_HEADER.format(lang=lang, plural=_PLURALS[lang]) + body, encoding="utf-8")
    return root


_ZH_BODY = """msgid "Hello"
msgstr "你好"

#, fuzzy
msgid "Goodbye"
msgstr "一个猜测"

msgid "{n} ticket"
msgid_plural "{n} tickets"
msgstr[0] "{n} 个工单"

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] ""

msgid "Untranslated"
msgstr ""
"""


def test_fuzzy_and_empty_entries_fall_back_to_english(tmp_path: Path) -> None:
    tr = load_translations(_write_catalogs(tmp_path, _ZH_BODY)).for_lang("zh_Hans")
    assert tr.gettext("Hello") == "你好"
    assert tr.gettext("Goodbye") == "Goodbye"
    assert tr.gettext("Untranslated") == "Untranslated"
    # An untranslated plural falls back with the English rule, not "{n} day" for every n.
    assert tr.ngettext("{n} day", "{n} days", 1) == "{n} day"
    assert tr.ngettext("{n} day", "{n} days", 5) == "{n} days"


def test_chinese_has_one_plural_form_for_every_count(tmp_path: Path) -> None:
    tr = load_translations(_write_catalogs(tmp_path, _ZH_BODY)).for_lang("zh_Hans")
    assert [tr.ngettext("{n} ticket", "{n} tickets", n) for n in (0, 1, 2)] == ["{n} 个工单"] * 3


def test_an_edited_po_file_is_used_on_the_next_load_with_no_compile_step(tmp_path: Path) -> None:
    root = _write_catalogs(tmp_path, _ZH_BODY)
    assert load_translations(root).for_lang("zh_Hans").gettext("Untranslated") == "Untranslated"
    po = root / "zh_Hans" / "LC_MESSAGES" / "wuye.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "Fresh"\nmsgstr "新的"\n', encoding="utf-8")
    assert load_translations(root).for_lang("zh_Hans").gettext("Fresh") == "新的"
    assert not list(root.rglob("*.mo"))


def test_a_missing_catalog_stops_loading_and_names_the_file(tmp_path: Path) -> None:
    root = _write_catalogs(tmp_path, _ZH_BODY)
    (root / "zh_Hant" / "LC_MESSAGES" / "wuye.po").unlink()
    with pytest.raises(FileNotFoundError, match="zh_Hant"):
        load_translations(root)


def test_a_malformed_catalog_stops_loading(tmp_path: Path) -> None:
    root = _write_catalogs(tmp_path, _ZH_BODY + '\nmsgid "Broken"\nmsgstr[3] "x"\nthis is not po\n')
    with pytest.raises(PoFileError):
        load_translations(root)


# --- the null translator --------------------------------------------------------------------------


def test_the_null_translator_passes_english_through_with_plain_formats() -> None:
    tr = NullTranslator()
    assert isinstance(tr, Translator)
    assert tr.lang == "en"
    assert tr.gettext("Hello {name}") == "Hello {name}"
    assert tr.ngettext("{n} day", "{n} days", 1) == "{n} day"
    assert tr.ngettext("{n} day", "{n} days", 2) == "{n} days"
    assert tr.format_datetime(MORNING) == "2026-11-23 09:30"
    assert tr.format_date(LATE_EVENING_UTC) == "2026-11-23"
    assert tr.format_date(date(2026, 1, 5)) == "2026-01-05"
    assert tr.format_money(123450) == "¥1,234.50"
    assert tr.format_money(-5) == "-¥0.05"
    assert tr.format_number(1234567) == "1,234,567"
    with pytest.raises(TypeError):
        tr.format_money(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tr.format_datetime(datetime(2026, 11, 23, 9, 30))


def test_the_null_factory_remembers_the_language_asked_for() -> None:
    factory = NullTranslatorFactory(tz=UTC)
    tr = factory.for_lang("zh_Hant")
    assert tr.lang == "zh_Hant"
    assert tr.gettext("Hello") == "Hello"
    assert tr.format_datetime(MORNING) == "2026-11-23 01:30"
