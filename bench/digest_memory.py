"""Digest time and memory as the day grows: 2,500, 10,000 and 20,000 papers.

Run: python -m bench.digest_memory [--sizes 2500,10000,20000]
Each size is measured in a fresh process: the day is stored in a SQLite file first, then
the process loads the day's ranker and writes one user's digest (ranking, summaries
fallback, rendering). Papers are the sample day's abstracts, each with 20 extra words drawn
from a 200,000-word vocabulary, so that the vocabulary grows with the day as on arXiv.
Embeddings are off here (embedding 20,000 abstracts takes minutes and happens once, at
ingest); the vectors would add 20,000 × 384 × 4 bytes = 31 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_day(db_path: Path, n: int) -> None:
    from bot.sources import sample_bytes
    from bot.sources.hf_json import parse_daily_papers
    from storage import open_db
    from storage.papers import Paper, upsert_papers

    rng = random.Random(n)
    sample = parse_daily_papers(sample_bytes()).papers
    papers = []
    for i in range(n):
        base = sample[i % len(sample)]
        extra = " ".join(f"w{rng.randrange(200_000)}" for _ in range(20))
        papers.append(
            Paper(id=f"2511.{i:05d}", title=base.title, abstract=f"{base.abstract} {extra}")
        )
    db = open_db(db_path)
    upsert_papers(db, papers, day="2025-11-26", source="bench")
    db.close()


def measure(db_path: Path) -> None:
    from bot.config import Settings
    from bot.digests.choose import DayContext, digest_for
    from bot.llm import LLMClient
    from bot.ranking import Profile
    from bot.ranking.interests import parse_interest
    from storage import open_db

    db = open_db(db_path)
    profile = Profile(tuple(parse_interest(t) for t in ("mixture of experts", "LLM serving")))
    started = time.perf_counter()

    async def run() -> int:
        loaded = DayContext.load(db, "2025-11-26")
        ctx = await loaded if inspect.isawaitable(loaded) else loaded
        digest = await digest_for(ctx, db, profile, LLMClient(Settings(), db))
        return len(digest.items)

    items = asyncio.run(run())
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f} s, peak RSS {rss:.0f} MB, {items} papers in the digest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2500,10000,20000")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure))
        return
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "day.db"
            make_day(db_path, n)
            out = subprocess.run(
                [sys.executable, "-m", "bench.digest_memory", "--measure", str(db_path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            print(f"{n:>6} papers: {out}")


if __name__ == "__main__":
    main()
