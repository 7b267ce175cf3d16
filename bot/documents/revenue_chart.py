"""The owner's revenue chart: the quarter's opening and closing balances, its income, costs and uses
(the transfer to the maintenance fund among them) by item, and up to four quarters side by side.

matplotlib on the Agg backend (no display), the CJK font from bot/documents/fonts.py so Chinese labels are
drawn rather than boxes. Amounts arrive as integer fen and are shown in yuan with thousands separators.
Constrained layout keeps every label inside the picture; the first quarter an estate publishes gets a
sentence instead of a one-bar "trend"."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from bot.documents.fonts import cjk_font_path  # noqa: E402
from bot.documents.line_breaks import wrap_columns  # noqa: E402
from handlers.conversations.revenue_text import ChartSpec  # noqa: E402

INCOME_COLOUR, COST_COLOUR, USE_COLOUR, NET_COLOUR = "#2E7D32", "#C62828", "#EF6C00", "#1565C0"
SECTION_COLOUR = {"income": INCOME_COLOUR, "cost": COST_COLOUR, "use": USE_COLOUR}
SECTION_LABEL = {"income": "income", "cost": "costs", "use": "uses"}  # the key in ChartSpec.labels


@cache
def cjk_font() -> font_manager.FontProperties:
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _yuan(fen: int) -> float:
    # Drawing needs floats; the exact amounts are in the text beside the chart.
    return float(Decimal(fen).scaleb(-2))


def thousands(value: float) -> str:
    """An axis tick in yuan: 1234567 → '1,234,567' (two decimals only where the tick has them)."""
    text = f"{value:,.0f}" if abs(value - round(value)) < 0.005 else f"{value:,.2f}"
    return "0" if text in ("-0", "-0.00") else text.replace("-", "\u2212")


YUAN_TICKS = FuncFormatter(lambda value, _pos: thousands(value))


def chart_labels(spec: ChartSpec) -> list[str]:
    """Every text drawn on the chart (for the glyph check in the tests)."""
    return [
        spec.title,
        *spec.labels.values(),
        *spec.balances,
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
        spec.balances,
    )
    with _GUARD:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    out = io.BytesIO()
    with in_cjk_font():
        draw_figure(spec, dpi).savefig(out, format="png")
    png = out.getvalue()
    with _GUARD:  # the core's database threads may draw at once
        _DRAWN[key] = png
        while len(_DRAWN) > _KEEP:
            _DRAWN.popitem(last=False)
    return png


def draw_figure(spec: ChartSpec, dpi: int = 110) -> Figure:
    """The chart, laid out and drawn once (so the tests can measure where each text landed)."""
    font = cjk_font()
    trend = len(spec.quarters) >= 2
    with in_cjk_font():
        bars = max(len(spec.items), 4) * 0.42 + 0.8  # inches: a line of the quarter keeps its height
        heights = [0.35, bars, 3.3] if trend else [0.35, bars, 0.35]
        fig = Figure(figsize=(9, sum(heights) + 1.1), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        fig.suptitle(wrap_columns(spec.title, 70), fontproperties=font, fontsize=14)
        head, items, foot = fig.subplots(3, 1, gridspec_kw={"height_ratios": heights})
        _balances(head, spec, font)
        values = _items(items, spec, font)
        if trend:
            _quarters(foot, spec, font)
        else:  # one quarter is no trend: say so rather than draw a lone group of bars
            _first_quarter(foot, spec, font)
        _legend(fig, spec, font, trend)
        fig.canvas.draw()
        _make_room_for(items, values)
    return fig


@contextmanager
def in_cjk_font() -> Iterator[None]:
    """Tick labels, made while drawing, in the same face as the rest."""
    with matplotlib.rc_context({"font.family": cjk_font().get_name()}):
        yield


def _balances(ax: Axes, spec: ChartSpec, font: font_manager.FontProperties) -> None:
    """The quarter's opening and closing balances, on one line under the title."""
    ax.set_axis_off()
    if spec.balances:  # centred on the page, like the title above it
        ax.text(
            0.5,
            0.5,
            "  \u2192  ".join(spec.balances),
            ha="center",
            va="center",
            transform=blended_transform_factory(ax.figure.transFigure, ax.transAxes),
            fontproperties=font,
            fontsize=12,
        )


def _first_quarter(ax: Axes, spec: ChartSpec, font: font_manager.FontProperties) -> None:
    ax.set_axis_off()
    text = wrap_columns(spec.labels["first_quarter"], 100)
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=blended_transform_factory(ax.figure.transFigure, ax.transAxes),
        fontproperties=font,
        fontsize=10,
        color="#555555",
    )


def _legend(fig: Figure, spec: ChartSpec, font: font_manager.FontProperties, trend: bool) -> None:
    """One legend under both panels: the colours mean the same in each."""
    sections = list(dict.fromkeys(section for *_, section in spec.items)) or ["income"]
    if trend:
        sections += [s for s in ("income", "cost") if s not in sections]
    order = [s for s in ("income", "cost", "use") if s in sections]
    handles = [Patch(color=SECTION_COLOUR[s], label=spec.labels[SECTION_LABEL[s]]) for s in order]
    if trend:
        handles.append(Patch(color=NET_COLOUR, label=spec.labels["net"]))
    fig.legend(handles=handles, prop=font, loc="outside lower center", ncols=len(handles), frameon=False)


def _items(ax: Axes, spec: ChartSpec, font: font_manager.FontProperties) -> list[Text]:
    """One bar per line of the quarter, its amount written at its end; returns those amounts."""
    items = spec.items or [("\u2014", 0, "income")]
    values = [_yuan(fen) for _, fen, _ in items]
    positions = list(range(len(items)))[::-1]
    ax.barh(positions, values, color=[SECTION_COLOUR.get(section, COST_COLOUR) for *_, section in items])
    ax.set_yticks(positions)
    ax.set_yticklabels([wrap_columns(label, 34) for label, _, _ in items], fontproperties=font, fontsize=9)
    ax.set_title(spec.labels["by_item"], fontproperties=font, fontsize=11)
    ax.set_xlabel(spec.labels["yuan"], fontproperties=font)
    ax.xaxis.set_major_formatter(YUAN_TICKS)
    ax.set_xlim(0, max([*values, 1.0]) * 1.05)
    return [
        ax.text(value, pos, f" {value:,.2f}", va="center", fontproperties=font, fontsize=8)
        for pos, value in zip(positions, values, strict=True)
    ]


def _make_room_for(ax: Axes, texts: list[Text]) -> None:
    """Widen the money axis until the amount written after the longest bar ends inside the frame."""
    for _ in range(3):
        renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
        frame = ax.get_window_extent(renderer)
        xmin, xmax = ax.get_xlim()
        needed = xmax
        for text in texts:
            box = text.get_window_extent(renderer)
            room = frame.x1 - box.x0  # pixels from where the amount starts to the right edge
            if box.x1 > frame.x1 - 4 and room > 0:
                start = text.get_position()[0]
                needed = max(needed, xmin + (start - xmin) * frame.width / (frame.width - box.width - 8))
        if needed <= xmax:
            return
        ax.set_xlim(xmin, needed)
        ax.figure.canvas.draw()


def _quarters(ax: Axes, spec: ChartSpec, font: font_manager.FontProperties) -> None:
    """Income, costs and net of each quarter, oldest first; as wide as the quarters there are."""
    quarters = spec.quarters
    width = 0.27
    xs = list(range(len(quarters)))
    for offset, index, colour in ((-width, 1, INCOME_COLOUR), (0.0, 2, COST_COLOUR), (width, 3, NET_COLOUR)):
        ax.bar([x + offset for x in xs], [_yuan(int(q[index])) for q in quarters], width=width, color=colour)
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    ax.set_xticks(xs)
    ax.set_xticklabels([q[0] for q in quarters], fontproperties=font)
    ax.set_title(spec.labels["quarters"], fontproperties=font, fontsize=11)
    ax.set_ylabel(spec.labels["yuan"], fontproperties=font, rotation=0, ha="right", va="center")
    ax.yaxis.set_major_formatter(YUAN_TICKS)
    ax.margins(y=0.12)
    ax.axhline(0, color="#555555", linewidth=0.6)
