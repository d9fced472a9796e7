"""Ranking: which of a day's papers each user should see, and why."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import sqlite_utils

from bot.ranking.engine import DEFAULT_THRESHOLD, DayRanker, Match, Profile
from bot.ranking.semantic import Embedder, VectorStore
from storage.papers import Paper

__all__ = ["DEFAULT_THRESHOLD", "DayRanker", "Match", "Profile", "make_ranker"]


@lru_cache(maxsize=1)
def _background() -> tuple[Paper, ...]:
    from bot.sources import sample_bytes
    from bot.sources.hf_json import parse_daily_papers

    return tuple(parse_daily_papers(sample_bytes()).papers)


def make_ranker(
    papers: Sequence[Paper],
    *,
    embedder: Embedder | None = None,
    db: sqlite_utils.Database | None = None,
) -> DayRanker:
    """A ranker for `papers`; term statistics also count the bundled sample day, so that
    scores mean the same on a small or single-topic day. Embeddings are cached in `db`."""
    ids = {p.id for p in papers}
    background = [p for p in _background() if p.id not in ids]
    vectors = VectorStore(embedder, db) if embedder is not None else None
    return DayRanker(papers, vectors=vectors, background=background)
