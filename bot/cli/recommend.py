"""`paperboy recommend`: the reader's ranking (interests, ratings, library) from the command
line, many readers in one process, for evaluation and scripts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from bot.cli.app import cli, finite
from bot.cli.library import ranker_for
from bot.config import Settings
from bot.ranking import Profile
from bot.ranking.interests import Interest, InterestError, parse_interest
from bot.sources import SourceError, load_day

NO_CUTOFF = -1e9
HINT = "--readers-file"
MAX_INTEREST = 1000  # benchmark queries run longer than what a reader types


@dataclass(frozen=True)
class Reader:
    name: str
    interests: tuple[str, ...]
    parsed: tuple[Interest, ...]
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
    except (SourceError, RecursionError) as exc:
        raise _papers_error(papers_file, exc) from None
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
            reader.parsed,
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


def _papers_error(path: str, exc: Exception) -> click.ClickException:
    """What is wrong with the papers file, in the file's terms where its shape is a common
    mistake (one JSON object holding the list; nesting a parser cannot follow)."""
    nested = click.BadParameter(
        f"{path} is nested too deeply to be a list of papers", param_hint="--papers"
    )
    if isinstance(exc, RecursionError):
        return nested
    try:
        data = json.loads(Path(path).read_bytes())
    except RecursionError:
        return nested
    except (OSError, ValueError):  # not one JSON document: the loader's words stand
        return click.ClickException(str(exc))
    if isinstance(data, dict):
        keys = ", ".join(repr(k) for k in list(data)[:5])
        return click.BadParameter(
            f"{path}: expected a JSON list or JSON Lines, got a JSON object (keys: {keys})",
            param_hint="--papers",
        )
    return click.ClickException(str(exc))


def _readers(path: str) -> list[Reader]:
    data = _readers_json(path)
    if not isinstance(data, list):
        raise click.BadParameter(
            f"{path}: expected a JSON list of readers, got a JSON {_json_kind(data)}",
            param_hint=HINT,
        )
    return [_reader(path, n, item) for n, item in enumerate(data, 1)]


def _readers_json(path: str) -> object:
    """The readers file's JSON, or an error naming what an editor got wrong."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=HINT) from None
    encoding = json.detect_encoding(raw)  # BOMs, and the zero bytes of UTF-16/32 text
    if encoding not in ("utf-8", "utf-8-sig"):
        name = encoding[:6].upper()  # utf-16-le -> UTF-16
        raise click.BadParameter(f"{path} is {name}: save it as UTF-8", param_hint=HINT)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise click.BadParameter(
            f"{path} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
            "save it as UTF-8",
            param_hint=HINT,
        ) from None
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{path} is not valid JSON: {exc}", param_hint=HINT) from None
    except RecursionError:
        raise click.BadParameter(
            f"{path} is nested too deeply to be a list of readers", param_hint=HINT
        ) from None


def _reader(path: str, n: int, item: object) -> Reader:
    """Reader number `n` of the file, checked; errors name the reader and the file."""
    if not isinstance(item, dict):
        raise click.BadParameter(
            f"{path}: reader {n} is a JSON {_json_kind(item)}, not an object", param_hint=HINT
        )
    name = str(item.get("reader", n))
    who = f"{path}: reader {name!r}" if "reader" in item else f"{path}: reader {n}"
    lists = {k: item.get(k) or [] for k in ("interests", "liked", "disliked")}
    if not all(_strings(v) for v in lists.values()):
        raise click.BadParameter(
            f"{who}: interests, liked and disliked must be lists of strings", param_hint=HINT
        )
    if not lists["interests"] and not lists["liked"]:
        raise click.BadParameter(f"{who} has neither interests nor liked papers", param_hint=HINT)
    parsed = []
    for i, text in enumerate(lists["interests"], 1):
        try:
            parsed.append(parse_interest(text, MAX_INTEREST))
        except InterestError as exc:
            raise click.BadParameter(f"{who}, interest {i}: {exc}", param_hint=HINT) from None
    return Reader(
        name,
        tuple(lists["interests"]),
        tuple(parsed),
        tuple(lists["liked"]),
        tuple(lists["disliked"]),
    )


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)
