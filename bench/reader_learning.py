"""Does Paperboy learn a reader? Simulated readers from the labelled days (each labelled
interest is a reader whose hidden truth is its relevance grades), two experiments:

1. Cold start from a library: a reader brings 2 papers they know are relevant (seeded
   choice); everything else of the day is ranked for them. nDCG@10 and recall@50 over the
   relevant papers left, for Paperboy's reader model (library only, no interest), beside a
   TF-IDF centroid and a MiniLM centroid of the same 2 papers; and interest + library vs
   the interest alone.
2. Ratings over days: a set is shuffled (seeded) into 8 days; each day the reader is shown
   their top 5 and rates them by the hidden truth (relevant: 👍, else 👎). Precision@5 on
   days 5-8 for: the interest alone (no ratings), the interest + Paperboy's reader model,
   and a MiniLM-centroid learner fed the same ratings (the interest's vector plus the mean
   of liked vectors minus the mean of disliked ones, Rocchio 1 / 0.75 / 0.25).

Split as bench/eval_ranking.py splits: dev sets and test sets reported apart (nothing here
was tuned on either: the model's constants were set before this ran). Experiment 2 needs
sets of about 100 papers, so it runs on the two dev sets only; the test days (20-30
papers) are too small to split into 8 days.

Run: python -m bench.reader_learning [--lexical-only]
Needs ../shared/data (the recorded days), like bench.eval_ranking.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from bench.baselines import tfidf_cosine
from bench.eval_ranking import CACHE, EvalSet, _interest, load_days, ndcg
from bot.ranking import DayRanker, Profile, build_ranker, make_ranker
from bot.ranking.embedders import load_local_embedder
from storage import open_db
from storage.papers import Paper

SEED = 20261203
KNOWN = 2  # papers a reader brings in experiment 1
LIBRARY_KNOWN = 5  # papers a reader brings in experiment 1b (as the acceptance's libraries)
LIBRARY_PAIRS = 20  # two-topic libraries drawn per set
DAYS, SHOWN = 8, 5


def recall_at(ranked: Sequence[str], grades: dict[str, int], k: int = 50) -> float:
    relevant = [p for p, g in grades.items() if g > 0]
    return sum(1 for p in ranked[:k] if grades.get(p, 0) > 0) / len(relevant)


async def ranker_for(s: EvalSet, lexical_only: bool) -> DayRanker:
    if lexical_only:
        return make_ranker(s.papers)
    embedder = load_local_embedder()
    assert embedder is not None, "the shipped model did not load"
    CACHE.parent.mkdir(exist_ok=True)
    texts = [_interest(q.text).text for q in s.queries]
    return await build_ranker(s.papers, embedder=embedder, db=open_db(CACHE), interests=texts)


def centroid_ranker(ranker: DayRanker) -> Callable[[np.ndarray], list[str]]:
    """Rank the day by cosine to a vector (MiniLM space)."""
    matrix = ranker.paper_vectors
    assert matrix is not None

    def rank(vector: np.ndarray) -> list[str]:
        sims = matrix @ vector
        return [ranker.papers[i].id for i in np.argsort(-sims, kind="stable")]

    return rank


def vectors_of(ranker: DayRanker, ids: Sequence[str]) -> np.ndarray:
    index = {p.id: i for i, p in enumerate(ranker.papers)}
    assert ranker.paper_vectors is not None
    return ranker.paper_vectors[[index[i] for i in ids]]


def paperboy(ranker: DayRanker, profile: Profile, exclude: set[str]) -> list[str]:
    ranked = ranker.rank(Profile(profile.interests, profile.liked, profile.disliked, -1e9))
    return [m.paper.id for m in ranked if m.paper.id not in exclude]


def cold_start(s: EvalSet, ranker: DayRanker, rng: random.Random) -> dict[str, list[float]]:
    by_id = {p.id: p for p in s.papers}
    tfidf = tfidf_cosine(s.papers)
    centroid = centroid_ranker(ranker) if ranker.paper_vectors is not None else None
    out: dict[str, list[float]] = defaultdict(list)
    for q in s.queries:
        relevant = sorted(p for p, g in q.grades.items() if g > 0)
        if len(relevant) < KNOWN + 1:
            continue
        known = rng.sample(relevant, KNOWN)
        rest = {p: g for p, g in q.grades.items() if p not in known}
        liked = tuple(by_id[p] for p in known)
        runs = from_library(ranker, tfidf, centroid, liked, "reader model (library only)")
        runs["interest alone"] = paperboy(ranker, Profile((_interest(q.text),)), set(known))
        runs["interest + library"] = paperboy(
            ranker, Profile((_interest(q.text),), liked), set(known)
        )
        score(out, runs, rest)
    return out


def from_library(
    ranker: DayRanker,
    tfidf: Callable[[str], list[str]],
    centroid: Callable[[np.ndarray], list[str]] | None,
    liked: tuple[Paper, ...],
    model: str,
) -> dict[str, list[str]]:
    """The day ranked from the `liked` papers alone (themselves left out): Paperboy's reader
    model (named `model`), a TF-IDF centroid and, with vectors, a MiniLM centroid."""
    known = {p.id for p in liked}
    runs = {
        model: paperboy(ranker, Profile((), liked), known),
        "TF-IDF centroid": [p for p in tfidf(_text_of(liked)) if p not in known],
    }
    if centroid is not None:
        mean = vectors_of(ranker, [p.id for p in liked]).mean(axis=0)
        runs["MiniLM centroid"] = [p for p in centroid(mean) if p not in known]
    return runs


def score(out: dict[str, list[float]], runs: dict[str, list[str]], rest: dict[str, int]) -> None:
    for name, ranked in runs.items():
        out[f"{name} nDCG@10"].append(ndcg(ranked, rest))
        out[f"{name} recall@50"].append(recall_at(ranked, rest))


def libraries(s: EvalSet, ranker: DayRanker, rng: random.Random) -> dict[str, list[float]]:
    """A researcher's library spans more than one topic: the relevant papers of two of the
    set's interests together are one reader's library; they bring LIBRARY_KNOWN of it and
    the rest of the day is ranked for them (no interest typed)."""
    by_id = {p.id: p for p in s.papers}
    tfidf = tfidf_cosine(s.papers)
    centroid = centroid_ranker(ranker) if ranker.paper_vectors is not None else None
    topics = [q for q in s.queries if sum(1 for g in q.grades.values() if g > 0) >= 3]
    pairs = [(a, b) for i, a in enumerate(topics) for b in topics[i + 1 :]]
    out: dict[str, list[float]] = defaultdict(list)
    for a, b in rng.sample(pairs, min(LIBRARY_PAIRS, len(pairs))):
        grades = {p: max(a.grades.get(p, 0), b.grades.get(p, 0)) for p in {*a.grades, *b.grades}}
        relevant = sorted(p for p, g in grades.items() if g > 0)
        if len(relevant) < LIBRARY_KNOWN + 2:
            continue
        known = rng.sample(relevant, LIBRARY_KNOWN)
        rest = {p: g for p, g in grades.items() if p not in known}
        liked = tuple(by_id[p] for p in known)
        score(out, from_library(ranker, tfidf, centroid, liked, "reader model"), rest)
    return out


def over_days(s: EvalSet, ranker: DayRanker, rng: random.Random) -> dict[str, list[float]]:
    ids = [p.id for p in s.papers]
    rng.shuffle(ids)
    days = [set(ids[d::DAYS]) for d in range(DAYS)]
    by_id = {p.id: p for p in s.papers}
    out: dict[str, list[float]] = defaultdict(list)
    for q in s.queries:
        if sum(1 for g in q.grades.values() if g > 0) < 4:
            continue
        interest = _interest(q.text)
        for name in ("interest alone", "interest + reader model", "MiniLM-centroid learner"):
            if name.startswith("MiniLM") and ranker.paper_vectors is None:
                continue
            liked: list[str] = []
            disliked: list[str] = []
            for d, day in enumerate(days):
                if name == "MiniLM-centroid learner":
                    ranked = _rocchio(ranker, q.text, liked, disliked)
                else:
                    ratings = name != "interest alone"
                    profile = Profile(
                        (interest,),
                        tuple(by_id[p] for p in liked) if ratings else (),
                        tuple(by_id[p] for p in disliked) if ratings else (),
                    )
                    ranked = paperboy(ranker, profile, set())
                shown = [p for p in ranked if p in day][:SHOWN]
                if d >= DAYS // 2:
                    hits = sum(1 for p in shown if q.grades.get(p, 0) > 0)
                    relevant_today = sum(1 for p in day if q.grades.get(p, 0) > 0)
                    if relevant_today:
                        out[f"{name} precision@5, days 5-8"].append(
                            hits / min(SHOWN, relevant_today)
                        )
                liked += [p for p in shown if q.grades.get(p, 0) > 0]
                disliked += [p for p in shown if q.grades.get(p, 0) == 0]
    return out


def _text_of(papers: Sequence[Paper]) -> str:
    return " ".join(f"{p.title} {p.abstract}" for p in papers)


def _rocchio(ranker: DayRanker, text: str, liked: list[str], disliked: list[str]) -> list[str]:
    assert ranker.vectors is not None and ranker.paper_vectors is not None
    query = ranker.vectors.lookup([text])
    assert query is not None
    vector = query[0].copy()
    if liked:
        vector += 0.75 * vectors_of(ranker, liked).mean(axis=0)
    if disliked:
        vector -= 0.25 * vectors_of(ranker, disliked).mean(axis=0)
    return centroid_ranker(ranker)(vector)


def report(title: str, results: dict[str, dict[str, list[float]]], splits: Sequence[str]) -> None:
    print(f"\n{title}")
    for split in splits:
        pooled: dict[str, list[float]] = defaultdict(list)
        for name, metrics in results.items():
            if not name.startswith(split):
                continue
            for metric, values in metrics.items():
                pooled[metric] += values
        if not pooled:
            continue
        n = max(len(v) for v in pooled.values())
        print(f"  {split} ({n} readers):")
        for metric in sorted(pooled):
            values = pooled[metric]
            print(f"    {metric:<45} {np.mean(values):.3f}")


async def run(lexical_only: bool, splits: Sequence[str]) -> None:
    sets = [s for s in load_days() if s.split in splits]
    cold: dict[str, dict[str, list[float]]] = {}
    days: dict[str, dict[str, list[float]]] = {}
    libs: dict[str, dict[str, list[float]]] = {}
    for s in sets:
        ranker = await ranker_for(s, lexical_only)
        for q in s.queries:
            ranker.prepare([q.text])
        cold[f"{s.split} {s.name}"] = cold_start(s, ranker, random.Random(SEED))
        libs[f"{s.split} {s.name}"] = libraries(s, ranker, random.Random(SEED))
        if len(s.papers) >= 90:
            days[f"{s.split} {s.name}"] = over_days(s, ranker, random.Random(SEED))
    report(f"1. Cold start from {KNOWN} known papers (the rest of the day ranked)", cold, splits)
    report(
        f"1b. Two-topic libraries, {LIBRARY_KNOWN} known papers (no interest typed)", libs, splits
    )
    report(f"2. Ratings over {DAYS} days ({SHOWN} shown a day, rated by the truth)", days, splits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lexical-only", action="store_true")
    parser.add_argument("--split", choices=["dev", "test"], help="only this split (tune on dev)")
    args = parser.parse_args()
    asyncio.run(run(args.lexical_only, [args.split] if args.split else ["dev", "test"]))


if __name__ == "__main__":
    main()
