"""How long a reader's model takes to refit after a rating, through the production path:
`load_profile` finds the stored model stale (its key no longer matches the ratings), reads
the papers' stored vectors and the latest day's centre, fits (bot/ranking/reader_model.py)
and stores the new model. One reader, a stored day (the bundled sample day, 99 papers),
an imported library of --library papers, then --ratings ratings one at a time (70 % 👍);
after each, load_profile is timed (refit) and timed again (the stored model is fresh: the
cost of every other load). Vectors are stored first, as they are when papers arrive.

Run: python -m bench.refit_speed [--ratings 50] [--library 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.ranking.embedders import load_local_embedder
from bot.ranking.profiles import load_profile
from bot.ranking.reader_model import fit
from bot.ranking.semantic import VectorStore, paper_text
from bot.sources import load_day
from bot.sources.ingest import store_day
from storage import open_db
from storage.feedback import record_feedback
from storage.library import LibraryPaper, add_to_library
from storage.users import ensure_user

CHAT = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ratings", type=int, default=50)
    parser.add_argument("--library", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "refit.db")
        day = asyncio.run(load_day("sample", None, papers_url=""))
        store_day(db, day)
        papers = day.parsed.papers
        ensure_user(db, CHAT)
        rng = random.Random(7)
        library = [
            LibraryPaper(f"lib-{i}", f"{p.title} ({i})", p.abstract)
            for i, p in enumerate(rng.choices(papers, k=args.library))
        ]
        add_to_library(db, CHAT, library)
        embedder = load_local_embedder()
        assert embedder is not None, "the shipped model did not load"
        store = VectorStore(embedder, db)
        texts = [paper_text(p) for p in papers] + [paper_text(p.as_paper()) for p in library]
        asyncio.run(store.ensure(texts))
        refits, fresh, pure = [], [], []
        for n, paper in enumerate(rng.sample(papers, min(args.ratings, len(papers)))):
            record_feedback(db, CHAT, paper.id, 1 if rng.random() < 0.7 else -1)
            before = time.perf_counter()
            profile = load_profile(db, CHAT)
            refits.append(time.perf_counter() - before)
            assert profile.model is not None, "the model was not refitted"
            before = time.perf_counter()
            load_profile(db, CHAT)
            fresh.append(time.perf_counter() - before)
            vectors = store.papers(profile.positives), store.papers(profile.disliked)
            if n and vectors[0] is not None and vectors[1] is not None:
                before = time.perf_counter()
                fit(profile.positives, profile.disliked, rated=len(profile.liked),
                    vectors=(vectors[0], vectors[1]), centre=None)  # fmt: skip
                pure.append(time.perf_counter() - before)
    print(f"one reader, {args.library} imported papers, {len(refits)} ratings one at a time:")
    for label, times in (
        ("load_profile after a rating (refit + store)", refits),
        ("load_profile, model fresh (no refit)", fresh),
        ("the fit alone (reader_model.fit)", pure),
    ):
        ms = sorted(1000 * t for t in times)
        print(
            f"  {label:<45} median {statistics.median(ms):6.1f} ms, "
            f"p95 {ms[int(0.95 * len(ms))]:6.1f} ms, max {ms[-1]:6.1f} ms"
        )


if __name__ == "__main__":
    main()
