"""Full text: time to read (parse + split) one arXiv HTML page and one 15-page PDF, and
passage retrieval latency with 2,000 papers' passages stored.

Run: python -m bench.passages_bench [--papers 2000] [--questions 300]
The library is the passages of the four recorded papers in tests/data/fulltext/ (two HTML
pages, two PDFs) stored again and again under 2,000 paper ids, in a SQLite file; each
question is asked of one random paper, the way an answer asks for a paper's best passages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.fulltext.best_passages import best_passages_for
from bot.fulltext.html_text import parse_arxiv_html
from bot.fulltext.passages import to_passages
from bot.fulltext.pdf_text import parse_pdf
from storage import open_db
from storage.papers import Paper, upsert_papers
from storage.passages import Passage, store_full_text

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "fulltext"
QUESTIONS = [
    "what dataset do they use",
    "how big is their model",
    "what do they compare against",
    "does it need fine-tuning",
    "what hardware and schedule",
    "how many rounds does the game last",
    "what is the learning rate",
    "which baselines are used",
    "what are the limitations",
    "how is the trigger elicited",
]


def timed_read() -> dict[str, list[Passage]]:
    out = {}
    for name, parse in (
        ("html_2501.11120v1.html", parse_arxiv_html),
        ("ar5iv_1706.03762_head_modified.html", parse_arxiv_html),
        ("pdf_1706.03762v7.pdf", parse_pdf),
        ("pdf_2501.10120v1.pdf", parse_pdf),
    ):
        payload = (DATA / name).read_bytes()
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            passages = to_passages(name, parse(payload))
            runs.append(time.perf_counter() - started)
        out[name] = passages
        print(
            f"  read {name:<38} {len(payload) / 1e6:5.2f} MB -> {len(passages):3d} passages "
            f"in {statistics.median(runs) * 1000:6.0f} ms (median of 3)"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    print("Reading + splitting (parse the bytes, cut into passages):")
    read = list(timed_read().values())
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "passages.db")
        ids = [f"2601.{i:05d}" for i in range(args.papers)]
        upsert_papers(db, [Paper(i, f"Paper {i}") for i in ids], day="2026-01-01", source="b")
        started = time.perf_counter()
        total = 0
        for n, pid in enumerate(ids):
            passages = [replace(p, paper_id=pid) for p in read[n % len(read)]]
            store_full_text(db, pid, "html", passages)
            total += len(passages)
        print(
            f"Stored {total:,} passages of {args.papers:,} papers in "
            f"{time.perf_counter() - started:.1f} s"
        )
        rng = random.Random(3)
        latencies = []
        for _ in range(args.questions):
            pid, question = rng.choice(ids), rng.choice(QUESTIONS)
            started = time.perf_counter()
            best_passages_for(db, pid, question, limit=3)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p95 = latencies[int(0.95 * len(latencies)) - 1]
        print(
            f"Best 3 passages of one paper, {args.questions} questions: "
            f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
            f"max {latencies[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
