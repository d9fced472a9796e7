"""Commands for the assistant itself: digest, ask, summarize, demo."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import click
import sqlite_utils

from bot.answers import Answer, answer, answer_text
from bot.cli.app import cli, database, interest_option, valid_date
from bot.cli.demo import run_demo
from bot.cli.library import cli_embedder, parse_interests
from bot.config import Settings
from bot.digests.choose import Digest
from bot.digests.desk import DigestDesk
from bot.digests.render import render_text
from bot.fulltext import read_options
from bot.llm import LLMClient
from bot.ranking import Profile
from bot.sources import SourceError, load_day
from bot.sources.arxiv_ids import split_version
from bot.sources.ingest import store_day
from bot.writing.summaries import summarize_papers
from storage import open_db
from storage.papers import Paper, latest_day, papers_for_day


@cli.command()
@interest_option
@click.option("--date", "day", callback=valid_date, help="Day (default: the latest stored).")
@click.option(
    "--papers",
    "papers_file",
    type=click.Path(dir_okay=False),
    help="Rank this Daily Papers JSON file instead of the database.",
)
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.pass_obj
def digest(
    settings: Settings,
    interests: tuple[str, ...],
    day: str | None,
    papers_file: str | None,
    limit: int,
    lexical_only: bool,
) -> None:
    """Print the digest these interests would get (summaries from the LLM when configured)."""
    profile, _ = parse_interests(interests)
    if papers_file:
        db = open_db(":memory:")
        try:
            loaded = asyncio.run(load_day(f"file:{papers_file}", day, papers_url=""))
        except SourceError as exc:
            raise click.ClickException(str(exc)) from None
        day = store_day(db, loaded).day
    else:
        db = open_db(settings.db_path)
        day = day or latest_day(db)
        if day is None:
            raise click.ClickException("no papers stored yet; run `paperboy ingest` first")
    try:
        result = asyncio.run(_digest(db, settings, day, profile, limit, lexical_only))
    finally:
        db.close()
    click.echo(render_text(result))


async def _digest(
    db: sqlite_utils.Database,
    settings: Settings,
    day: str,
    profile: Profile,
    limit: int,
    lexical_only: bool,
) -> Digest:
    llm = LLMClient(settings, db)
    desk = DigestDesk(db, settings, llm, cli_embedder(settings, lexical_only, llm))
    try:
        # The same choice as a delivered digest; summaries only for the papers chosen.
        return await desk.preview(day, profile, limit=limit)
    finally:
        await llm.aclose()


@cli.command()
@click.argument("question")
@click.option(
    "--chat",
    "chat_id",
    default=0,
    show_default=True,
    type=click.IntRange(-(2**63), 2**63 - 1),  # what Telegram ids (and SQLite) can hold
    help="Whose history and digests to use (Telegram chat id; 0 = terminal).",
)
@click.option(
    "--paper",
    "paper_ids",
    multiple=True,
    metavar="ID",
    help="Ask about this stored paper (repeatable), as replying to its digest does.",
)
@click.pass_obj
def ask(settings: Settings, question: str, chat_id: int, paper_ids: tuple[str, ...]) -> None:
    """Answer a question from the stored papers, citing them (and, for arXiv papers, the
    section or page of their full text, read on demand unless PAPERBOY_FULL_TEXT=off)."""
    if not question.strip():
        raise click.BadParameter('ask a question, e.g. "what is new in MoE inference?"')
    focus = [split_version(pid.strip())[0] for pid in paper_ids]
    with database(settings) as db:
        result = asyncio.run(_ask(db, settings, chat_id, question, focus))
    click.echo(answer_text(result))


async def _ask(
    db: sqlite_utils.Database,
    settings: Settings,
    chat_id: int,
    question: str,
    focus: list[str],
) -> Answer:
    llm = LLMClient(settings, db)
    try:
        return await answer(
            db,
            llm,
            chat_id,
            question,
            focus_ids=focus,
            read=read_options(settings),
            embedder=cli_embedder(settings, False, llm) if read_options(settings) else None,
        )
    finally:
        await llm.aclose()


@cli.command()
@click.option("--date", "day", callback=valid_date, help="Day (default: the latest stored).")
@click.pass_obj
def summarize(settings: Settings, day: str | None) -> None:
    """Write LLM summaries for a day's papers that have none yet (needs an LLM)."""
    with database(settings) as db:
        day = day or latest_day(db)
        if day is None:
            raise click.ClickException("no papers stored yet; run `paperboy ingest` first")
        papers = papers_for_day(db, day)
        written = asyncio.run(_summarize(db, settings, papers))
    click.echo(f"{day}: {written} new summaries for {len(papers)} papers")


async def _summarize(db: sqlite_utils.Database, settings: Settings, papers: list[Paper]) -> int:
    llm = LLMClient(settings, db)
    if not llm.enabled:
        raise click.ClickException("no LLM configured: set OPENAI_BASE_URL and/or OPENAI_API_KEY")
    try:
        return await summarize_papers(db, llm, papers, batch_size=settings.summary_batch)
    finally:
        await llm.aclose()


@cli.command()
@click.option("--lexical-only", is_flag=True, help="Do not use the local embedding model.")
@click.pass_obj
def demo(settings: Settings, lexical_only: bool) -> None:
    """Offline tour on the bundled sample day: ingest, a digest, a cited follow-up answer."""
    embedder = cli_embedder(settings, lexical_only)
    with tempfile.TemporaryDirectory(prefix="paperboy-demo-") as tmp:
        db = open_db(Path(tmp) / "demo.db")
        try:
            asyncio.run(run_demo(db, settings, click.echo, embedder))
        finally:
            db.close()
