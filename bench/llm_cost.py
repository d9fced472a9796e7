"""LLM cost: one day of 500 papers and 10,000 users with 3 interests each, against the local
fake OpenAI-compatible server. Counts calls and tokens from `llm_calls`: shared summaries
per batch size, the optional re-rank, and the personal notes (one call per distinct reader
input, top 15 candidates each), for readers with their own interests and for readers
drawing theirs from a pool of popular ones.

Run: python -m bench.llm_cost [--papers 500] [--users 10000]
     python -m bench.llm_cost --arxiv-day   (2,500 papers: summaries only for what users
                                             receive vs for every paper; see bench.arxiv_day)
Token counts are the fake server's estimate (characters / 4), the same for every design,
so the ratios are what matters. Summary quality per batch size cannot be measured offline.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time

from bench.rank_speed import make_interests, make_papers
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking import Profile, make_ranker
from bot.ranking.interests import parse_interest
from bot.writing.grounding import Candidate
from bot.writing.personal import MAX_CANDIDATES as PERSONAL_CANDIDATES
from bot.writing.personal import NoteWriter, Reader, note_key
from bot.writing.rerank import MAX_CANDIDATES, rerank
from bot.writing.summaries import summaries_for, summarize_papers
from storage import open_db
from storage.llm_calls import usage_since
from storage.papers import Paper, upsert_papers
from tests.fakes.openai_server import FakeLLM


def usage(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    u = usage_since(db, "2000-01-01")
    return u.calls, u.tokens_in + u.tokens_out


async def summaries_cost(base_url: str, papers: list, batch: int) -> tuple[int, int]:  # type: ignore[type-arg]
    db = open_db(":memory:")
    upsert_papers(db, papers, day="2025-03-03", source="bench")
    llm = LLMClient(Settings(openai_base_url=base_url, llm_daily_tokens=10**12), db)
    await summarize_papers(db, llm, papers, batch_size=batch)
    await llm.aclose()
    return usage(db)


async def rerank_cost(base_url: str, papers: list, profiles: list[Profile]) -> tuple[int, int]:  # type: ignore[type-arg]
    db = open_db(":memory:")
    llm = LLMClient(
        Settings(openai_base_url=base_url, llm_daily_tokens=10**12, llm_concurrency=16), db
    )
    ranker = make_ranker(papers)
    ranker.prepare([i.text for p in profiles for i in p.interests])

    async def one(profile: Profile) -> None:
        await rerank(llm, profile.interests, ranker.rank(profile, top_k=MAX_CANDIDATES))

    for start in range(0, len(profiles), 500):
        await asyncio.gather(*(one(p) for p in profiles[start : start + 500]))
    await llm.aclose()
    return usage(db)


async def personal_cost(
    base_url: str,
    papers: list[Paper],
    profiles: list[Profile],
) -> tuple[int, int, int, int]:
    """One personal note per reader (top 15 candidates each), shared between readers with
    the same inputs: (calls, tokens, distinct keys, readers with a note)."""
    db = open_db(":memory:")
    upsert_papers(db, papers, day="2025-03-03", source="bench")
    llm = LLMClient(
        Settings(openai_base_url=base_url, llm_daily_tokens=10**12, llm_concurrency=16), db
    )
    ranker = make_ranker(papers)
    ranker.prepare([i.text for p in profiles for i in p.interests])
    writer = NoteWriter(db, llm, wait_s=3600)
    keys: set[str] = set()

    async def one(profile: Profile) -> None:
        head = ranker.rank(profile, top_k=PERSONAL_CANDIDATES)
        if not head:
            return
        summaries = summaries_for(db, [m.paper for m in head], model=llm.model)
        candidates = [Candidate(m.paper, summaries[m.paper.id].text, m.reason) for m in head]
        reader = Reader.of(profile, 5, "en")
        keys.add(note_key(reader, candidates, llm.model))
        await writer.note_for(reader, candidates)

    for start in range(0, len(profiles), 500):
        await asyncio.gather(*(one(p) for p in profiles[start : start + 500]))
    await writer.aclose()
    await llm.aclose()
    calls, tokens = usage(db)
    return calls, tokens, len(keys), writer.served


def popular_profiles(pool: list[str], n_users: int, rng: random.Random) -> list[Profile]:
    """Readers picking 1 to 3 interests from a pool, the first ones far more often (Zipf)."""
    weights = [1 / (rank + 1) for rank in range(len(pool))]
    out = []
    for _ in range(n_users):
        chosen: set[str] = set()
        size = rng.choice([1, 2, 3])
        while len(chosen) < size:
            chosen.add(rng.choices(pool, weights)[0])
        out.append(Profile(tuple(parse_interest(t) for t in sorted(chosen))))
    return out


async def main_async(n_papers: int, n_users: int) -> None:
    papers = make_papers(n_papers)
    texts = make_interests(papers, n_users * 3, random.Random(7))
    profiles = [
        Profile(tuple(parse_interest(t) for t in texts[i * 3 : i * 3 + 3])) for i in range(n_users)
    ]
    with FakeLLM() as fake:
        print(
            f"{n_papers} papers, {n_users} users x 3 interests; fake OpenAI server at "
            f"{fake.base_url}"
        )
        print("summaries (once per paper, shared by all users):")
        per_batch = {}
        for batch in (1, 4, 8, 16):
            calls, tokens = await summaries_cost(fake.base_url, papers, batch)
            per_batch[batch] = (calls, tokens)
            print(
                f"  batch {batch:>2}: {calls:>4} calls (bound {math.ceil(n_papers / batch)}), "
                f"{tokens:>8,} tokens, {tokens / n_papers:6.0f} tokens/paper"
            )
        started = time.perf_counter()
        r_calls, r_tokens = await rerank_cost(fake.base_url, papers, profiles)
        print(
            f"re-rank (optional, off by default): {r_calls} calls, {r_tokens:,} tokens "
            f"({time.perf_counter() - started:.0f} s against the fake server)"
        )
        personal: dict[str, tuple[int, int]] = {}
        popular = popular_profiles(
            make_interests(papers, 100, random.Random(11)), n_users, random.Random(13)
        )
        for name, readers in (
            ("every reader's own 3 interests", profiles),
            ("1-3 of 100 popular interests", popular),
        ):
            started = time.perf_counter()
            p_calls, p_tokens, keys, served = await personal_cost(fake.base_url, papers, readers)
            personal[name] = (p_calls, p_tokens)
            print(
                f"personal notes ({name}): {p_calls:,} calls, {keys:,} distinct inputs, "
                f"{served:,} readers given a note, {p_tokens:,} tokens "
                f"({time.perf_counter() - started:.0f} s against the fake server)"
            )
    s_calls, s_tokens = per_batch[8]
    naive_calls = n_users * n_papers
    naive_tokens = naive_calls * (per_batch[1][1] / n_papers)
    print("per day, default batch 8:")
    print(
        f"  re-rank off: {s_calls} calls, {s_tokens:,} tokens "
        f"(bound papers/batch = {math.ceil(n_papers / 8)})"
    )
    print(
        f"  re-rank on:  {s_calls + r_calls} calls, {s_tokens + r_tokens:,} tokens "
        f"(bound papers/batch + users = {math.ceil(n_papers / 8) + n_users})"
    )
    for name, (p_calls, p_tokens) in personal.items():
        bound = math.ceil(n_papers / 8) + n_users
        print(
            f"  personal digests, {name}: {s_calls + p_calls:,} calls "
            f"(papers/batch + distinct personal calls; bound papers/batch + users = "
            f"{bound:,}: {'within' if s_calls + p_calls <= bound else 'OVER'}), "
            f"{s_tokens + p_tokens:,} tokens"
        )
    print(
        f"naive design (one call per user x paper): {naive_calls:,} calls, "
        f"~{naive_tokens:,.0f} tokens"
    )
    print(
        f"  ratio, re-rank off: {naive_calls / s_calls:,.0f}x fewer calls, "
        f"{naive_tokens / s_tokens:,.0f}x fewer tokens"
    )
    print(
        f"  ratio, re-rank on:  {naive_calls / (s_calls + r_calls):,.0f}x fewer calls, "
        f"{naive_tokens / (s_tokens + r_tokens):,.0f}x fewer tokens"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--arxiv-day",
        action="store_true",
        help="the 2,500-paper arXiv day of bench.arxiv_day (ingest, rank, then LLM cost)",
    )
    args = parser.parse_args()
    if args.arxiv_day:
        from bench import arxiv_day

        arxiv_day.main([])
        return
    asyncio.run(main_async(args.papers, args.users))


if __name__ == "__main__":
    main()
