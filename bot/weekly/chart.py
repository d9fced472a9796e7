"""The week as a picture: a grid of interests × days, each cell the number of papers that
matched, darker for more (cividis: readable with every common colour-vision deficiency),
the days the reader rated marked. matplotlib with its Agg backend: no display needed, and
the same data gives the same picture. A Figure of its own, not pyplot's global state, so
a picture can be drawn in a worker thread while the loop answers users."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from matplotlib.figure import Figure

from bot.weekly.recap import Week

WIDTH_IN, DPI = 10.0, 100  # 1,000 px wide: legible on a phone at full width
LABEL_CHARS = 28


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """An interest's name cut at a word, for an axis label."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


def render_png(week: Week) -> bytes:
    """The chart as PNG bytes."""
    counts = np.array(week.counts, dtype=float).reshape(len(week.interests), len(week.days))
    height = 2.2 + 0.55 * len(week.interests)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)  # Agg canvas: no display needed
    ax = fig.subplots()
    ax.imshow(counts, cmap="cividis", aspect="auto", vmin=0, vmax=max(1.0, counts.max()))
    for (row, col), value in np.ndenumerate(counts):
        dark = value < counts.max() * 0.55
        ax.text(
            col,
            row,
            f"{int(value)}",
            ha="center",
            va="center",
            fontsize=15,
            color="white" if dark else "black",
            fontweight="bold",
        )
    ax.set_yticks(range(len(week.interests)), [short(t) for t in week.interests], fontsize=14)
    labels = [_day_label(d, d in week.rated) for d in week.days]
    ax.set_xticks(range(len(week.days)), labels, fontsize=13)
    ax.set_xlabel("day (★ = you rated or saved papers)", fontsize=13)
    ax.set_ylabel("your interests", fontsize=13)
    change = week.total - week.previous_total
    ax.set_title(
        f"Your week: {week.total} matches ({change:+d} on the week before)",
        fontsize=17,
        loc="left",
    )
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _day_label(day: str, rated: bool) -> str:
    when = date.fromisoformat(day)
    return f"{'★ ' if rated else ''}{when:%a}\n{when:%d %b}"
