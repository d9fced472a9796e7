"""The week's chart: readers' words drawn as typed ($ and all), long interests wrapped not
cut, a colour bar for the scale (a lone 3 is not a hot spot), the ★ note only when
something was rated, days with nothing stored hatched."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from bot.weekly.chart import SCALE_FLOOR, figure, render_png
from bot.weekly.recap import Week, calendar_days
from tests.test_week import PNG_SIGNATURE

DAYS = calendar_days("2026-07-31", 7)
LONG = "large language model reasoning with reinforcement learning from verifiable rewards"


def week(*interests: str, rated: set[str] | None = None, listed: set[str] | None = None) -> Week:
    counts = [[0, 0, 1, 0, 3, 0, 1] for _ in interests]
    return Week(
        DAYS,
        list(interests),
        counts,
        sum(map(sum, counts)),
        None,
        rated=rated or set(),
        listed=set(DAYS) if listed is None else listed,
    )


def test_dollars_and_backslashes_are_drawn_as_typed() -> None:
    typed = ["price of $x^$ tokens", r"\frac{a}{b} losses", "$5 GPUs"]
    fig = figure(week(*typed))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == typed
    assert render_png(week(*typed)).startswith(PNG_SIGNATURE)  # mathtext raised here


def test_long_interests_are_wrapped_whole() -> None:
    ax = figure(week(LONG, "LLM agents")).axes[0]
    label = ax.get_yticklabels()[0].get_text()
    assert "\n" in label and "…" not in label
    assert label.replace("\n", " ") == LONG


def test_a_colour_bar_shows_the_scale_from_zero_to_at_least_the_floor() -> None:
    fig = figure(week("LLM agents"))  # at most 3 a day
    ax, bar = fig.axes
    (image,) = ax.get_images()
    assert image.get_clim() == (0, SCALE_FLOOR)
    assert bar.get_ylabel() == "papers matched that day"


def test_the_star_note_only_when_something_was_rated() -> None:
    unrated = figure(week("LLM agents")).axes[0]
    assert "★" not in unrated.get_xlabel()
    assert not any("★" in t.get_text() for t in unrated.get_xticklabels())
    rated = figure(week("LLM agents", rated={DAYS[2]})).axes[0]
    assert "★ = you rated or saved papers" in rated.get_xlabel()
    assert rated.get_xticklabels()[2].get_text().startswith("★ ")


def test_days_with_nothing_stored_are_hatched_and_said_so() -> None:
    listed = {DAYS[2], DAYS[4], DAYS[6]}
    ax = figure(week("LLM agents", listed=listed)).axes[0]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert sorted(round(p.get_x() + 0.5) for p in hatched) == [0, 1, 3, 5]
    assert "hatched = no papers stored" in ax.get_xlabel()
    full = figure(week("LLM agents")).axes[0]
    assert not [p for p in full.patches if p.get_hatch()] and full.get_xlabel() == "day"
