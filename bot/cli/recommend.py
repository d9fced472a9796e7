"""`paperboy recommend`: the reader's ranking (interests, ratings, library) from the command
line, many readers in one process, for evaluation and scripts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import click

from bot.cli.app import cli, finite
from bot.cli.library import parse_interests, ranker_for
from bot.config import Settings
from bot.ranking import Profile
from bot.sources import SourceError, load_day

NO_CUTOFF = -1e9
HINT = "--readers-file"


@dataclass(frozen=True)
class Reader:
    name: str
    interests: tuple[str, ...]
    liked: tuple[str, ...]
    disliked: tuple[str, ...]


@cli.command()
@click.option(
    "--papers",
    "papers_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The candidates: Daily Papers JSON, or JSON Lines (BEIR: {_id, title, text}).",
)
@click.option(
    "--readers-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help='JSON: [{"reader": "r1", "interests": […], "liked": [ids], "disliked": [ids]}].',
)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--threshold",
    type=float,
    callback=finite,
    default=None,
    help="Minimum score instead of each reader's cut-off; 0: no cut-off, the top --limit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only JSON.")
@click.option("--lexical-only", is_flag=True, help="Do not use embeddings.")
@click.pass_obj
def recommend(
    settings: Settings,
    papers_file: str,
    readers_file: str,
    limit: int,
    threshold: float | None,
    as_json: bool,
    lexical_only: bool,
) -> None:
    """Rank a file of papers for each reader: their interests, the papers they liked and
    disliked (ids in the file; never recommended back to them)."""
    readers = _readers(readers_file)
    try:
        loaded = asyncio.run(load_day(f"file:{papers_file}", None, papers_url=""))
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    papers = {p.id: p for p in loaded.parsed.papers}
    texts = [t for r in readers for t in r.interests]
    ranker = asyncio.run(ranker_for(settings, list(papers.values()), texts, lexical_only))
    cutoff = NO_CUTOFF if threshold is not None and threshold <= 0 else threshold
    out: list[dict[str, Any]] = []
    for reader in readers:
        rated = set(reader.liked) | set(reader.disliked)
        unknown = sorted(i for i in rated if i not in papers)
        if unknown:
            click.echo(f"{reader.name}: {len(unknown)} rated ids not in the papers file", err=True)
        profile = Profile(
            parse_interests(reader.interests, 1000)[0].interests if reader.interests else (),
            liked=tuple(papers[i] for i in reader.liked if i in papers),
            disliked=tuple(papers[i] for i in reader.disliked if i in papers),
            threshold=cutoff,
        )
        matches = [
            m for m in ranker.rank(profile, top_k=limit + len(rated)) if m.paper.id not in rated
        ]
        out.append({"reader": reader.name, "matches": _rows(matches[:limit], as_json)})
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for row in out:
        click.echo(f"\n{row['reader']}:")
        for n, m in enumerate(row["matches"], 1):
            click.echo(f"{n:>3}. {m['id']}  {m['score']:.3f}  {m['title']}\n       {m['reason']}")


def _rows(matches: list[Any], as_json: bool) -> list[dict[str, object]]:
    if as_json:
        return [{"id": m.paper.id, "score": m.score} for m in matches]
    return [
        {"id": m.paper.id, "score": m.score, "title": m.paper.title, "reason": m.reason}
        for m in matches
    ]


def _readers(path: str) -> list[Reader]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc}", param_hint="--readers-file"
        ) from None
    if not isinstance(data, list):
        raise click.BadParameter("expected a JSON list of readers", param_hint="--readers-file")
    readers = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise click.BadParameter(f"reader {n} is not an object", param_hint="--readers-file")
        lists = {k: item.get(k) or [] for k in ("interests", "liked", "disliked")}
        if not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists.values()
        ):
            raise click.BadParameter(
                f"reader {n}: interests, liked and disliked must be lists of strings",
                param_hint="--readers-file",
            )
        if not lists["interests"] and not lists["liked"]:
            raise click.BadParameter(
                f"reader {n} has neither interests nor liked papers", param_hint="--readers-file"
            )
        readers.append(
            Reader(
                str(item.get("reader", n)),
                tuple(lists["interests"]),
                tuple(lists["liked"]),
                tuple(lists["disliked"]),
            )
        )
    return readers


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)
