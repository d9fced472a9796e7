"""Commands over the paper library: ingest, papers, db migrate, match."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict

import click
import sqlite_utils

from bot.cli.app import cli, database, interest_option, valid_date
from bot.config import Settings
from bot.ingest import IngestReport, store_day
from bot.interests import InterestError, parse_interest
from bot.ranking import Match, Profile, make_ranker
from bot.ranking.semantic import Embedder, load_local_embedder
from bot.sources import SourceError, load_day
from storage.db import schema_version
from storage.papers import Paper, latest_day, papers_for_day, search_papers


def ingest_into(
    db: sqlite_utils.Database, settings: Settings, source: str, day: str | None
) -> IngestReport:
    """Load one day from `source` and store it, showing progress on stderr."""
    click.echo(f"Loading {day or 'the default day'} from {source} …", err=True)
    try:
        loaded = asyncio.run(
            load_day(source, day, papers_url=settings.papers_url, timeout_s=settings.http_timeout)
        )
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    papers = loaded.parsed.papers
    with click.progressbar(length=len(papers), label="Storing papers", file=sys.stderr) as bar:
        return store_day(db, loaded, progress=bar.update)


def local_embedder(lexical_only: bool) -> Embedder | None:
    if lexical_only:
        return None
    click.echo("Loading the local embedding model (if installed) …", err=True)
    return load_local_embedder()


def parse_interests(texts: tuple[str, ...]) -> tuple[Profile, list[str]]:
    try:
        return Profile(tuple(parse_interest(t) for t in texts)), list(texts)
    except InterestError as exc:
        raise click.BadParameter(str(exc), param_hint="--interest") from None


@cli.command()
@click.option(
    "--date",
    "day",
    callback=valid_date,
    help="Day to ingest, YYYY-MM-DD (default: today in UTC; the sample day has its own date).",
)
@click.option(
    "--source",
    default=None,
    metavar="hf|sample|file:PATH",
    help="Where to read papers from (default: PAPERBOY_SOURCE, else hf).",
)
@click.pass_obj
def ingest(settings: Settings, day: str | None, source: str | None) -> None:
    """Fetch one day's papers and store them (re-running refreshes, never duplicates)."""
    with database(settings) as db:
        report = ingest_into(db, settings, source or settings.source, day)
    click.echo(report.summary())
    for reason in report.skipped:
        click.echo(f"  skipped {reason}", err=True)


@cli.command()
@click.option("--date", "day", callback=valid_date, help="Day to list (default: latest day).")
@click.option("--search", "query", help="Full-text search over titles, abstracts, authors.")
@click.option("--limit", default=50, show_default=True, help="Most rows to print.")
@click.pass_obj
def papers(settings: Settings, day: str | None, query: str | None, limit: int) -> None:
    """List a day's papers, or search every stored paper."""
    with database(settings) as db:
        if query is not None:
            found = search_papers(db, query, limit=limit)
            heading = f"{len(found)} match(es) for {query!r}"
        else:
            day = day or latest_day(db)
            if day is None:
                raise click.ClickException("no papers stored yet; run `paperboy ingest` first")
            listed = papers_for_day(db, day)
            found = listed[:limit]
            shown = f" (showing {limit}; use --limit)" if len(listed) > limit else ""
            heading = f"{day}: {len(listed)} paper(s){shown}"
    click.echo(heading)
    for paper in found:
        click.echo(format_paper_line(paper))


def format_paper_line(paper: Paper) -> str:
    return f"  {paper.id:<16} {paper.upvotes:>4}▲  {paper.title}"


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("migrate")
@click.pass_obj
def db_migrate(settings: Settings) -> None:
    """Apply pending schema migrations (safe to run any number of times)."""
    with database(settings) as opened:
        applied = schema_version(opened)
    click.echo(
        f"{settings.db_path}: schema up to date ({len(applied)} migrations: {', '.join(applied)})"
    )


@cli.command()
@click.option(
    "--papers",
    "papers_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="A JSON file in the Hugging Face Daily Papers shape.",
)
@interest_option
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many matches to print at most.",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Minimum score (default: the ranker's calibrated threshold).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only a JSON array, best first.")
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
def match(
    papers_file: str,
    interests: tuple[str, ...],
    top: int,
    threshold: float | None,
    as_json: bool,
    lexical_only: bool,
) -> None:
    """Rank the papers in a file against interests, offline, with a reason for each."""
    profile, _ = parse_interests(interests)
    try:
        loaded = asyncio.run(load_day(f"file:{papers_file}", None, papers_url=""))
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    ranker = make_ranker(loaded.parsed.papers, embedder=local_embedder(lexical_only))
    profile = Profile(profile.interests, threshold=threshold)
    matches = ranker.rank(profile, top_k=top)
    if as_json:
        rows = [match_json(rank, m) for rank, m in enumerate(matches, 1)]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    mode = "lexical + embeddings" if ranker.uses_embeddings else "lexical only"
    click.echo(
        f"{len(loaded.parsed.papers)} papers ranked ({mode}); {len(matches)} above the threshold"
    )
    if not matches:
        click.echo(
            "Nothing strongly matched these interests. Try broader words, or "
            "--threshold 0 to see the closest papers anyway."
        )
    for rank, m in enumerate(matches, 1):
        click.echo(f"{rank:>3}. {m.paper.id}  {m.score:.3f}  {m.paper.title}\n       {m.reason}")


def match_json(rank: int, m: Match) -> dict[str, object]:
    return {
        "rank": rank,
        "id": m.paper.id,
        "title": m.paper.title,
        "score": m.score,
        "reason": m.reason,
        "links": asdict(m.paper.links),
    }
