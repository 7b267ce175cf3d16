"""The owners' chart draws in every language with the CJK font (no label character lacks a glyph),
money with thousands separators, every label inside the picture, the transfer to the maintenance fund
and the balances, and no one-bar "trend" for an estate's first quarter."""

from __future__ import annotations

import io
import warnings

import pytest
from fontTools.ttLib import TTFont
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot.documents.fonts import cjk_font_path
from bot.documents.revenue_chart import chart_labels, draw_figure, render_chart, thousands
from handlers.conversations.revenue_text import QUARTERS_TITLE, ChartSpec, chart_spec
from handlers.rules.revenue import Disclosure, DisclosureKind, Line, Quarter, Section
from handlers.text import LANGUAGES, Lang
from tests.support.translations import shared_translations

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
    tr = shared_translations().for_lang(lang)
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


def test_the_items_shown_are_income_costs_and_the_transfer_to_the_maintenance_fund() -> None:
    spec = spec_in("en")
    assert [section for _, _, section in spec.items] == ["income"] * 3 + ["cost"] * 2 + ["use"]
    assert spec.items[-1] == ("Transfer to the maintenance fund", 7_000_000, "use")
    assert spec.quarters[1][1] == 2 * spec.quarters[0][1]


# ---- what can be checked without eyes -----------------------------------------------------------
def drawn_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def one_quarter(lang: Lang) -> ChartSpec:
    tr = shared_translations().for_lang(lang)
    return chart_spec(tr, "海滨花园", quarter(3), [quarter(3)])


def test_money_reads_with_thousands_separators() -> None:
    assert thousands(1_234_567) == "1,234,567"
    assert thousands(-50_000) == "\u221250,000" and thousands(0) == "0" and thousands(2.5) == "2.50"
    fig = draw_figure(spec_in("en"))
    items, quarters = fig.axes[1], fig.axes[2]
    assert "20,000" in [t.get_text() for t in items.get_xticklabels()]
    assert "100,000" in [t.get_text() for t in quarters.get_yticklabels()]


LONG_NAME = "厦门市思明区莲花街道海滨花园小区二期东区暨西区商住综合体"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("quarters", [1, 3])
def test_every_label_lies_inside_the_picture(lang: Lang, quarters: int) -> None:
    tr = shared_translations().for_lang(lang)
    history = [quarter(q, scale=1000) for q in range(1, quarters + 1)]  # amounts in the millions
    fig = draw_figure(chart_spec(tr, LONG_NAME, history[-1], history))
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    drawn = fig.get_tightbbox(renderer)  # inches: every artist drawn, tick labels and legend included
    width, height = fig.get_size_inches()
    assert drawn.x0 >= 0 and drawn.y0 >= 0 and drawn.x1 <= width and drawn.y1 <= height, (
        f"{lang}: something is cut off: {drawn} in a {width}x{height} figure"
    )
    items = fig.axes[1]
    frame = items.get_window_extent(renderer)
    for text in items.texts:  # the amounts written after the bars stay inside the frame
        box = text.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, f"{text.get_text()} overruns the frame"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_transfer_to_the_fund_and_the_balances_are_drawn(lang: Lang) -> None:
    tr = shared_translations().for_lang(lang)
    texts = " ".join(drawn_texts(draw_figure(spec_in(lang))))
    assert tr.gettext("Transfer to the maintenance fund") in texts
    assert "70,000.00" in texts  # its amount, at the end of its bar
    assert tr.gettext("Opening balance: {amount}").format(amount=tr.format_money(0)) in texts
    closing = quarter(3).closing_fen
    assert closing == 4_379_000
    assert tr.gettext("Closing balance: {amount}").format(amount=tr.format_money(closing)) in texts
    assert tr.gettext("Use of the money") in texts  # in the legend


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_first_quarter_gets_a_sentence_not_a_trend_panel(lang: Lang) -> None:
    tr = shared_translations().for_lang(lang)
    fig = draw_figure(one_quarter(lang))
    texts = ["".join(t.split()) for t in drawn_texts(fig)]  # the sentence is wrapped over lines
    note = tr.gettext("First quarter published: the comparison with earlier quarters starts next quarter.")
    assert "".join(note.split()) in texts
    assert [ax for ax in fig.axes if ax.axison] == [fig.axes[1]]  # the items panel, no other with axes
    assert not {"".join(tr.gettext(t).split()) for t in QUARTERS_TITLE.values()} & set(texts)


def test_the_trend_panel_is_as_wide_as_the_quarters_published() -> None:
    fig = draw_figure(spec_in("en"))
    trend = fig.axes[2]
    assert trend.get_title() == "The last three quarters"
    left, right = trend.get_xlim()
    assert len(trend.get_xticks()) == 3 and right < 3  # no empty slot for a fourth quarter
    assert len(trend.patches) == 9  # income, costs and net of each
