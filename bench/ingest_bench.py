"""Ingest benchmark: 1,000 papers from a local JSON file into a fresh database.

Run: .venv/bin/python -m bench.ingest_bench [--papers 1000] [--repeat 5]
Papers are the bundled sample day's 99 abstracts, recycled under arXiv-style ids, with
authors and keywords added so every column is exercised.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.sources import load_day, sample_bytes
from bot.sources.ingest import store_day
from storage import open_db


def make_day(n: int) -> list[dict[str, object]]:
    sample = json.loads(sample_bytes())
    items = []
    for i in range(n):
        base = sample[i % len(sample)]["paper"]
        paper = {
            **base,
            "id": f"2503.{i:05d}v1",
            "title": f"{base['title']} ({i})",
            "authors": [{"name": f"Author {i}-{k}"} for k in range(6)],
            "upvotes": i % 97,
            "ai_keywords": ["transformers", "inference", f"topic-{i % 13}"],
            "githubRepo": f"https://github.com/example/repo-{i}",
        }
        items.append({"paper": paper, "title": paper["title"]})
    return items


def run_once(day_file: Path, workdir: Path) -> tuple[float, float, int]:
    db_path = workdir / f"bench-{time.monotonic_ns()}.db"
    start = time.perf_counter()
    db = open_db(db_path)
    loaded = asyncio.run(load_day(f"file:{day_file}", "2025-03-03", papers_url="unused"))
    parsed_at = time.perf_counter()
    report = store_day(db, loaded)
    end = time.perf_counter()
    db.close()
    return end - start, end - parsed_at, report.counts.new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        day_file = workdir / "day.json"
        day_file.write_text(json.dumps(make_day(args.papers)))
        size_kb = day_file.stat().st_size / 1024
        runs = [run_once(day_file, workdir) for _ in range(args.repeat)]
    totals = [r[0] for r in runs]
    stores = [r[1] for r in runs]
    print(
        f"ingest {args.papers} papers ({size_kb:.0f} KiB JSON) into a fresh SQLite file, "
        f"{args.repeat} runs"
    )
    print(
        f"  total (open+migrate+parse+store): median {statistics.median(totals):.3f} s, "
        f"max {max(totals):.3f} s"
    )
    print(f"  store only (one transaction + FTS): median {statistics.median(stores):.3f} s")
    print(f"  papers stored per run: {runs[0][2]}")


if __name__ == "__main__":
    main()
