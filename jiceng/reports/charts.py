"""The summary report's charts as PNG images, drawn by matplotlib without a browser or network.

Chinese text is drawn in Noto Sans CJK SC, which Debian ships in ``fonts-noto-cjk`` (``make
fonts`` installs it). Figures are built with the object-oriented API on the Agg canvas, never
``pyplot``: no figure stays open, and the font settings hold only while a chart is drawn
(``rc_context``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

FONT_PATH = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_FAMILY = "Noto Sans CJK SC"

# Placed 15 cm wide in the .docx (156 mm text width, GB/T 9704-2012), printed at 200 dpi.
WIDTH_IN = 15 / 2.54
DPI = 200
# More bars than this, or longer labels, and the bars turn horizontal.
MAX_COLUMNS = 8
MAX_COLUMN_LABEL = 6

COLOURS = (
    "#c23531",
    "#2f4554",
    "#61a0a8",
    "#d48265",
    "#91c7ae",
    "#749f83",
    "#ca8622",
    "#bda29a",
    "#6e7074",
    "#546570",
    "#c4ccd3",
)


class MissingFontError(RuntimeError):
    """The Noto CJK font file is not installed, so Chinese labels would print as boxes."""


@functools.cache
def chart_font() -> str:
    """Register Noto Sans CJK with matplotlib (once) and return its family name.

    Raises ``MissingFontError`` naming the Debian package when the font file is absent.
    """
    if not FONT_PATH.is_file():
        raise MissingFontError(
            f"{FONT_PATH} is missing: install the Debian package fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk, or `make fonts`) to draw the report's charts."
        )
    font_manager.fontManager.addfont(str(FONT_PATH))
    return FONT_FAMILY


def format_value(value: float | int) -> str:
    """A chart's or a table's number as written on it: no exponent, at most two decimals.

    >>> format_value(87000), format_value(12.0), format_value(95.25), format_value(0.5)
    ('87000', '12', '95.25', '0.5')
    """
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def chart_png(chart: dict[str, Any], *, with_title: bool = False) -> bytes:
    """Draw a chart of the report's content document as PNG bytes, 15 cm wide at 200 dpi.

    ``chart`` is ``{"kind": "bar" | "pie", "title", "unit", "labels", "values"}``. A bar chart
    has a value on each bar and the unit in the value axis' label; it lies horizontally when it
    has more than eight bars or a long label; ``chart["axis_label"]``, if given, replaces that
    label (the .docx passes it in Traditional script). A pie chart shows each label's share.
    The title is left out unless ``with_title``: the .docx prints it as the caption.
    """
    draw = _KINDS.get(chart.get("kind", "bar"))
    if draw is None:
        raise ValueError(
            f"unknown chart kind {chart.get('kind')!r}: expected one of {sorted(_KINDS)}"
        )
    labels = [str(label) for label in chart["labels"]]
    values = [float(v or 0) for v in chart["values"]]
    if len(labels) != len(values):
        raise ValueError(
            f"chart {chart.get('title')!r}: {len(labels)} labels, {len(values)} values"
        )
    family = chart_font()
    with matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family],
            "font.size": 10,
            "axes.unicode_minus": False,
        }
    ):
        fig = Figure(dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        unit = str(chart.get("unit") or "")
        draw(
            fig,
            ax,
            labels,
            values,
            str(chart.get("axis_label") or (f"单位：{unit}" if unit else "")),
        )
        if with_title and chart.get("title"):
            ax.set_title(str(chart["title"]), fontsize=12)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _bar(fig: Figure, ax: Axes, labels: list[str], values: list[float], axis_label: str) -> None:
    top = max([*values, 0]) or 1
    horizontal = len(labels) > MAX_COLUMNS or max(map(len, labels), default=0) > MAX_COLUMN_LABEL
    if horizontal:
        fig.set_size_inches(WIDTH_IN, min(max(0.32 * len(labels) + 0.9, 2.6), 8.5))
        bars = ax.barh(labels, values, color=COLOURS[0], height=0.6)
        ax.invert_yaxis()  # the first unit on top, as in the table
        ax.set_xlabel(axis_label)
        ax.set_xlim(0, top * 1.15)
    else:
        fig.set_size_inches(WIDTH_IN, 3.4)
        bars = ax.bar(labels, values, color=COLOURS[0], width=0.55)
        ax.set_ylabel(axis_label)
        ax.set_ylim(0, top * 1.15)
    ax.bar_label(bars, labels=[format_value(v) for v in values], padding=2, fontsize=9)
    if all(float(v).is_integer() for v in values):  # counts: no 0.5 ticks
        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)


def _pie(fig: Figure, ax: Axes, labels: list[str], values: list[float], axis_label: str) -> None:
    if sum(values) <= 0:
        raise ValueError("a pie chart needs a positive total")
    shown = [(label, value) for label, value in zip(labels, values, strict=True) if value > 0]
    fig.set_size_inches(WIDTH_IN, 3.8)
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(shown))]
    _, _, percents = ax.pie(
        [value for _, value in shown],
        labels=[label for label, _ in shown],
        autopct="%.1f%%",
        startangle=90,
        counterclock=False,
        colors=colours,
        wedgeprops={"linewidth": 1, "edgecolor": "white"},
        textprops={"fontsize": 9},
    )
    for text, colour in zip(percents, colours, strict=True):
        red, green, blue = to_rgb(colour)
        if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5:  # dark wedge: white figures
            text.set_color("white")
    ax.set_aspect("equal")


_KINDS: dict[str, Callable[[Figure, Axes, list[str], list[float], str], None]] = {
    "bar": _bar,
    "pie": _pie,
}
