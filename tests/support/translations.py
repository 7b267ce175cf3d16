"""The project's catalogs for tests that use them rather than test them: read and compiled once per
test process. `load_translations` parses and compiles every language's .po file (0.07 s of CPU on a
quiet core, several times that under load), and a few hundred tests each called it; what it returns is
read-only, so they share one (tests/unit/test_translator.py still calls it itself, for what it checks
on loading)."""

from __future__ import annotations

from datetime import tzinfo
from functools import cache

from bot.i18n.translator import SHANGHAI, Translations, load_translations


@cache
def shared_translations(tz: tzinfo = SHANGHAI) -> Translations:
    """`load_translations(tz=tz)` from the project's locales/, once per test process and zone."""
    return load_translations(tz=tz)
