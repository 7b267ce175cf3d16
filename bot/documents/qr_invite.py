"""The printed owner invite: a poster for the notice board and the lift lobby, as a PNG (A4 at 150 dpi)
or an A4 PDF with its words as real, searchable text in the embedded CJK font.

The words come from the catalogs in the estate's language (Simplified Chinese unless asked otherwise), in
the CJK font of bot/documents/fonts.py so Chinese never turns into empty boxes. One layout
(bot/documents/invite_layout.py), measured with the font itself, is drawn twice: by Pillow into the PNG,
by matplotlib into the PDF, so the two say and place the same things.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw

from bot.documents.fonts import cjk_font_path
from bot.documents.invite_layout import A4_150DPI, A4_MM, DPI, Company, Poster, font_at, poster_layout
from handlers.ports import Translator


# ---- drawing: PNG ----------------------------------------------------------------------------------
def draw_invite(
    tr: Translator,
    estate_name: str,
    code: str,
    bot_username: str,
    company: Company | None = None,
    size: tuple[int, int] = A4_150DPI,
) -> Image.Image:
    """The poster as a picture (A4 at 150 dpi by default)."""
    return render_png(poster_layout(tr, estate_name, code, bot_username, company, size))


def render_png(poster: Poster) -> Image.Image:
    page = Image.new("RGB", poster.size, "white")
    draw = ImageDraw.Draw(page)
    if poster.qr is not None:
        qr = poster.qr
        page.paste(qr.modules.resize((qr.side, qr.side), Image.Resampling.NEAREST), (qr.x, qr.y))
    for rule in poster.rules:
        draw.line([(rule.x0, rule.y), (rule.x1, rule.y)], fill="#999999", width=2)
    for t in poster.texts:
        anchor = "ms" if t.align == "center" else "ls"  # middle or left, on the baseline
        draw.text((t.x, t.baseline), t.text, font=font_at(t.size), fill=t.colour, anchor=anchor)
    return page


# ---- drawing: PDF ----------------------------------------------------------------------------------
def invite_pdf(
    tr: Translator,
    estate_name: str,
    code: str,
    bot_username: str,
    company: Company | None = None,
) -> bytes:
    """The poster as a one-page A4 PDF: the same layout, its words as text in the embedded CJK font."""
    return render_pdf(poster_layout(tr, estate_name, code, bot_username, company, A4_150DPI))


def render_pdf(poster: Poster) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    width, height = poster.size
    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    with _pdf_settings():
        fig = Figure(figsize=(A4_MM[0] / 25.4, A4_MM[1] / 25.4), dpi=DPI)
        FigureCanvasPdf(fig)
        x_of: Callable[[float], float] = lambda x: x / width  # noqa: E731
        y_of: Callable[[float], float] = lambda y: 1 - y / height  # noqa: E731
        if poster.qr is not None:
            qr = poster.qr
            ax = fig.add_axes((x_of(qr.x), y_of(qr.y + qr.side), qr.side / width, qr.side / height))
            ax.set_axis_off()
            # "none": the modules go into the PDF as they are, and the viewer scales them sharp
            ax.imshow(qr.modules, cmap="gray", vmin=0, vmax=255, interpolation="none")
        for rule in poster.rules:
            fig.add_artist(
                Line2D([x_of(rule.x0), x_of(rule.x1)], [y_of(rule.y)] * 2, color="#999999", linewidth=1.0)
            )
        font = font_manager.FontProperties(fname=path)
        for t in poster.texts:
            fig.text(
                x_of(t.x),
                y_of(t.baseline),
                t.text,
                ha="center" if t.align == "center" else "left",
                va="baseline",
                fontproperties=font,
                fontsize=t.size * 72 / DPI,  # the same em as the PNG's at 150 dpi
                color=t.colour,
            )
        out = io.BytesIO()
        fig.savefig(
            out, format="pdf", dpi=DPI, metadata={"Title": poster.texts[0].text if poster.texts else ""}
        )
    return out.getvalue()


@contextmanager
def _pdf_settings() -> Iterator[None]:
    """Type 3 fonts: the glyphs' outlines go into the PDF (subset, with a ToUnicode map, so the words
    stay searchable). Type 42 would put this CFF-flavoured OpenType font where a TrueType program is
    declared, which readers warn about ("Mismatch between font type and embedded font file")."""
    import matplotlib

    with matplotlib.rc_context({"pdf.fonttype": 3, "pdf.compression": 6}):
        yield


# ---- writing ---------------------------------------------------------------------------------------
def write_invite(path: Path, image: Image.Image) -> None:
    """Write the PNG (with its print resolution) in one step: a failure leaves no half-written file."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    write_file(path, buffer.getvalue())


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` in one step (a temporary file renamed into place): no half-written file."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=".wuye-invite-", suffix=path.suffix, dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
