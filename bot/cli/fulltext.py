"""`paperboy read`: fetch one paper's full text now and show what was stored."""

from __future__ import annotations

import asyncio
from collections import Counter

import click
import sqlite_utils

from bot.cli.app import cli, database
from bot.config import Settings
from bot.fulltext import ReadOptions, read_options, read_papers
from bot.sources.arxiv_xml import split_id
from storage.papers import Paper, get_paper
from storage.passages import FullText, forget_full_text, passages_of


@cli.command()
@click.argument("paper_id")
@click.pass_obj
def read(settings: Settings, paper_id: str) -> None:
    """Read PAPER_ID's full text (arXiv HTML, else the PDF), store its passages, and list
    its sections with their passage counts. Questions do this on their own when needed."""
    ids = split_id(paper_id)
    if ids is None:
        raise click.BadParameter(f"{paper_id!r} is not an arXiv id, e.g. 2501.11120")
    options = read_options(settings) or ReadOptions()
    with database(settings) as db:
        paper = get_paper(db, ids[0])
        if paper is None:
            raise click.ClickException(
                f"{ids[0]} is not stored; ingest a day that lists it (or a file with it) first"
            )
        click.echo(f"Reading {paper.id} …", err=True)
        status = asyncio.run(_read(db, paper, options)).get(paper.id)
        passages = passages_of(db, paper.id)
    if status is None or status.source == "none":
        reason = status.error if status else "not read"
        raise click.ClickException(f"could not read {paper.id}: {reason}")
    click.echo(f"{paper.id}: {status.passages} passages from {status.source} ({status.url})")
    counts = Counter((p.section or "(no heading)", p.page) for p in passages)
    for (section, page), count in counts.items():
        where = f"p. {page}  " if page else ""
        click.echo(f"  {where}{section}: {count}")


async def _read(
    db: sqlite_utils.Database, paper: Paper, options: ReadOptions
) -> dict[str, FullText]:
    # Re-read on request: an operator checking a paper wants the current text.
    forget_full_text(db, paper.id)
    return await read_papers(db, [paper], options)
