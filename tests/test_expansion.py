"""LLM expansion of interests (the fake OpenAI server plays the model): "LoRA" finds a paper
that only says "low-rank adaptation"; once per text and model; never in a digest's way."""

from __future__ import annotations

import json

import sqlite_utils

from bot.config import Settings
from bot.digests.choose import DayContext
from bot.digests.desk import DigestDesk
from bot.llm import LLMClient
from bot.ranking import Profile
from bot.ranking.expansion import validate_expansions
from bot.ranking.interests import parse_interest
from storage.papers import Paper, upsert_papers
from tests.fakes.openai_server import FakeLLM, error

DAY = "2025-03-03"
PAPERS = [
    Paper(
        id="lowrank",
        title="Low-rank adaptation of large language models",
        abstract="We freeze the weights and train small low-rank matrices instead.",
    ),
    Paper(id="video", title="Video diffusion models", abstract="Text to video generation."),
]
LORA = Profile((parse_interest("LoRA"),))


def llm_for(db: sqlite_utils.Database, fake: FakeLLM) -> LLMClient:
    settings = Settings(openai_base_url=fake.base_url, openai_api_key="k", llm_attempts=2)
    return LLMClient(settings, db, backoff_s=0.01)


def expansion_calls(fake: FakeLLM) -> int:
    return sum('"expansions"' in p["messages"][0]["content"] for p in fake.payloads)


async def test_an_expanded_acronym_finds_the_paper_that_spells_it_out(
    db: sqlite_utils.Database,
) -> None:
    upsert_papers(db, PAPERS, day=DAY, source="hf")
    with FakeLLM() as fake:
        llm = llm_for(db, fake)
        plain = await DayContext.load(db, DAY, None, ["LoRA"])
        assert plain.ranker.rank(LORA) == []
        expanded = await DayContext.load(db, DAY, None, ["LoRA"], expand_with=llm)
        matches = expanded.ranker.rank(LORA)
        again = await DayContext.load(db, DAY, None, ["LoRA"], expand_with=llm)
        await llm.aclose()
    assert [m.paper.id for m in matches] == ["lowrank"]
    assert "‘LoRA’" in matches[0].reason and "Low-rank adaptation" in matches[0].reason
    assert again.ranker.expansions == expanded.ranker.expansions
    assert expansion_calls(fake) == 1  # stored: the second day context asks nothing
    row = db.execute("SELECT text, model, expansion FROM interest_expansions").fetchone()
    assert row[0] == "LoRA" and "low-rank adaptation" in row[2]


async def test_a_down_llm_never_holds_up_a_digest(db: sqlite_utils.Database) -> None:
    upsert_papers(db, PAPERS, day=DAY, source="hf")
    with FakeLLM(script=lambda _p: error(503)) as fake:
        llm = llm_for(db, fake)
        settings = Settings(openai_base_url=fake.base_url, openai_api_key="k", llm_personal=False)
        desk = DigestDesk(db, settings, llm)
        digest = await desk.preview(DAY, Profile((parse_interest("video"),)))
        await llm.aclose()
    assert digest.status == "ok" and digest.items[0].paper.id == "video"
    assert db.execute("SELECT count(*) FROM interest_expansions").fetchone()[0] == 0


def test_replies_are_validated() -> None:
    texts = ["LoRA", "KV cache"]
    good = json.dumps(
        {"expansions": [{"n": 1, "terms": ["low-rank adaptation", 7, "x" * 300, "adapters"]}]}
    )
    assert validate_expansions(good, texts) == {
        "LoRA": "low-rank adaptation; adapters",
        "KV cache": "",
    }
    assert validate_expansions("I cannot help with that.", texts) == {"LoRA": "", "KV cache": ""}
    odd = json.dumps({"expansions": [{"n": 9, "terms": ["x"]}, {"n": "1"}, "junk"]})
    assert validate_expansions(odd, texts) == {"LoRA": "", "KV cache": ""}


async def test_no_llm_means_interests_as_typed(db: sqlite_utils.Database) -> None:
    upsert_papers(db, PAPERS, day=DAY, source="hf")
    llm = LLMClient(Settings(), db)
    ctx = await DayContext.load(db, DAY, None, ["LoRA"], expand_with=llm)
    assert ctx.ranker.expansions == {} and ctx.ranker.rank(LORA) == []
