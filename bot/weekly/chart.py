"""The week as a picture: a grid of interests × days, each cell the number of papers that
matched, darker for fewer (cividis: readable with every common colour-vision deficiency)
with a colour bar for the scale, the days the reader rated marked. matplotlib with its Agg
backend: no display needed, and the same data gives the same picture. A Figure of its own,
not pyplot's global state, so a picture can be drawn in a worker thread while the loop
answers users."""

from __future__ import annotations

import io
import textwrap
from datetime import date
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from bot.weekly.recap import Week
from bot.weekly.text import versus_before
from bot.weekly.worker import off_loop

WIDTH_IN, DPI = 10.0, 100  # 1,000 px wide: legible on a phone at full width
LABEL_CHARS, LABEL_LINES = 26, 5  # 5 lines of 26 hold the longest interest (120 chars)
# Colours run from 0 to at least this many matches a day: scaled to the week's maximum, a
# week of 0s and 1s painted a lone 3 as a hot spot.
SCALE_FLOOR = 5
# Readers' words drawn as typed: "$x^$" is text, not mathtext (which raised on it), and
# TeX is never used even if a matplotlibrc asks for it.
LITERAL: dict[str, Any] = {"parse_math": False, "usetex": False}


def wrap(text: str) -> str:
    """An interest's name on up to LABEL_LINES lines, for an axis label."""
    return "\n".join(textwrap.wrap(text, LABEL_CHARS, max_lines=LABEL_LINES, placeholder="…"))


def figure(week: Week) -> Figure:
    """The chart as a Figure (render_png draws it)."""
    counts = np.array(week.counts, dtype=float).reshape(len(week.interests), len(week.days))
    labels = [wrap(t) for t in week.interests]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    row_in = max(0.55, 0.1 + 0.25 * lines)  # a row holds its label's lines at 14 pt
    fig = Figure(figsize=(WIDTH_IN, 2.4 + row_in * len(labels)), dpi=DPI)  # Agg canvas
    ax = fig.subplots()
    top = max(float(SCALE_FLOOR), counts.max(initial=0.0))
    image = ax.imshow(counts, cmap="cividis", aspect="auto", vmin=0, vmax=top)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("papers matched that day", fontsize=12, **LITERAL)
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _cells(ax, counts, top)
    _unlisted(ax, week)
    ax.set_yticks(range(len(labels)), labels, fontsize=14, **LITERAL)
    days = [_day_label(d, d in week.rated) for d in week.days]
    ax.set_xticks(range(len(week.days)), days, fontsize=13, **LITERAL)
    ax.set_xlabel(_legend(week), fontsize=12, **LITERAL)
    ax.set_ylabel("your interests", fontsize=13, **LITERAL)
    # Across the figure, not the axes: long interest labels leave the axes narrow.
    title = f"Your week: {week.total} matches ({versus_before(week)})"
    fig.suptitle(title, fontsize=17, x=0.01, ha="left", **LITERAL)
    fig.tight_layout()
    return fig


def _unlisted(ax: Axes, week: Week) -> None:
    """Hatch the days with no papers stored: their 0 means no list, not no match."""
    for col, day in enumerate(week.days):
        if day not in week.listed:
            box = Rectangle((col - 0.5, -0.5), 1, len(week.interests), fill=False)
            box.set(hatch="//", edgecolor="0.6", linewidth=0)
            ax.add_patch(box)


def _legend(week: Week) -> str:
    """What the marks under the grid mean, only those shown."""
    notes = ["★ = you rated or saved papers"] if week.rated else []
    if set(week.days) - week.listed:
        notes.append("hatched = no papers stored")
    return "day" + (f"\n{' · '.join(notes)}" if notes else "")


def _cells(ax: Axes, counts: np.ndarray, top: float) -> None:
    """Each cell's number, white on the dark end of the scale, black on the light end."""
    for (row, col), value in np.ndenumerate(counts):
        ax.text(
            col,
            row,
            f"{int(value)}",
            ha="center",
            va="center",
            fontsize=15,
            color="white" if value < top * 0.55 else "black",
            fontweight="bold",
            **LITERAL,
        )


def render_png(week: Week) -> bytes:
    """The chart as PNG bytes."""
    out = io.BytesIO()
    figure(week).savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


async def draw(week: Week) -> bytes:
    """render_png in the week's worker thread, off the loop."""
    return await off_loop(lambda: render_png(week))


def _day_label(day: str, rated: bool) -> str:
    when = date.fromisoformat(day)
    return f"{'★ ' if rated else ''}{when:%a}\n{when:%d %b}"
