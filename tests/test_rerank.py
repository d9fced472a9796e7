"""Optional LLM re-ranking: one validated call; any failure keeps the ranker's order."""

from __future__ import annotations

import sqlite_utils

from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking import Match
from bot.ranking.interests import parse_interest
from bot.writing.rerank import MAX_CANDIDATES, rerank
from storage.papers import Paper
from tests.fakes.openai_server import FakeLLM, error

INTERESTS = (parse_interest("speculative decoding"),)


def matches(n: int) -> list[Match]:
    return [
        Match(Paper(id=f"2503.{i:05d}", title=f"Paper {i}"), 1 - i / 100, "r") for i in range(n)
    ]


def ids(ms: list[Match]) -> list[str]:
    return [m.paper.id for m in ms]


def llm(db: sqlite_utils.Database, fake: FakeLLM) -> LLMClient:
    return LLMClient(Settings(openai_base_url=fake.base_url, llm_attempts=1), db)


async def test_model_order_is_applied_to_the_top_candidates(db: sqlite_utils.Database) -> None:
    ranked = matches(25)
    with FakeLLM() as fake:  # the well-behaved fake reverses the order it is given
        result = await rerank(llm(db, fake), INTERESTS, ranked)
    assert ids(result)[:MAX_CANDIDATES] == list(reversed(ids(ranked)[:MAX_CANDIDATES]))
    assert ids(result)[MAX_CANDIDATES:] == ids(ranked)[MAX_CANDIDATES:]
    assert len(fake.payloads) == 1
    assert fake.payloads[0]["messages"][1]["content"].count("<paper ") == MAX_CANDIDATES


async def test_partial_and_unknown_ids_are_tolerated(db: sqlite_utils.Database) -> None:
    ranked = matches(4)
    reply = '{"ranking": ["2503.00002", "nope", "2503.00002", 7]}'
    with FakeLLM(lambda _p: reply) as fake:
        result = await rerank(llm(db, fake), INTERESTS, ranked)
    assert ids(result) == ["2503.00002", "2503.00000", "2503.00001", "2503.00003"]


async def test_failures_keep_the_original_order(db: sqlite_utils.Database) -> None:
    ranked = matches(5)
    for script in (
        lambda _p: "no json here",
        lambda _p: '{"ranking": ["x"]}',
        lambda _p: error(500),
    ):
        with FakeLLM(script) as fake:
            assert ids(await rerank(llm(db, fake), INTERESTS, ranked)) == ids(ranked)
