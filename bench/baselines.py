"""Baseline rankers for bench/eval_ranking.py: what Paperboy must beat, run on the same data."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from bot.ranking.semantic import VectorStore
from bot.text import STOP_WORDS
from storage import open_db
from storage.papers import Paper, fts_query, upsert_papers

Ranker = Callable[[str], list[str]]


def fts5_bm25(papers: list[Paper]) -> Ranker:
    """SQLite FTS5's bm25() over title, abstract, authors and keywords, any query term."""
    db = open_db(":memory:")
    upsert_papers(db, papers, day="d", source="eval")
    ids = [p.id for p in papers]

    def rank(text: str) -> list[str]:
        query = fts_query(text, any_term=True)
        sql = (
            "SELECT p.id FROM papers_fts f JOIN papers p ON p.rowid = f.rowid "
            "WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts) LIMIT 100"
        )
        hits = [r["id"] for r in db.query(sql, [query])] if query else []
        seen = set(hits)
        return hits + [pid for pid in ids if pid not in seen][: 100 - len(hits)]

    return rank


def tfidf_cosine(papers: list[Paper]) -> Ranker:
    """TF-IDF cosine over unigrams + bigrams of title and abstract (arxiv-sanity's recipe)."""

    def grams(text: str) -> list[str]:
        words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS]
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    docs = [Counter(grams(f"{p.title} {p.abstract}")) for p in papers]
    df = Counter(term for doc in docs for term in doc)
    idf = {t: math.log((1 + len(docs)) / (1 + n)) + 1 for t, n in df.items()}
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, doc in enumerate(docs):
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in doc.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        for t, v in vec.items():
            postings.setdefault(t, []).append((i, v / norm))

    def rank(text: str) -> list[str]:
        q = Counter(grams(text))
        qvec = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in q.items()}
        sims = np.zeros(len(papers))
        for t, w in qvec.items():
            for i, v in postings.get(t, ()):
                sims[i] += w * v
        return [papers[i].id for i in np.argsort(-sims, kind="stable")[:100]]

    return rank


def embeddings_alone(papers: list[Paper], store: VectorStore) -> Ranker:
    """Cosine of the shipped MiniLM vectors, nothing else."""
    matrix = store.papers(papers)
    assert matrix is not None

    def rank(text: str) -> list[str]:
        vector = store.lookup([text])
        assert vector is not None
        sims = matrix @ vector[0]
        return [papers[i].id for i in np.argsort(-sims, kind="stable")[:100]]

    return rank
