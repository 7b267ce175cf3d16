"""The owners' chart draws in every language with the CJK font: no label character lacks a glyph."""

from __future__ import annotations

import io
import warnings

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from bot.fonts import cjk_font_path
from bot.i18n import load_translations
from bot.revenue_chart import chart_labels, render_chart
from handlers.conversations.revenue_text import ChartSpec, chart_spec
from handlers.rules.revenue import Disclosure, DisclosureKind, Line, Quarter, Section
from handlers.text import LANGUAGES, Lang

LINES = (
    Line(Section.INCOME, "parking", 9_600_000, "合同"),
    Line(Section.INCOME, "ads_lift", 3_600_000, "合同"),
    Line(Section.INCOME, "base_station", 2_000_000, "合同"),
    Line(Section.COST, "tax", 1_025_000),
    Line(Section.COST, "management_share", 2_796_000, "合同"),
    Line(Section.USE, "to_maintenance_fund", 7_000_000),
)


def quarter(q: int, scale: int = 1) -> Disclosure:
    lines = tuple(Line(x.section, x.item, x.amount_fen * scale, x.reference) for x in LINES)
    probe = Disclosure(DisclosureKind.REVENUE, Quarter(2026, q), "工商银行", "****6789", 0, 0, lines)
    return Disclosure(
        DisclosureKind.REVENUE, Quarter(2026, q), "工商银行", "****6789", 0, probe.expected_closing_fen, lines
    )


def spec_in(lang: Lang) -> ChartSpec:
    tr = load_translations().for_lang(lang)
    history = [quarter(1), quarter(2, 2), quarter(3)]
    return chart_spec(tr, "海滨花园", history[-1], history)


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    with TTFont(str(cjk_font_path()), fontNumber=0, lazy=True) as font:
        return set(font.getBestCmap())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_character_on_the_chart_is_in_the_cjk_font(lang: Lang, cmap: set[int]) -> None:
    spec = spec_in(lang)
    text = "".join(chart_labels(spec))
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})
    assert missing == [], f"{lang}: no glyph for {missing}"
    quarters = {
        "en": ["Q1 2026", "Q2 2026", "Q3 2026"],
        "zh_Hans": ["2026年第一季度", "2026年第二季度", "2026年第三季度"],
        "zh_Hant": ["2026年第一季度", "2026年第二季度", "2026年第三季度"],
    }
    assert "海滨花园" in spec.title and [q for q, *_ in spec.quarters] == quarters[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_chart_renders_without_a_missing_glyph_warning(lang: Lang) -> None:
    spec = spec_in(lang)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)": make it fail
        png = render_chart(spec)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 600 and image.size[1] > 600


def test_a_label_the_font_cannot_draw_would_be_caught() -> None:
    spec = spec_in("en")
    broken = ChartSpec(spec.title + " \U0001fab8", spec.items, spec.quarters, spec.labels)  # a coral emoji
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="[Gg]lyph"):
        warnings.simplefilter("error")
        render_chart(broken)


def test_the_items_shown_are_income_and_costs_not_uses() -> None:
    spec = spec_in("en")
    assert [section for _, _, section in spec.items] == ["income"] * 3 + ["cost"] * 2
    assert spec.quarters[1][1] == 2 * spec.quarters[0][1]
