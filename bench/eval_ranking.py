"""Ranking quality: nDCG@10 and P@5 of Paperboy's ranker against three baselines.

Run: python -m bench.eval_ranking [--lexical-only]
Uses the labelled interests in bench/relevance/sample_day.json (graded 2/1 over the bundled
sample day). Baselines: SQLite FTS5 BM25, TF-IDF cosine with uni+bigrams (arxiv-sanity's
recipe), and embeddings alone (all-MiniLM-L6-v2; needs the `embeddings` extra).
Also prints the threshold check (off-topic interests must yield nothing) and the effect of
feedback (simulated 👍/👎 on the first three results).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.interests import parse_interest
from bot.ranking import DayRanker, Profile
from bot.ranking.semantic import Embedder, VectorStore, load_local_embedder
from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers
from bot.text import STOP_WORDS
from storage import open_db
from storage.papers import Paper, fts_query, upsert_papers

RELEVANCE = Path(__file__).parent / "relevance" / "sample_day.json"
OFF_TOPIC = [
    "protein structure prediction",
    "medical image segmentation",
    "quantum error correction",
    "author: Geoffrey Hinton",
    "robot grasping",
    "galaxy formation simulations",
]
Ranker = Callable[[str], list[str]]


def ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    return dcg / sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))


def precision(ranked: Sequence[str], grades: dict[str, int], k: int = 5) -> float:
    return sum(1 for pid in ranked[:k] if grades.get(pid, 0) > 0) / k


def fts5_bm25(papers: list[Paper]) -> Ranker:
    db = open_db(":memory:")
    upsert_papers(db, papers, day="d", source="eval")
    ids = [p.id for p in papers]

    def rank(text: str) -> list[str]:
        query = fts_query(text, any_term=True)
        hits = (
            [
                r["id"]
                for r in db.query(
                    "SELECT p.id FROM papers_fts f JOIN papers p ON p.rowid = f.rowid "
                    "WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts)",
                    [query],
                )
            ]
            if query
            else []
        )
        return hits + [pid for pid in ids if pid not in set(hits)]

    return rank


def tfidf_cosine(papers: list[Paper]) -> Ranker:
    def grams(text: str) -> list[str]:
        words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS]
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    docs = [Counter(grams(f"{p.title} {p.abstract}")) for p in papers]
    df = Counter(term for doc in docs for term in doc)
    idf = {t: math.log((1 + len(docs)) / (1 + n)) + 1 for t, n in df.items()}

    def vector(counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    doc_vecs = [vector(d) for d in docs]

    def rank(text: str) -> list[str]:
        q = vector(Counter(grams(text)))
        sims = [sum(w * dv.get(t, 0.0) for t, w in q.items()) for dv in doc_vecs]
        return [papers[i].id for i in np.argsort(-np.array(sims), kind="stable")]

    return rank


def embeddings_alone(papers: list[Paper], store: VectorStore) -> Ranker:
    matrix = store.papers(papers)

    def rank(text: str) -> list[str]:
        sims = matrix @ store.texts([text])[0]
        return [papers[i].id for i in np.argsort(-sims, kind="stable")]

    return rank


def paperboy(ranker: DayRanker) -> Ranker:
    def rank(text: str) -> list[str]:
        profile = Profile((parse_interest(text),), threshold=-1e9)
        return [m.paper.id for m in ranker.rank(profile)]

    return rank


def evaluate(rankers: dict[str, Ranker], labelled: list[dict]) -> None:  # type: ignore[type-arg]
    print(f"{'system':<28} {'nDCG@10':>8} {'P@5':>6}   {'dev nDCG':>8} {'test nDCG':>9}")
    for name, rank in rankers.items():
        rows = [
            (
                item["split"],
                ndcg(r := rank(item["interest"]), item["relevant"]),
                precision(r, item["relevant"]),
            )
            for item in labelled
        ]
        mean = statistics.mean
        print(
            f"{name:<28} {mean(r[1] for r in rows):>8.3f} {mean(r[2] for r in rows):>6.3f}   "
            f"{mean(r[1] for r in rows if r[0] == 'dev'):>8.3f} "
            f"{mean(r[1] for r in rows if r[0] == 'test'):>9.3f}"
        )


def threshold_check(ranker: DayRanker, labelled: list[dict]) -> None:  # type: ignore[type-arg]
    noise = {t: len(ranker.rank(Profile((parse_interest(t),)))) for t in OFF_TOPIC}
    kept, precise = [], []
    for item in labelled:
        shown = [m.paper.id for m in ranker.rank(Profile((parse_interest(item["interest"]),)))]
        kept.append(sum(1 for pid in shown if pid in item["relevant"]) / len(item["relevant"]))
        precise.append(sum(1 for pid in shown if pid in item["relevant"]) / max(1, len(shown)))
    print(f"  threshold: off-topic interests matched {sum(noise.values())} papers in all {noise}")
    print(
        f"  threshold: on-topic recall above threshold {statistics.mean(kept):.2f}, "
        f"precision above threshold {statistics.mean(precise):.2f}"
    )


def feedback_check(ranker: DayRanker, labelled: list[dict], by_id: dict[str, Paper]) -> None:  # type: ignore[type-arg]
    before, after = [], []
    for item in labelled:
        interest = (parse_interest(item["interest"]),)
        first = [m.paper.id for m in ranker.rank(Profile(interest, threshold=-1e9))]
        voted = first[:3]
        liked = tuple(by_id[p] for p in voted if p in item["relevant"])
        disliked = tuple(by_id[p] for p in voted if p not in item["relevant"])
        second = [m.paper.id for m in ranker.rank(Profile(interest, liked, disliked, -1e9))]
        rest = {p: g for p, g in item["relevant"].items() if p not in voted}
        if rest:
            before.append(ndcg([p for p in first if p not in voted], rest))
            after.append(ndcg([p for p in second if p not in voted], rest))
    print(
        f"  feedback (3 votes, residual nDCG@10): {statistics.mean(before):.3f} -> "
        f"{statistics.mean(after):.3f} over {len(before)} interests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lexical-only", action="store_true", help="skip the embedding model")
    args = parser.parse_args()
    papers = parse_daily_papers(sample_bytes()).papers
    labelled = json.loads(RELEVANCE.read_text())["interests"]
    embedder: Embedder | None = None if args.lexical_only else load_local_embedder()
    print(
        f"{len(labelled)} labelled interests over {len(papers)} papers; embeddings: "
        f"{embedder.name if embedder else 'off'}"
    )
    lexical = DayRanker(papers)
    rankers = {
        "BM25 (SQLite FTS5)": fts5_bm25(papers),
        "TF-IDF cosine (arxiv-sanity)": tfidf_cosine(papers),
        "Paperboy, lexical only": paperboy(lexical),
    }
    hybrid = None
    if embedder is not None:
        store = VectorStore(embedder)
        hybrid = DayRanker(papers, vectors=store)
        rankers["Embeddings alone (MiniLM)"] = embeddings_alone(papers, store)
        rankers["Paperboy, hybrid"] = paperboy(hybrid)
    evaluate(rankers, labelled)
    by_id = {p.id: p for p in papers}
    for name, ranker in (("lexical only", lexical), ("hybrid", hybrid)):
        if ranker is not None:
            print(f"Paperboy, {name}:")
            threshold_check(ranker, labelled)
            feedback_check(ranker, labelled, by_id)


if __name__ == "__main__":
    main()
