"""The passages of one paper that answer a question best: BM25 over section titles and text
(FTS5), blended with the meaning of the question when embeddings are available, the same
way interests and papers are fused for ranking (bot/ranking/scoring.py)."""

from __future__ import annotations

import logging

import numpy as np
import sqlite_utils

from bot.ranking.embedders import EmbeddingsUnavailable
from bot.ranking.scoring import fuse
from bot.ranking.semantic import VectorStore
from bot.text import tokenize
from storage.passages import Passage, best_passages, passages_of

log = logging.getLogger(__name__)

LEXICAL_POOL = 20  # BM25's best passages; beyond these a passage's lexical score is 0


async def embed_passages(
    vectors: VectorStore, db: sqlite_utils.Database, paper_ids: list[str], question: str
) -> bool:
    """Make sure the papers' passages and the question have vectors (each passage is
    embedded once, for every later question). False when embeddings are unavailable."""
    texts = [p.text for pid in paper_ids for p in passages_of(db, pid)]
    try:
        await vectors.ensure([*texts, question])
    except EmbeddingsUnavailable as exc:
        log.warning("passage embeddings unavailable (%s): lexical passages only", exc)
        return False
    return True


def best_passages_for(
    db: sqlite_utils.Database,
    paper_id: str,
    question: str,
    *,
    limit: int = 3,
    vectors: VectorStore | None = None,
) -> list[Passage]:
    """Lexical (BM25 rank, as 1 down to 0) fused with cosine to the question, best first;
    lexical only without `vectors`."""
    words = " ".join(t.surface for t in tokenize(question))  # without stop words
    lexical = best_passages(db, paper_id, words, limit=LEXICAL_POOL)
    if vectors is None:
        return lexical[:limit]
    passages = passages_of(db, paper_id)
    found = vectors.lookup([*(p.text for p in passages), question]) if passages else None
    if found is None or not len(passages):
        return lexical[:limit]
    cosines = found[:-1] @ found[-1]
    rank = {p.n: i for i, p in enumerate(lexical)}
    lex = np.array(
        [1.0 - rank[p.n] / LEXICAL_POOL if p.n in rank else 0.0 for p in passages],
        dtype=np.float32,
    )
    scores = fuse(lex, cosines)
    order = np.argsort(-scores, kind="stable")[:limit]
    return [passages[int(i)] for i in order]
