"""Papers for a new reader to rate in their first minute ("rate a few"): a handful of the
day's papers near their interests, varied on purpose — a spread across interests and
ranks teaches the reader model more than five near-copies of the best match."""

from __future__ import annotations

import numpy as np

from bot.ranking.engine import DayRanker
from bot.ranking.profiles import Profile
from storage.papers import Paper

NEAR_COPY = 0.85  # cosine at which two papers are too alike to ask about both
DEPTH = 15  # how far down each interest's ranking a pick may come from


def papers_to_rate(ranker: DayRanker, profile: Profile, n: int = 5) -> list[Paper]:
    """Up to `n` papers: each interest's best unrated paper in turn, then its next ones,
    skipping near-copies of a paper already picked. Interests are ranked alone (no cut-off:
    a paper just below it is worth asking about)."""
    rated = {p.id for p in (*profile.liked, *profile.disliked)}
    topics = [i for i in profile.interests if i.kind == "topic"] or list(profile.interests)
    queues = [
        [m.paper for m in ranker.rank(Profile((i,), threshold=-1e9), top_k=DEPTH)] for i in topics
    ]
    picked: list[Paper] = []
    index = {p.id: i for i, p in enumerate(ranker.papers)}
    for depth in range(DEPTH):
        for queue in queues:
            if len(picked) == n:
                return picked
            if depth < len(queue):
                paper = queue[depth]
                if paper.id not in rated and not _near_copy(ranker, index, paper, picked):
                    picked.append(paper)
    return picked


def _near_copy(ranker: DayRanker, index: dict[str, int], paper: Paper, picked: list[Paper]) -> bool:
    if any(p.id == paper.id for p in picked):
        return True
    vectors = ranker.paper_vectors
    if vectors is None or not picked:
        return False
    sims = vectors[[index[p.id] for p in picked]] @ vectors[index[paper.id]]
    return bool(np.max(sims) >= NEAR_COPY)
