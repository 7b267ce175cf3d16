"""The /stats chart: the three rates (三率: response, resolution on time, satisfaction) of each estate,
company, community or street, side by side, in the reader's language.

matplotlib on the Agg backend with the CJK font (bot/documents/revenue_chart.py's), one panel per rate, one
bar per row in every panel. A rate over fewer cases than the minimum sample is drawn pale and hatched and
marked "n < 5, not ranked"; a rate with no case at all is marked "—" without a bar."""

from __future__ import annotations

import functools
import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch

from bot.documents.line_breaks import wrap_columns
from bot.documents.revenue_chart import cjk_font, in_cjk_font
from handlers.conversations.stats_text import RatesChart

COLOURS = ("#1565C0", "#2E7D32", "#EF6C00")  # response, resolution, satisfaction
SMALL = "#BDBDBD"  # a rate under the minimum sample


def chart_labels(spec: RatesChart) -> list[str]:
    """Every text drawn on the chart (for the glyph check in the tests)."""
    return [spec.title, *spec.rates, spec.not_ranked, spec.note, *(label for label, _ in spec.rows)]


def render_rates_chart(spec: RatesChart, dpi: int = 100) -> bytes:
    out = io.BytesIO()
    with in_cjk_font():
        draw_figure(spec, dpi).savefig(out, format="png")
    return out.getvalue()


@functools.lru_cache(maxsize=64)
def kept_rates_chart(spec: RatesChart) -> bytes:
    """The chart of a spec drawn once and kept (a few dozen, about 100 KB each): drawing takes a few
    hundred milliseconds, while the same chart is asked again and again (every official of an office,
    each page of the report, last month's figures all month long). The spec is everything drawn (every
    label and number, in the reader's language), and the drawing is deterministic, so a kept chart is
    the one a new drawing would give."""
    return render_rates_chart(spec)


# One drawing at a time: matplotlib's settings (the CJK font's rc_context) are the process's, not a
# thread's. A thread of the bot's process, not a core process: a core process runs one thing at a time,
# and every chat's turn would wait behind a drawing there.
def draw_figure(spec: RatesChart, dpi: int = 100) -> Figure:
    font = cjk_font()
    rows = max(len(spec.rows), 1)
    with in_cjk_font():
        fig = Figure(figsize=(12, 1.9 + 0.38 * rows), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        fig.suptitle(wrap_columns(spec.title, 80), fontproperties=font, fontsize=13)
        panels = fig.subplots(1, 3, sharey=True)
        labels = [wrap_columns(label, 16) for label, _ in spec.rows] or ["—"]
        positions = list(range(len(labels)))[::-1]
        for n, (ax, name) in enumerate(zip(panels, spec.rates, strict=True)):
            _panel(ax, n, name, spec, positions, font)
        panels[0].set_yticks(positions)
        panels[0].set_yticklabels(labels, fontproperties=font, fontsize=9)
        handles = [Patch(facecolor=SMALL, hatch="//", edgecolor="#757575", label=spec.not_ranked)]
        footer = spec.note
        fig.legend(
            handles=handles, prop=font, loc="outside lower center", frameon=False, title=footer or None
        )
        if footer:
            fig.legends[0].get_title().set_fontproperties(font)
    return fig  # drawn once, as it is saved (a draw here too cost a third of /stats's time)


def _panel(ax: Axes, n: int, name: str, spec: RatesChart, positions: list[int], font: FontProperties) -> None:
    values, colours, hatches, notes = [], [], [], []
    for _, rates in spec.rows:
        hits, cases, ranked = rates[n]
        percent = 100 * hits / cases if cases else 0.0
        values.append(percent)
        colours.append(COLOURS[n] if ranked else SMALL)
        hatches.append("" if ranked or not cases else "//")
        if not cases:
            notes.append("—")
        elif ranked:
            notes.append(f"{round(percent)}% ({hits}/{cases})")
        else:
            notes.append(f"{hits}/{cases} n<{spec.min_sample}")
    bars = ax.barh(positions[: len(values)], values, color=colours, edgecolor="#757575", linewidth=0.4)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    for pos, value, note in zip(positions, values, notes, strict=False):
        inside = value > 62  # the note inside a long bar, after a short one
        ax.text(
            value - 1 if inside else value + 1,
            pos,
            note,
            va="center",
            ha="right" if inside else "left",
            fontproperties=font,
            fontsize=8,
            color="white" if inside else "#212121",
        )
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xticklabels(["0", "25", "50", "75", "100%"])
    ax.set_title(name, fontproperties=font, fontsize=11)
    ax.tick_params(axis="y", length=0)
