"""Telegram's language codes map to the three languages the bot speaks."""

from __future__ import annotations

import random
import string

import pytest

from handlers.text import DEFAULT_LANG, LANGUAGES, resolve_language


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # Simplified: script, mainland and Singapore regions, plain zh, Telegram's suffixes.
        ("zh-hans", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh_Hans", "zh_Hans"),
        ("zh-hans-beta", "zh_Hans"),
        ("zh-hans-raw", "zh_Hans"),
        ("zh-cn", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh_CN", "zh_Hans"),
        ("zh-sg", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("ZH", "zh_Hans"),
        ("zh-Hans-HK", "zh_Hans"),
        ("zh_CN.UTF-8", "zh_Hans"),
        ("cmn", "zh_Hans"),
        ("wuu", "zh_Hans"),
        # Traditional: script, Taiwan, Hong Kong, Macau, Cantonese.
        ("zh-hant", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-hant-beta", "zh_Hant"),
        ("zh-hant-raw", "zh_Hant"),
        ("zh-tw", "zh_Hant"),
        ("zh-TW", "zh_Hant"),
        ("zh-hk", "zh_Hant"),
        ("zh-mo", "zh_Hant"),
        ("zh_Hant_TW", "zh_Hant"),
        ("zh-Hant-HK", "zh_Hant"),
        ("zh_TW.UTF-8", "zh_Hant"),
        ("yue", "zh_Hant"),
        ("yue-Hans", "zh_Hans"),
        # English, and other real languages, get English.
        ("en", "en"),
        ("en-US", "en"),
        ("en-us", "en"),
        ("en-gb", "en"),
        ("en_GB", "en"),
        ("EN", "en"),
        ("en-raw", "en"),
        (" en ", "en"),
        ("fr", "en"),
        ("de", "en"),
        ("ja", "en"),
        ("ru", "en"),
        ("ko-KR", "en"),
        ("pt-br", "en"),
        ("uk", "en"),
        ("iw", "en"),
        ("fil", "en"),
        # Nothing, or garbage: the default.
        (None, DEFAULT_LANG),
        ("", DEFAULT_LANG),
        ("  ", DEFAULT_LANG),
        ("-", DEFAULT_LANG),
        ("_", DEFAULT_LANG),
        ("xx", DEFAULT_LANG),
        ("123", DEFAULT_LANG),
        ("x", DEFAULT_LANG),
        ("und", DEFAULT_LANG),
        ("中文", DEFAULT_LANG),
        ("hans", DEFAULT_LANG),
    ],
)
def test_a_language_code_resolves_to_the_expected_language(code: str | None, expected: str) -> None:
    assert resolve_language(code) == expected


def test_the_default_is_simplified_chinese() -> None:
    assert DEFAULT_LANG == "zh_Hans"
    assert LANGUAGES[0] == DEFAULT_LANG
    assert set(LANGUAGES) == {"zh_Hans", "zh_Hant", "en"}


def _odd_inputs() -> list[str]:
    rng = random.Random(20261123)
    alphabet = string.ascii_letters + string.digits + "-_ .@\t\n\u00a0汉漢é\u200b\x00\U0001f600"
    inputs = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(40)]
    return [*inputs, "zh-" * 500, "\ud800", "zh-\x00-hant", "en" + "-" * 100, "0zh"]


@pytest.mark.parametrize("code", _odd_inputs())
def test_odd_input_never_raises_and_gives_a_language_we_speak(code: str) -> None:
    assert resolve_language(code) in LANGUAGES


@pytest.mark.parametrize("value", [42, b"zh-hant", ["en"], object()])
def test_a_value_that_is_not_text_gives_the_default(value: object) -> None:
    assert resolve_language(value) == DEFAULT_LANG  # type: ignore[arg-type]
