"""Ranking: which of a day's papers each user should see, and why."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from bot.ranking.embedders import Embedder, EmbeddingsUnavailable
from bot.ranking.engine import DayRanker, Match
from bot.ranking.profiles import Profile
from bot.ranking.semantic import VectorStore, paper_text
from storage.papers import Paper

__all__ = ["DayRanker", "Match", "Profile", "build_ranker", "make_ranker"]

log = logging.getLogger(__name__)


BACKGROUND = Path(__file__).resolve().parent / "model" / "background.json"


@lru_cache(maxsize=1)
def _background() -> tuple[Paper, ...]:
    """The term statistics' background corpus: one real day of papers, shipped with the
    ranking (scripts/build_background.py wrote it), apart from the demo's sample day."""
    rows = json.loads(BACKGROUND.read_text())
    return tuple(
        Paper(r["id"], r["title"], r["abstract"], keywords=tuple(r["keywords"])) for r in rows
    )


def make_ranker(
    papers: Sequence[Paper],
    *,
    embedder: Embedder | None = None,
    db: sqlite_utils.Database | None = None,
    vectors: VectorStore | None = None,
    expansions: Mapping[str, str] | None = None,
) -> DayRanker:
    """A ranker for `papers`; term statistics also count a shipped background day, so that
    scores mean the same on a small or single-topic day. Embeddings are cached in `db`."""
    ids = {p.id for p in papers}
    background = [p for p in _background() if p.id not in ids]
    if vectors is None and embedder is not None:
        vectors = VectorStore(embedder, db)
    return DayRanker(papers, vectors=vectors, background=background, expansions=expansions)


async def build_ranker(
    papers: Sequence[Paper],
    *,
    embedder: Embedder | None,
    db: sqlite_utils.Database | None = None,
    interests: Sequence[str] = (),
    expansions: Mapping[str, str] | None = None,
) -> DayRanker:
    """`make_ranker` for async callers: embeds the papers, `interests` and their
    `expansions` first (the only way remote embeddings can be used). If that fails, this
    run ranks lexically."""
    # Indexing a day (2,500 arXiv papers: about a second) is CPU work: off the event loop.
    if embedder is None:
        return await asyncio.to_thread(make_ranker, papers, expansions=expansions)
    store = VectorStore(embedder, db)
    extra = [expansions[t] for t in interests if expansions and expansions.get(t)]
    try:
        await store.ensure([*(paper_text(p) for p in papers), *interests, *extra])
    except EmbeddingsUnavailable as exc:
        log.warning("embeddings unavailable (%s); ranking lexically this time", exc)
        return await asyncio.to_thread(make_ranker, papers, expansions=expansions)
    return await asyncio.to_thread(make_ranker, papers, vectors=store, expansions=expansions)
