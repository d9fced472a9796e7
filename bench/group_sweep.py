"""Lab mode at scale: the daily sweep over N groups of 20 members who voted on an earlier
digest's papers. Each vote is cast through storage/groups.py as a member's 👍/👎 press is
(some changed, some withdrawn), so each group's feedback, and the model learned from it,
are what its members made them. The sweep then does what `paperboy run` does at the
groups' time: rank each group with its learned votes, write its digest to the outbox,
send it to the fake Bot API (without limits, so the time is Paperboy's own).

Each size runs in a fresh process, so its peak memory is its own.
Run: python -m bench.group_sweep [--groups 100 300 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.sweep import Deliverer, SweepReport
from bot.llm import LLMClient
from bot.ranking import build_ranker
from bot.ranking.embedders import make_embedder
from bot.sources import load_day
from bot.sources.hf_json import parse_daily_papers
from bot.sources.ingest import store_day
from bot.telegram.app import make_bot
from storage import open_db
from storage.groups import cast_vote, ensure_group, place_digests
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.users import update_user
from tests.fakes.telegram_api import TOKEN, FakeTelegram

DAYS = Path(__file__).resolve().parent.parent / "tests" / "data" / "hf_api"
MEMBERS = 20
VOTED = 6  # papers of the group's earlier digest its members voted on
TOPICS = [
    "mixture of experts",
    "LLMs for HPC code",
    "distributed training",
    "code generation",
    "GUI agents",
    "parameter-efficient fine-tuning",
    "KV cache",
    "data curation",
    "LLM agents",
    "video generation",
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _history(db: sqlite_utils.Database) -> list[Paper]:
    """The recorded Daily Papers days, stored as earlier days: what was voted on."""
    earlier: list[Paper] = []
    for n, path in enumerate(sorted(DAYS.glob("2026-0[67]-*.json"))):
        papers = parse_daily_papers(path.read_bytes()).papers
        upsert_papers(db, papers, day=f"2025-02-{10 + n:02d}", source="hf")
        earlier += papers
    return earlier


def _votes(db: sqlite_utils.Database, chat_id: int, voted: list[str], rng: random.Random) -> int:
    """Members' presses on the papers of an earlier digest: a paper the group likes gets
    mostly 👍, one it does not mostly 👎; some members change their vote, some withdraw it."""
    cast = 0
    for member in range(1, MEMBERS + 1):
        for n, paper_id in enumerate(voted):
            if rng.random() < 0.5:
                continue  # this member did not vote on this paper
            liked = rng.random() < (0.8 if n < VOTED // 2 else 0.25)
            value = 1 if liked else -1
            cast_vote(db, chat_id, paper_id, member, value)
            cast += 1
            second = rng.random()
            if second < 0.1:  # changed their mind
                cast_vote(db, chat_id, paper_id, member, -value)
                cast += 1
            elif second < 0.15:  # pressed the same button again: withdrawn
                cast_vote(db, chat_id, paper_id, member, value)
                cast += 1
    return cast


def _groups(db: sqlite_utils.Database, groups: int, history: list[str]) -> int:
    """`groups` groups, every third a forum with a chosen topic, two topics each, due now;
    returns the votes cast."""
    rng = random.Random(32)
    votes = 0
    for g in range(groups):
        chat_id = -1_000_000_000 - g
        ensure_group(db, chat_id, f"Lab {g}", "supergroup", forum=g % 3 == 0)
        if g % 3 == 0:
            place_digests(db, chat_id, 100 + g)
        update_user(db, chat_id, digest_time="00:00")
        for topic in (TOPICS[g % len(TOPICS)], TOPICS[(g * 7 + 3) % len(TOPICS)]):
            add_interest(db, chat_id, "topic", topic)
        votes += _votes(db, chat_id, rng.sample(history, VOTED), rng)
    return votes


async def one(groups: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        history = _history(db)
        store_day(db, await load_day("sample", None, papers_url=""))  # today: the latest day
        started = time.perf_counter()
        votes = _groups(db, groups, [p.id for p in history])
        voting = time.perf_counter() - started
        with FakeTelegram() as tg:
            settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
            llm = LLMClient(settings, db)
            embedder = make_embedder(settings.embeddings, llm, settings.embeddings_model)
            # The voted papers were embedded on their own day, when they were ranked.
            await build_ranker(history, embedder=embedder, db=db)
            desk = DigestDesk(db, settings, llm, embedder)
            async with make_bot(settings) as bot:
                unlimited = Throttle(1e6, per_chat_interval_s=0.0, per_group_interval_s=0.0)
                deliverer = Deliverer(desk, TelegramTransport(bot, unlimited, desk.db))
                started = time.perf_counter()
                await desk.today()  # the day's index, built once and shared by every group
                indexed, cpu_indexed = time.perf_counter(), time.process_time()
                before = _peak_mb()
                now, report = datetime.now(UTC), SweepReport()
                await deliverer.prepare_due(now, report)
                prepared, cpu_prepared = time.perf_counter(), time.process_time()
                after_prepare = _peak_mb()
                await deliverer.send_pending(now, report)
                sent, cpu_sent = time.perf_counter(), time.process_time()
            messages = len(tg.calls("sendMessage"))
            in_topics = sum(1 for m in tg.calls("sendMessage") if "message_thread_id" in m.params)
            await llm.aclose()
        models = db.execute("SELECT count(*) FROM reader_models").fetchone()[0]
        learned = db.execute("SELECT count(DISTINCT chat_id) FROM feedback").fetchone()[0]
        db.close()
    assert report.sent == groups, report.summary()
    return {
        "groups": groups,
        "votes": votes,
        "voting_s": voting,
        "index_s": indexed - started,
        "rank_write_s": prepared - indexed,
        "send_s": sent - prepared,
        "rank_write_cpu_s": cpu_prepared - cpu_indexed,
        "send_cpu_s": cpu_sent - cpu_prepared,
        "messages": messages,
        "in_topics": in_topics,
        "learned": learned,
        "models": models,
        "peak_before_mb": before,
        "peak_prepared_mb": after_prepare,
        "peak_mb": _peak_mb(),
    }


def _table(rows: list[dict[str, float]]) -> None:
    print(
        "| groups | votes cast | rank + write, per group | send, per group | peak RSS "
        "| peak growth per group: rank + write / send |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = r["groups"]
        ranked = max(0.0, r["peak_prepared_mb"] - r["peak_before_mb"]) * 1024 / n
        sent = max(0.0, r["peak_mb"] - r["peak_prepared_mb"]) * 1024 / n
        print(
            f"| {n:,.0f} | {r['votes']:,.0f} "
            f"| {r['rank_write_s'] / n * 1000:.1f} ms ({r['rank_write_cpu_s'] / n * 1000:.1f} CPU) "
            f"| {r['send_s'] / n * 1000:.1f} ms ({r['send_cpu_s'] / n * 1000:.1f} CPU) "
            f"| {r['peak_mb']:.0f} MB | {ranked:.0f} KB / {sent:.0f} KB |"
        )
    for r in rows:
        print(
            f"{r['groups']:,.0f} groups: {r['messages']:.0f} messages ({r['in_topics']:.0f} in "
            f"forum topics), {r['learned']:.0f} groups with learned votes, {r['models']:.0f} "
            f"models stored; day indexed once in {r['index_s']:.1f} s; votes cast in "
            f"{r['voting_s']:.1f} s (setup, not timed above)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: one size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(asyncio.run(one(args.one))))
        return
    rows = []
    for n in args.groups:
        child = [sys.executable, "-m", "bench.group_sweep", "--one", str(n)]
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    _table(rows)


if __name__ == "__main__":
    main()
