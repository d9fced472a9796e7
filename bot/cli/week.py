"""`paperboy week`: the weekly picture and its text from the command line, over the stored
days, for the interests given."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import click

from bot.cli.app import cli, database, interest_option, valid_date
from bot.cli.library import cli_embedder, parse_interests
from bot.config import Settings
from bot.weekly.chart import render_png
from bot.weekly.recap import Week, week_of
from bot.weekly.text import caption, top_lines
from storage.papers import latest_day


@cli.command()
@interest_option
@click.option("--date", "day", callback=valid_date, help="Last day of the week (default: latest).")
@click.option("--days", default=7, show_default=True, type=click.IntRange(2, 31))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the picture (PNG).",
)
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.pass_obj
def week(
    settings: Settings,
    interests: tuple[str, ...],
    day: str | None,
    days: int,
    out: str,
    lexical_only: bool,
) -> None:
    """Print the week's text and write its picture for these interests."""
    profile, _ = parse_interests(interests)
    with database(settings) as db:
        until = day or latest_day(db)
        if until is None:
            raise click.ClickException("no papers stored yet; run `paperboy ingest` first")
        embedder = cli_embedder(settings, lexical_only)
        recap = asyncio.run(week_of(db, profile, until, days=days, embedder=embedder))
    if recap.thin:
        raise click.ClickException(_why_thin(recap))
    Path(out).write_bytes(render_png(recap))
    click.echo(html.unescape(caption(recap)))
    click.echo("\n" + top_lines(recap, as_html=False))
    click.echo(f"\nPicture written to {out}")


def _why_thin(recap: Week) -> str:
    """One line: why there is no picture, and what to do about it."""
    span = f"the {len(recap.days)} days to {recap.days[-1]}"
    if len(recap.listed) < 2:
        missing = [d for d in recap.days if d not in recap.listed]
        verb = "has" if len(recap.listed) == 1 else "have"
        return (
            f"{len(recap.listed)} of {span} {verb} papers stored; a picture needs 2 or more: "
            f"store earlier days with `paperboy ingest --date D` (e.g. --date {missing[-1]})"
        )
    return f"nothing matched these interests in {span}; try broader words"
