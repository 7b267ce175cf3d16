"""The owner's revenue chart: income and costs by item, and the last four quarters side by side.

matplotlib on the Agg backend (no display), the CJK font from bot/fonts.py so Chinese labels are
drawn rather than boxes. Amounts arrive as integer fen and are shown in yuan."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from decimal import Decimal
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.fonts import cjk_font_path  # noqa: E402
from handlers.conversations.revenue_text import ChartSpec  # noqa: E402

INCOME_COLOUR, COST_COLOUR, NET_COLOUR = "#2E7D32", "#C62828", "#1565C0"


@cache
def cjk_font() -> font_manager.FontProperties:
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _yuan(fen: int) -> float:
    # Drawing needs floats; the exact amounts are in the text beside the chart.
    return float(Decimal(fen).scaleb(-2))


def chart_labels(spec: ChartSpec) -> list[str]:
    """Every text drawn on the chart (for the glyph check in the tests)."""
    return [
        spec.title,
        *spec.labels.values(),
        *(label for label, _, _ in spec.items),
        *(q for q, _, _, _ in spec.quarters),
    ]


_DRAWN: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_KEEP = 256  # charts kept: each is one quarter's revision in one language (a few dozen KB)
_GUARD = threading.Lock()


def render_chart(spec: ChartSpec, dpi: int = 110) -> bytes:
    """The chart as a PNG, drawn once per disclosure revision and language: every owner reading the
    same quarter in the same language gets the same picture (drawing it costs ~300 ms of CPU)."""
    key = (
        dpi,
        spec.title,
        tuple(spec.items),
        tuple(spec.quarters),
        tuple(sorted(spec.labels.items())),
    )
    with _GUARD:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    png = _draw(spec, dpi)
    with _GUARD:  # the core's database threads may draw at once
        _DRAWN[key] = png
        while len(_DRAWN) > _KEEP:
            _DRAWN.popitem(last=False)
    return png


def _draw(spec: ChartSpec, dpi: int) -> bytes:
    font = cjk_font()
    fig = Figure(figsize=(9, 7.5), dpi=dpi)
    fig.suptitle(spec.title, fontproperties=font, fontsize=14)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})

    items = spec.items or [("—", 0, "income")]
    labels = [label for label, _, _ in items]
    values = [_yuan(fen) for _, fen, _ in items]
    colours = [INCOME_COLOUR if section == "income" else COST_COLOUR for _, _, section in items]
    positions = list(range(len(items)))[::-1]
    top.barh(positions, values, color=colours)
    top.set_yticks(positions)
    top.set_yticklabels(labels, fontproperties=font, fontsize=9)
    top.set_title(spec.labels["by_item"], fontproperties=font, fontsize=11)
    top.set_xlabel(spec.labels["yuan"], fontproperties=font)
    for pos, value in zip(positions, values, strict=True):
        top.text(value, pos, f" {value:,.2f}", va="center", fontsize=8)
    from matplotlib.patches import Patch

    top.legend(
        handles=[
            Patch(color=INCOME_COLOUR, label=spec.labels["income"]),
            Patch(color=COST_COLOUR, label=spec.labels["costs"]),
        ],
        prop=font,
        loc="lower right",
    )

    quarters = spec.quarters or []
    width = 0.27
    xs = list(range(len(quarters)))
    for offset, index, key, colour in (
        (-width, 1, "income", INCOME_COLOUR),
        (0.0, 2, "costs", COST_COLOUR),
        (width, 3, "net", NET_COLOUR),
    ):
        bottom.bar(
            [x + offset for x in xs],
            [_yuan(int(q[index])) for q in quarters],
            width=width,
            color=colour,
            label=spec.labels[key],
        )
    bottom.set_xlim(-0.6, max(len(quarters), 4) - 0.4)  # one quarter is not a wall of colour
    bottom.set_xticks(xs)
    bottom.set_xticklabels([q[0] for q in quarters], fontproperties=font)
    bottom.set_title(spec.labels["quarters"], fontproperties=font, fontsize=11)
    bottom.set_ylabel(spec.labels["yuan"], fontproperties=font)
    bottom.axhline(0, color="#555555", linewidth=0.6)
    bottom.legend(prop=font, fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
