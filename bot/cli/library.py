"""Commands over the paper library: ingest, papers, db migrate, match."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import click
import sqlite_utils

from bot.cli.app import cli, database, finite, valid_date
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking import DayRanker, Match, Profile, build_ranker
from bot.ranking.embedders import Embedder, make_embedder
from bot.ranking.interests import MAX_LENGTH, InterestError, parse_interest
from bot.sources import SourceError, load_day, split_sources
from bot.sources.ingest import IngestReport, load_source, store_day
from storage import open_db
from storage.backup import BackupFailed, backup_database
from storage.db import schema_version
from storage.papers import Paper, latest_day, listing_sources, papers_for_day, search_papers


def ingest_into(
    db: sqlite_utils.Database, settings: Settings, source: str, day: str | None
) -> IngestReport:
    """Load one day from `source` and store it, showing progress on stderr."""
    click.echo(f"Loading {day or 'the latest day'} from {source} …", err=True)
    try:
        loaded = asyncio.run(load_source(settings, source, day))
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    papers = loaded.parsed.papers
    with click.progressbar(length=len(papers), label="Storing papers", file=sys.stderr) as bar:
        return store_day(db, loaded, progress=bar.update)


def cli_embedder(
    settings: Settings, lexical_only: bool, llm: LLMClient | None = None
) -> Embedder | None:
    """The embedder `PAPERBOY_EMBEDDINGS` asks for (None with --lexical-only)."""
    if lexical_only or settings.embeddings == "off":
        return None
    if settings.embeddings == "local":
        click.echo("Loading the embedding model …", err=True)
    return make_embedder(settings.embeddings, llm, settings.embeddings_model)


def parse_interests(
    texts: tuple[str, ...], max_length: int = MAX_LENGTH
) -> tuple[Profile, list[str]]:
    try:
        return Profile(tuple(parse_interest(t, max_length) for t in texts)), list(texts)
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
    metavar="hf|arxiv:CATS|sample|file:PATH",
    help="Where to read papers from; several comma-separated, e.g. hf,arxiv:cs.CL+cs.LG "
    "(default: PAPERBOY_SOURCE, else hf).",
)
@click.pass_obj
def ingest(settings: Settings, day: str | None, source: str | None) -> None:
    """Fetch one day's papers and store them (re-running refreshes, never duplicates).
    A paper several sources list is stored once, with every listing."""
    try:
        specs = split_sources(source) if source else settings.sources
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    failed = []
    with database(settings) as db:
        for spec in specs:
            try:
                report = ingest_into(db, settings, spec, day)
            except click.ClickException as exc:
                if len(specs) == 1:
                    raise
                click.echo(f"Error: {spec}: {exc.message}", err=True)
                failed.append(spec)
                continue
            click.echo(report.summary())
            for reason in report.skipped:
                click.echo(f"  skipped {reason}", err=True)
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {len(specs)} sources failed ({', '.join(failed)}); "
            "the others were stored"
        )


@cli.command()
@click.option("--date", "day", callback=valid_date, help="Day to list (default: latest day).")
@click.option("--search", "query", help="Full-text search over titles, abstracts, authors.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1), help="Most rows to print."
)
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
        sources = listing_sources(db, [p.id for p in found])
    click.echo(heading)
    for paper in found:
        click.echo(format_paper_line(paper, sources.get(paper.id, ())))


def format_paper_line(paper: Paper, sources: Sequence[str] = ()) -> str:
    """One paper per line: id, upvotes, where it was listed, primary category, title."""
    listed = f"[{'+'.join(sources)}] " if sources else ""
    category = f"{paper.categories[0]} " if paper.categories else ""
    return f"  {paper.id:<16} {paper.upvotes:>4}▲  {listed}{category}{paper.title}"


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def db_backup(settings: Settings, target: Path) -> None:
    """Copy the database to TARGET, consistently even while the bot runs, and check the copy
    (PRAGMA integrity_check) before reporting success. Restore: stop the service, copy the
    backup over PAPERBOY_DB_PATH (remove its -wal and -shm files), start again."""
    with database(settings) as opened:
        try:
            made = backup_database(opened, target)
        except BackupFailed as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up {settings.db_path} to {made.path} ({made.size_bytes / 1e6:.1f} MB, "
        "integrity check ok)"
    )


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
    help="Daily Papers JSON, or JSON Lines of {id, title, abstract} (BEIR: {_id, title, text}).",
)
@click.option(
    "--interest",
    "interests",
    multiple=True,
    metavar="TEXT",
    help="An interest; repeat it for more (ranked together, as one user's).",
)
@click.option(
    "--interests-file",
    type=click.Path(exists=True, dir_okay=False),
    help="One interest per line, each ranked on its own (a benchmark in one process).",
)
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many matches to print at most (per interest).",
)
@click.option(
    "--threshold",
    type=float,
    callback=finite,
    default=None,
    help="Minimum score instead of the per-interest cut-off (0 shows the full ranking).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only JSON, best first.")
@click.option("--lexical-only", is_flag=True, help="Do not use embeddings.")
@click.pass_obj
def match(
    settings: Settings,
    papers_file: str,
    interests: tuple[str, ...],
    interests_file: str | None,
    top: int,
    threshold: float | None,
    as_json: bool,
    lexical_only: bool,
) -> None:
    """Rank the papers in a file against interests, offline, with a reason for each."""
    if bool(interests) == bool(interests_file):
        raise click.UsageError("give --interest (one or more) or --interests-file, not both")
    lines = _interest_lines(interests_file) if interests_file else []
    # Benchmark queries (SciFact claims) run longer than what the bot accepts from users.
    profiles = [parse_interests((line,), 1000)[0] for line in lines]
    profiles = profiles or [parse_interests(interests)[0]]
    try:
        loaded = asyncio.run(load_day(f"file:{papers_file}", None, papers_url=""))
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    texts = [i.text for p in profiles for i in p.interests]
    ranker = asyncio.run(ranker_for(settings, loaded.parsed.papers, texts, lexical_only))
    results = [
        ranker.rank(Profile(p.interests, threshold=threshold), top_k=top)
        for p in _with_progress(profiles)
    ]
    if as_json:
        click.echo(json.dumps(_match_rows(lines, results), ensure_ascii=False, indent=1))
        return
    mode = "lexical + embeddings" if ranker.uses_embeddings else "lexical only"
    click.echo(f"{len(loaded.parsed.papers)} papers ranked ({mode})")
    for label, matches in zip(lines or [", ".join(interests)], results, strict=True):
        _print_matches(label, matches)


async def ranker_for(
    settings: Settings, papers: list[Paper], texts: list[str], lexical_only: bool
) -> DayRanker:
    if lexical_only or settings.embeddings != "api":
        return await build_ranker(papers, embedder=cli_embedder(settings, lexical_only))
    db = open_db(":memory:")  # the LLM client logs its calls; nothing else is stored
    llm = LLMClient(settings, db)
    try:
        embedder = cli_embedder(settings, lexical_only, llm)
        return await build_ranker(papers, embedder=embedder, db=db, interests=texts)
    finally:
        await llm.aclose()


def _with_progress(profiles: list[Profile]) -> Iterator[Profile]:
    if len(profiles) == 1:  # a bar for one interest is noise
        yield from profiles
        return
    with click.progressbar(profiles, label="Ranking", file=sys.stderr) as bar:
        yield from bar


def _interest_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    if not lines:
        raise click.BadParameter(f"{path} has no interests in it", param_hint="--interests-file")
    return lines


def _match_rows(lines: list[str], results: list[list[Match]]) -> list[object]:
    rows = [[match_json(rank, m) for rank, m in enumerate(ms, 1)] for ms in results]
    if not lines:
        return list(rows[0])
    return [{"interest": t, "matches": r} for t, r in zip(lines, rows, strict=True)]


def _print_matches(label: str, matches: list[Match]) -> None:
    click.echo(f"\n{label}: {len(matches)} above the cut-off")
    if not matches:
        click.echo(
            "  Nothing strongly matched. Try broader words, or "
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
