"""An arXiv day at scale: 2,500 papers announced across categories, 10,000 users with 3
interests each. Ingest (the RSS feed over real HTTP from a local server, parsed and stored
in a SQLite file), embeddings (the shipped model), ranking (top 5 with reasons per user), and
the LLM cost of summaries written only for papers someone receives.

Run: python -m bench.arxiv_day [--papers 2500] [--users 10000] [--lexical-only]

Papers: the first N SciFact abstracts (real, distinct scientific abstracts; the recorded
arXiv feeds carry only 3 items each), dressed as one announcement in the format of the
recorded feed tests/data/arxiv/rss_multi_new_cross_replace_2026-09-24.xml: primary categories
spread over 12 categories, one paper in five with a second category (half of those as
`cross` items). Users: 70 % three topics, 20 % two topics and a category, 10 % categories
only; topics are 1-3 word spans cut from the titles and abstracts of 2,500 other SciFact
papers (a user's field, not the day's papers; nearly all distinct, so no cache helps).
Interest vectors are computed when users add interests, so they are embedded before the
clock starts (that one-off cost is printed too). LLM tokens are the fake
server's estimate (characters / 4). Prints wall time per phase and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from bench.data import SHARED, need
from bench.rank_speed import make_interests
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking import Profile, build_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.interests import Interest, InterestError, parse_interest
from bot.ranking.semantic import VectorStore
from bot.sources import load_day
from bot.sources.arxiv import ArxivOptions
from bot.sources.ingest import store_day
from bot.writing.summaries import summarize_papers
from storage import open_db
from storage.llm_calls import usage_since
from storage.papers import Paper, papers_for_day, upsert_papers
from tests.fakes.http_server import FakeServer, Reply
from tests.fakes.openai_server import FakeLLM

CORPUS = SHARED / "scifact" / "corpus.jsonl"
CATEGORIES = [
    ("cs.LG", 20), ("cs.CV", 15), ("cs.CL", 12), ("cs.AI", 10), ("stat.ML", 6), ("cs.RO", 6),
    ("cs.CR", 6), ("q-bio.NC", 5), ("cs.DC", 5), ("eess.SP", 5), ("math.OC", 5), ("cs.IR", 5),
]  # fmt: skip
DAY = "Thu, 24 Sep 2026 00:00:00 -0400"
CHUNK = 1000


def feed(n: int, rng: random.Random) -> bytes:
    """An RSS announcement of `n` real abstracts in arXiv's format."""
    docs = [
        json.loads(line) for line in need(CORPUS, "SciFact's corpus").read_text().splitlines()[:n]
    ]
    names, weights = zip(*CATEGORIES, strict=True)
    items = []
    for i, doc in enumerate(docs):
        cats = [rng.choices(names, weights)[0]]
        if rng.random() < 0.2:
            cats.append(rng.choice([c for c in names if c != cats[0]]))
        kind = "cross" if len(cats) > 1 and rng.random() < 0.5 else "new"
        pid = f"2609.{i:05d}"
        items.append(
            f"<item><title>{escape(doc['title'])}</title>"
            f"<link>https://arxiv.org/abs/{pid}</link>"
            f"<description>arXiv:{pid}v1 Announce Type: {kind} \nAbstract: "
            f"{escape(doc['text'])}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{pid}v1</guid>'
            + "".join(f"<category>{c}</category>" for c in cats)
            + f"<pubDate>{DAY}</pubDate><arxiv:announce_type>{kind}</arxiv:announce_type>"
            f"<dc:creator>Author {i % 700}, Author {(i * 7) % 900}</dc:creator></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>arXiv updates</title><pubDate>{DAY}</pubDate>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def usable_topics(texts: list[str]) -> Iterator[Interest]:
    """The spans the bot would accept as interests (it refuses ones of stop words only)."""
    for text in texts:
        try:
            yield parse_interest(text)
        except InterestError:
            continue


def field_papers(skip: int, n: int) -> list[Paper]:
    """Abstracts of the users' fields: SciFact papers that are not in the day."""
    docs = [
        json.loads(line)
        for line in need(CORPUS, "SciFact's corpus").read_text().splitlines()[skip : skip + n]
    ]
    return [Paper(id=d["_id"], title=d["title"], abstract=d["text"]) for d in docs]


def profiles_for(field: list[Paper], users: int, rng: random.Random) -> list[Profile]:
    topics = iter(usable_topics(make_interests(field, users * 4, rng)))
    names = [c for c, _ in CATEGORIES]
    out = []
    for _ in range(users):
        roll = rng.random()
        n_topics = 3 if roll < 0.7 else 2 if roll < 0.9 else 0
        interests = [next(topics) for _ in range(n_topics)]
        interests += [Interest("category", c) for c in rng.sample(names, 3 - n_topics)]
        out.append(Profile(tuple(interests)))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(args: argparse.Namespace, workdir: Path) -> None:
    rng = random.Random(11)
    body = feed(args.papers, rng)
    db = open_db(workdir / "paperboy.db")
    with FakeServer(lambda _: Reply(200, body, {"content-type": "application/rss+xml"})) as srv:
        options = ArxivOptions(rss_url=f"{srv.url}/rss", api_url=f"{srv.url}/api", min_interval_s=0)
        spec = "arxiv:" + "+".join(c for c, _ in CATEGORIES)
        started = time.perf_counter()
        loaded = await load_day(spec, None, papers_url="", arxiv=options)
        report = store_day(db, loaded)
        ingested = time.perf_counter()
    papers = papers_for_day(db, loaded.day)
    print(f"{report.summary()}  [{len(body) / 1e6:.1f} MB feed]")
    profiles = profiles_for(field_papers(args.papers, 2500), args.users, rng)
    texts = sorted({i.text for p in profiles for i in p.interests if i.kind == "topic"})
    embedder = None if args.lexical_only else load_local_embedder()
    once = 0.0
    if embedder is not None:
        before = time.perf_counter()
        await VectorStore(embedder, db).ensure(texts)
        once = time.perf_counter() - before
    rss_before = rss_mb()

    t0 = time.perf_counter()
    ranker = await build_ranker(papers, embedder=embedder, db=db, interests=texts)
    embedded = time.perf_counter()
    received: dict[str, Paper] = {}
    first_seen: dict[str, int] = {}  # paper -> the first user (in order) who receives it
    delivered = 0
    for first in range(0, len(profiles), CHUNK):
        chunk = profiles[first : first + CHUNK]
        ranker.prepare([i.text for p in chunk for i in p.interests if i.kind == "topic"])
        for offset, profile in enumerate(chunk):
            matches = ranker.rank(profile, top_k=5)
            delivered += len(matches)
            received.update((m.paper.id, m.paper) for m in matches)
            for m in matches:
                first_seen.setdefault(m.paper.id, first + offset)
    ranked = time.perf_counter()
    peak = rss_mb()

    mode = "lexical + MiniLM (default)" if ranker.uses_embeddings else "lexical only"
    print(
        f"{len(papers)} papers x {args.users} users x 3 interests "
        f"({len(texts)} distinct topics), {mode}"
    )
    if embedder is not None:
        print(f"  embed users' interests (once, when added): {once:6.2f} s  (not per day)")
    print(f"  ingest: fetch feed + parse + store:        {ingested - started:6.2f} s")
    print(f"  embed the day's papers + index them:       {embedded - t0:6.2f} s")
    print(f"  rank + explain top 5 for every user:       {ranked - embedded:6.2f} s")
    total = (ingested - started) + (ranked - t0)
    print(f"  total per day (ingest + embed + rank):     {total:6.2f} s")
    print(
        f"  peak memory (max RSS):                     {peak:6.0f} MB "
        f"({rss_before:.0f} MB before the day's embedding and ranking)"
    )
    print(
        f"  matches: {delivered} ({delivered / args.users:.1f} per user), "
        f"{len(received)} distinct papers received"
    )
    # Smaller deployments: the first 100 / 1,000 users of the same population.
    sets = [
        (f"received by {n:,} users", [received[p] for p, u in first_seen.items() if u < n])
        for n in (100, 1000)
        if n < args.users
    ]
    sets.append((f"received by all {args.users:,} users", list(received.values())))
    await llm_cost([*sets, ("every paper (summarise at ingest)", papers)])


async def llm_cost(sets: list[tuple[str, list[Paper]]]) -> None:
    """LLM calls and tokens of summaries (batches of 8) for each set of papers."""
    with FakeLLM() as fake:
        for label, papers in sets:
            db = open_db(":memory:")
            upsert_papers(db, papers, day="2026-09-24", source="arxiv")
            llm = LLMClient(Settings(openai_base_url=fake.base_url, llm_daily_tokens=10**12), db)
            await summarize_papers(db, llm, papers, batch_size=8)
            await llm.aclose()
            used = usage_since(db, "2000-01-01")
            print(
                f"  LLM summaries, {label:<34} {len(papers):5d} papers: {used.calls:4d} calls, "
                f"{used.tokens_in + used.tokens_out:>9,} tokens"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2500)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--lexical-only", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
