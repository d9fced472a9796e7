"""Ranking speed: 500 papers for 10,000 users with 3 interests each, top 5 with reasons.

Run: python -m bench.rank_speed [--users 10000] [--papers 500] [--ratings 0] [--lexical-only]
With --ratings N every user has N rated papers (70 % 👍, 30 % 👎) drawn from 2,000 papers of
earlier days, so each user's own model (bot/ranking/reader_model.py, preference.py) takes
part: it is fitted once per reader before ranking, as it is stored when a reader rates
(load_profile refits it after each rating), and the fit is timed apart.
The default configuration: the shipped model, with paper and interest vectors already stored
(they are computed once, when papers arrive and when users add interests; the one-off cost
is printed too). Interests are 1-3 word spans cut from random paper titles and abstracts (so
nearly all are distinct: no cache helps), as a researcher would type them. Prints wall time
per phase and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.ranking import DayRanker, Profile, build_ranker, make_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.interests import parse_interest
from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers
from bot.text import STOP_WORDS
from storage import open_db
from storage.papers import Paper


def make_papers(n: int) -> list[Paper]:
    sample = parse_daily_papers(sample_bytes()).papers
    out = []
    for i in range(n):
        base = sample[i % len(sample)]
        out.append(
            Paper(
                id=f"2503.{i:05d}",
                title=base.title,
                abstract=base.abstract,
                authors=(f"Author {i % 300}",),
                upvotes=i % 50,
            )
        )
    return out


def make_interests(papers: list[Paper], n: int, rng: random.Random) -> list[str]:
    texts: list[str] = []
    while len(texts) < n:
        source = rng.choice(papers)
        words = [w.strip(".,:;()") for w in rng.choice([source.title, source.abstract]).split()]
        words = [w for w in words if any(c.isalpha() for c in w) and w.lower() not in STOP_WORDS]
        if len(words) < 3:
            continue
        start = rng.randrange(len(words) - 2)
        texts.append(" ".join(words[start : start + rng.choice([1, 2, 3])]))
    return texts


CHUNK = 1000  # users whose interests are scored together
RATED_POOL = 2000  # papers of earlier days that users' ratings are drawn from


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--ratings", type=int, default=0, help="rated papers per user")
    parser.add_argument("--lexical-only", action="store_true", help="no embeddings")
    args = parser.parse_args()
    rng = random.Random(7)
    papers = make_papers(args.papers)
    earlier = [replace(p, id=f"2502.{i:05d}") for i, p in enumerate(make_papers(RATED_POOL))]
    texts = make_interests(papers, args.users * 3, rng)
    profiles = []
    for i in range(args.users):
        rated = rng.sample(earlier, args.ratings) if args.ratings else []
        cut = round(0.7 * len(rated))
        interests = tuple(parse_interest(t) for t in texts[i * 3 : i * 3 + 3])
        profiles.append(Profile(interests, tuple(rated[:cut]), tuple(rated[cut:])))
    once = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        if not args.lexical_only:
            # Done once, when papers arrive and users add interests; in another process so
            # that its memory does not count as ranking's.
            once_start = time.perf_counter()
            child = multiprocessing.get_context("spawn").Process(
                target=_embed_all, args=(db_path, papers + (earlier if args.ratings else []), texts)
            )
            child.start()
            child.join()
            once = time.perf_counter() - once_start
        _rank(args, papers, texts, profiles, db_path, once)


def _embed_all(db_path: Path, papers: list[Paper], texts: list[str]) -> None:
    embedder = load_local_embedder()
    asyncio.run(build_ranker(papers, embedder=embedder, db=open_db(db_path), interests=texts))


def _rank(
    args: argparse.Namespace,
    papers: list[Paper],
    texts: list[str],
    profiles: list[Profile],
    db_path: Path,
    once: float,
) -> None:
    embedder = None if args.lexical_only else load_local_embedder()
    db = open_db(db_path)
    rss_before = _rss_mb()

    start = time.perf_counter()
    ranker = make_ranker(papers, embedder=embedder, db=db)  # vectors come from the store
    built = time.perf_counter()
    profiles, fits = _fit_models(ranker, profiles)
    start += time.perf_counter() - built  # fitting happens at rating time, not ranking time
    built = time.perf_counter()
    scoring = 0.0
    delivered = 0
    # Users in chunks: each chunk's interests are scored in one batch (the ranker keeps a
    # bounded number of scored interests, so memory does not grow with the user count).
    for first in range(0, len(profiles), CHUNK):
        chunk = profiles[first : first + CHUNK]
        before = time.perf_counter()
        ranker.prepare([i.text for p in chunk for i in p.interests])
        scoring += time.perf_counter() - before
        delivered += sum(len(ranker.rank(p, top_k=5)) for p in chunk)
    ranked = time.perf_counter()
    prepared = built + scoring

    peak_mb = _rss_mb()
    mode = "lexical + MiniLM (default)" if ranker.uses_embeddings else "lexical only"
    print(
        f"{args.papers} papers x {args.users} users x 3 interests "
        f"({len(set(texts))} distinct interests), {args.ratings} ratings each, {mode}"
    )
    if embedder is not None:
        print(f"  embed papers + interests (once): {once:6.2f} s  (stored, not per day)")
    if fits:
        print(
            f"  fit each reader's model (stored):{sum(fits):6.2f} s  ({len(fits)} readers: "
            f"{1000 * statistics.median(fits):.2f} ms each, p95 "
            f"{1000 * sorted(fits)[int(0.95 * len(fits))]:.2f} ms; at rating time, not per day)"
        )
    print(f"  index the day's papers:          {built - start:6.2f} s")
    print(f"  score every interest:            {prepared - built:6.2f} s")
    print(f"  rank + explain top 5 per user:   {ranked - prepared:6.2f} s")
    print(f"  total ranking time:              {ranked - start:6.2f} s")
    print(f"  matches delivered: {delivered} ({delivered / args.users:.1f} per user)")
    print(
        f"  peak memory (max RSS):           {peak_mb:6.0f} MB "
        f"(of which {rss_before:.0f} MB before ranking started: Python, numpy"
        f"{', ONNX Runtime, the model and embedding' if embedder else ''})"
    )


def _fit_models(ranker: DayRanker, profiles: list[Profile]) -> tuple[list[Profile], list[float]]:
    """Each rating reader's model, as load_profile stores it (fitted by the same code)."""
    fitted, fits = [], []
    for profile in profiles:
        if not profile.positives and not profile.disliked:
            fitted.append(profile)
            continue
        before = time.perf_counter()
        model = ranker.fit_model(profile)
        fits.append(time.perf_counter() - before)
        fitted.append(replace(profile, model=model))
    return fitted, fits


if __name__ == "__main__":
    main()
