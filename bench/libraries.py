"""Learning a real reader: CiteULike researchers' libraries, by the protocol of
../shared/data/libraries/README.md, Paperboy through the same calls `paperboy recommend`
makes (a ranker over the papers file, a Profile of liked and disliked papers, rank, rated
papers left out), the classics in the same run.

1. Cold start: KNOWN papers drawn from a library are the reader's likes; every other paper
   of the corpus is ranked; nDCG@10 and recall@50 of the rest of the library.
2. Ratings over days: the corpus dealt into DAYS days; each day the reader is shown the top
   SHOWN of that day's papers and rates them (in the library: 👍, else 👎); the papers file
   of a day is the day's papers plus every paper rated before; precision of what was shown
   on days 5-8, with the ratings and without them (the KNOWN seeds only).
   2b. The reader's own cut-off: the same, but only what clears the cut-off is sent (the
   digest's rule, at most SHOWN): precision of what was sent and how much was, with the
   cut-off fitted from the reader's history, with the default cut-off only, and top SHOWN.

Each reader is run REPS times (other seeds; for days also another deal of the corpus, the
first being the protocol's fixed shuffle) and averaged; intervals are 95 % bootstrap over
readers. The dev readers are split by their line in citeulike_dev_users.dat: even lines
tune (every choice was made on them), odd lines held-out (run once, at the end).

Run: python -m bench.libraries --split tune|held-out [--reps 10] [--only cold|days|cutoff]
     [--no-baselines]
Needs ../shared/data/libraries and the shipped model (vectors cached in bench/.cache).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bench.data import shared
from bench.eval_ranking import CACHE, bootstrap
from bench.learners import Features, Learner, baselines, tfidf_matrix
from bot.ranking import DayRanker, Profile, build_ranker, make_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.semantic import VectorStore
from bot.sources.jsonl import parse_paper_lines
from storage import open_db
from storage.papers import Paper

SEED = 20261207
KNOWN, DAYS, SHOWN = 5, 8, 5
NO_CUTOFF = -1e9  # `paperboy recommend --threshold 0`: the top --limit, no cut-off
PAPERBOY = "Paperboy (reader model)"


@dataclass
class Corpus:
    papers: list[Paper]
    store: VectorStore
    features: Features  # MiniLM and arxiv-sanity's TF-IDF, for the baselines
    whole: DayRanker  # every paper as one "day" (cold start)


@dataclass
class Reader:
    line: int
    library: list[int]


@dataclass
class Tally:
    """Per reader, per method: the values of every repetition (averaged at the end)."""

    values: dict[str, dict[int, list[float]]] = field(default_factory=dict)

    def add(self, name: str, reader: int, value: float) -> None:
        self.values.setdefault(name, {}).setdefault(reader, []).append(value)

    def per_reader(self, name: str) -> np.ndarray:
        return np.array([np.mean(v) for _, v in sorted(self.values[name].items())])


def load_corpus() -> Corpus:
    """The papers as `paperboy recommend` reads a JSON Lines papers file (same parser, same
    cleaning), their vectors from the bench cache."""
    path = shared("libraries/citeulike_papers.csv", "the CiteULike libraries")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = [
        json.dumps(
            {"id": f"cul-{r['doc.id']}", "title": r["raw.title"], "abstract": r["raw.abstract"]}
        )
        for r in rows
    ]
    papers = parse_paper_lines("\n".join(lines).encode()).papers
    embedder = load_local_embedder()
    assert embedder is not None, "the shipped model did not load"
    CACHE.parent.mkdir(exist_ok=True)
    store = VectorStore(embedder, open_db(CACHE))
    whole = asyncio.run(build_ranker(papers, embedder=embedder, db=store.db))
    vectors = store.papers(papers)
    assert vectors is not None
    texts = [f"{p.title} {p.abstract}" for p in papers]
    return Corpus(papers, store, Features(vectors, tfidf_matrix(texts)), whole)


def load_readers(split: str) -> list[Reader]:
    path = shared("libraries/citeulike_dev_users.dat", "the CiteULike libraries")
    readers = []
    for line, text in enumerate(path.read_text().splitlines()):
        if (line % 2 == 0) == (split == "tune"):
            readers.append(Reader(line, [int(x) for x in text.split()[1:]]))
    return readers


def recommend(
    ranker: DayRanker,
    liked: Sequence[Paper],
    disliked: Sequence[Paper],
    limit: int,
    threshold: float | None = NO_CUTOFF,
    no_own_cutoff: bool = False,
) -> list[str]:
    """What `paperboy recommend` returns for this reader (bot/cli/recommend.py's calls);
    `no_own_cutoff` ranks with the reader's fitted model minus their own cut-off."""
    profile = Profile((), tuple(liked), tuple(disliked), threshold)
    if no_own_cutoff:
        profile = replace(profile, model=replace(ranker.fit_model(profile), cutoff=None))
    rated = {p.id for p in (*liked, *disliked)}
    matches = [m for m in ranker.rank(profile, top_k=limit + len(rated)) if m.paper.id not in rated]
    return [m.paper.id for m in matches[:limit]]


def ndcg_at(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, p in enumerate(ranked[:k]) if p in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def cold_start(
    corpus: Corpus, readers: list[Reader], reps: int, learners: dict[str, Learner]
) -> Tally:
    tally = Tally()
    index = {p.id: i for i, p in enumerate(corpus.papers)}
    everything = np.arange(len(corpus.papers))
    for reader in readers:
        rng = random.Random(SEED + reader.line)
        for _ in range(reps):
            seeds = rng.sample(reader.library, KNOWN)
            rest = set(reader.library) - set(seeds)
            liked = [corpus.papers[i] for i in seeds]
            runs = {PAPERBOY: [index[p] for p in recommend(corpus.whole, liked, (), 50)]}
            candidates = np.setdiff1d(everything, seeds)
            for name, learner in learners.items():
                scores = learner(
                    corpus.features, np.array(seeds), np.zeros(0, dtype=int), candidates
                )
                runs[name] = [int(i) for i in candidates[np.argsort(-scores, kind="stable")[:50]]]
            for name, ranked in runs.items():
                tally.add(f"{name}: nDCG@10", reader.line, ndcg_at(ranked, rest))
                tally.add(
                    f"{name}: recall@50", reader.line, sum(p in rest for p in ranked) / len(rest)
                )
    return tally


Shower = Callable[[list[int], list[int], list[int], list[int]], list[int]]


def over_days(
    corpus: Corpus, readers: list[Reader], reps: int, shows: dict[str, Shower], first: int = 0
) -> Tally:
    """Scenario 2 for each way of choosing what to show (`shows`: name -> (today's unrated
    papers, seeds, liked, disliked) -> shown), on repetitions first … first + reps − 1.
    Tallies precision on days 5-8 and papers shown per day, with ratings and without (the
    seeds only)."""
    tally = Tally()
    for rep in range(first, first + reps):
        order = list(range(len(corpus.papers)))
        random.Random(SEED + rep).shuffle(order)
        days = [order[d::DAYS] for d in range(DAYS)]
        for reader in readers:
            seeds = random.Random(SEED + 1000 * rep + reader.line).sample(reader.library, KNOWN)
            library = set(reader.library)
            for name, show in shows.items():
                for ratings in (True, False):
                    liked, disliked = list(seeds), list[int]()
                    hits = shown = 0
                    for d, day in enumerate(days):
                        rated = set(liked) | set(disliked)
                        today = [i for i in day if i not in rated]
                        picked = show(
                            today, seeds, liked if ratings else seeds, disliked if ratings else []
                        )
                        if d >= DAYS // 2:
                            hits += sum(i in library for i in picked)
                            shown += len(picked)
                        liked += [i for i in picked if i in library]
                        disliked += [i for i in picked if i not in library]
                    label = f"{name}, {'with ratings' if ratings else 'no ratings'}"
                    tally.add(f"{label}: hits", reader.line, hits)
                    tally.add(f"{label}: shown", reader.line, shown)
    return tally


def paperboy_show(corpus: Corpus, mode: str) -> Shower:
    """Paperboy's pick for a day: a ranker over the day's papers and every rated paper (the
    protocol's papers file), then `paperboy recommend`'s calls. `mode`: "top" (no cut-off,
    the top SHOWN), "own cut-off" (the digest's rule: what clears the reader's cut-off, at
    most SHOWN), "default cut-off" (the same without the reader's own cut-off)."""

    def show(
        today: list[int], seeds: list[int], liked: list[int], disliked: list[int]
    ) -> list[int]:
        file = [corpus.papers[i] for i in dict.fromkeys([*today, *liked, *disliked])]
        ranker = make_ranker(file, vectors=corpus.store)
        threshold = NO_CUTOFF if mode == "top" else None
        ids = recommend(
            ranker,
            [corpus.papers[i] for i in liked],
            [corpus.papers[i] for i in disliked],
            SHOWN,
            threshold,
            no_own_cutoff=mode == "default cut-off",
        )
        index = {corpus.papers[i].id: i for i in today}
        return [index[pid] for pid in ids if pid in index]

    return show


def learner_show(corpus: Corpus, learner: Learner) -> Shower:
    def show(
        today: list[int], seeds: list[int], liked: list[int], disliked: list[int]
    ) -> list[int]:
        candidates = np.array(list(dict.fromkeys([*today, *liked, *disliked])))
        scores = learner(
            corpus.features, np.array(liked), np.array(disliked, dtype=int), candidates
        )
        scores = scores[: len(today)]  # the rated papers are in the file, never shown again
        return [today[i] for i in np.argsort(-scores, kind="stable")[:SHOWN]]

    return show


def interval(values: np.ndarray) -> str:
    mean, low, high = bootstrap(values)
    return f"{mean:.3f} ({low:.3f}-{high:.3f})"


def report_cold(tally: Tally) -> None:
    print(f"\n1. Cold start from {KNOWN} papers ({len(next(iter(tally.values.values())))} readers)")
    print(f"  {'method':<34} {'nDCG@10 (95% interval)':<24} recall@50")
    names = sorted({k.split(": ")[0] for k in tally.values}, key=lambda n: (n != PAPERBOY, n))
    for name in names:
        nd, rc = tally.per_reader(f"{name}: nDCG@10"), tally.per_reader(f"{name}: recall@50")
        print(f"  {name:<34} {interval(nd):<24} {interval(rc)}")
    ours = tally.per_reader(f"{PAPERBOY}: nDCG@10")
    for name in names:
        if name != PAPERBOY:
            diff = ours - tally.per_reader(f"{name}: nDCG@10")
            print(f"  nDCG@10 margin over {name:<22} {interval(diff)} (paired over readers)")


def report_days(tally: Tally, title: str) -> None:
    print(f"\n{title}")
    print(f"  {'method':<58} {'precision days 5-8':<22} shown/day")
    names = sorted(
        {k.rsplit(", ", 1)[0] for k in tally.values},
        key=lambda n: (not n.startswith("Paperboy"), n),
    )
    for name in names:
        for cond in ("no ratings", "with ratings"):
            hits = tally.per_reader(f"{name}, {cond}: hits")
            shown = tally.per_reader(f"{name}, {cond}: shown")
            precision = np.where(shown > 0, hits / np.maximum(shown, 1), 0.0)
            label = f"{name}, {cond}"
            print(f"  {label:<58} {interval(precision):<22} {shown.mean() / (DAYS // 2):.2f}")
        with_r = _precision(tally, name, "with ratings")
        without = _precision(tally, name, "no ratings")
        lift = with_r.mean() / max(without.mean(), 1e-9) - 1
        print(f"  {'':<58} lift {lift:+.0%}, difference {interval(with_r - without)}")


def _precision(tally: Tally, name: str, cond: str) -> np.ndarray:
    hits = tally.per_reader(f"{name}, {cond}: hits")
    shown = tally.per_reader(f"{name}, {cond}: shown")
    precision: np.ndarray = np.where(shown > 0, hits / np.maximum(shown, 1), 0.0)
    return precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["tune", "held-out"], required=True)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--only", choices=["cold", "days", "cutoff"])
    parser.add_argument("--no-baselines", action="store_true", help="Paperboy alone")
    args = parser.parse_args()
    start = time.perf_counter()
    corpus = load_corpus()
    readers = load_readers(args.split)
    learners = {} if args.no_baselines else baselines()
    lines = [r.line for r in readers]
    print(f"{args.split}: {len(readers)} readers (lines {lines}), {args.reps} repetitions")
    if args.only in (None, "cold"):
        report_cold(cold_start(corpus, readers, args.reps, learners))
    if args.only in (None, "days"):
        shows = {PAPERBOY: paperboy_show(corpus, "top")}
        shows.update({name: learner_show(corpus, learner) for name, learner in learners.items()})
        report_days(
            over_days(corpus, readers, args.reps, shows),
            f"2. Ratings over {DAYS} days, top {SHOWN} shown",
        )
    if args.only in (None, "cutoff"):
        shows = {
            f"{PAPERBOY}, own cut-off": paperboy_show(corpus, "own cut-off"),
            f"{PAPERBOY}, default cut-off": paperboy_show(corpus, "default cut-off"),
        }
        report_days(
            over_days(corpus, readers, args.reps, shows), "2b. What is sent: the reader's cut-off"
        )
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
