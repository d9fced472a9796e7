"""Where vectors come from: the shipped ONNX model, and a remote /v1/embeddings endpoint
(the local fake OpenAI server), with failures falling back to lexical ranking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
import sqlite_utils

from bot.config import Settings
from bot.digests.desk import DigestDesk
from bot.llm import LLMClient
from bot.ranking import Profile, build_ranker
from bot.ranking.embedders import (
    API_BATCH,
    ApiEmbedder,
    LocalMiniLM,
    load_local_embedder,
    make_embedder,
)
from bot.ranking.interests import parse_interest
from bot.ranking.semantic import VectorStore
from storage.papers import Paper, upsert_papers
from tests.fakes.openai_server import FakeLLM, error

DAY = "2025-03-03"
PAPERS = [
    Paper(
        id="moe",
        title="Fast mixture-of-experts inference",
        abstract="We route tokens to experts and cache them, making decoding twice as fast.",
    ),
    Paper(
        id="video",
        title="Video diffusion models",
        abstract="A diffusion model that generates short videos from text prompts.",
    ),
    Paper(
        id="rl",
        title="Reinforcement learning for job scheduling",
        abstract="An agent learns to schedule jobs on a cluster with deep RL.",
    ),
]


@pytest.fixture(scope="module")
def minilm() -> LocalMiniLM:
    return LocalMiniLM()


def test_shipped_model_gives_unit_vectors_that_carry_meaning(minilm: LocalMiniLM) -> None:
    vectors = minilm.embed_now(
        ["sparse mixture of experts", "routing tokens to experts", "baking sourdough bread"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_a_vector_does_not_depend_on_its_batch(minilm: LocalMiniLM) -> None:
    # Texts are padded to the longest of their batch: padding must not leak into the pooling.
    long = "a long abstract about distributed training " * 20
    alone = minilm.embed_now(["LoRA"])[0]
    together = minilm.embed_now(["LoRA", long, "KV cache"])[0]
    np.testing.assert_allclose(alone, together, atol=1e-5)


def test_texts_longer_than_the_model_window_are_truncated_not_refused(
    minilm: LocalMiniLM,
) -> None:
    vectors = minilm.embed_now(["word " * 5000, ""])
    assert np.isfinite(vectors).all()


async def test_the_shipped_model_ranks_by_meaning(
    db: sqlite_utils.Database, minilm: LocalMiniLM
) -> None:
    ranker = await build_ranker(PAPERS, embedder=minilm, db=db, interests=["film generation"])
    assert ranker.uses_embeddings
    top = ranker.rank(Profile((parse_interest("film generation"),), threshold=-1), top_k=1)
    assert top[0].paper.id == "video"  # no shared word: only the meaning links them


def settings_for(fake: FakeLLM, **kw: object) -> Settings:
    return Settings(
        openai_base_url=fake.base_url,
        openai_api_key="sk-test",
        llm_timeout=2,
        llm_attempts=2,
        embeddings="api",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


async def test_remote_embeddings_are_batched_stored_and_logged(
    db: sqlite_utils.Database, fake: FakeLLM
) -> None:
    llm = LLMClient(settings_for(fake), db, backoff_s=0.01)
    embedder = make_embedder("api", llm, "text-embedding-3-small")
    assert isinstance(embedder, ApiEmbedder)
    texts = [f"interest number {i}" for i in range(API_BATCH + 6)]
    store = VectorStore(embedder, db)
    await store.ensure(texts)
    assert [len(r["input"]) for r in fake.embedding_requests] == [API_BATCH, 6]
    assert {r["model"] for r in fake.embedding_requests} == {"text-embedding-3-small"}
    vectors = store.lookup(texts)
    assert vectors is not None and vectors.shape == (len(texts), 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    await VectorStore(embedder, db).ensure(texts)  # stored: no second request
    assert len(fake.embedding_requests) == 2
    logged = list(db.query("SELECT purpose, model, ok, tokens_in FROM llm_calls"))
    assert [r["purpose"] for r in logged] == ["embeddings", "embeddings"]
    assert all(r["ok"] and r["tokens_in"] > 0 for r in logged)
    assert logged[0]["model"] == "text-embedding-3-small"
    await llm.aclose()


async def test_switching_model_never_mixes_vectors(
    db: sqlite_utils.Database, fake: FakeLLM
) -> None:
    llm = LLMClient(settings_for(fake), db, backoff_s=0.01)
    small = ApiEmbedder(llm, "text-embedding-3-small")
    nomic = ApiEmbedder(llm, "nomic-embed-text")
    await VectorStore(small, db).ensure(["LoRA"])
    await VectorStore(nomic, db).ensure(["LoRA"])
    assert len(fake.embedding_requests) == 2  # the second model embeds again
    models = [r[0] for r in db.execute("SELECT model FROM embeddings ORDER BY model")]
    assert models == ["api:nomic-embed-text", "api:text-embedding-3-small"]
    await llm.aclose()


async def test_an_endpoint_failure_means_lexical_ranking_and_a_digest_all_the_same(
    db: sqlite_utils.Database,
) -> None:
    upsert_papers(db, PAPERS, day=DAY, source="hf")
    with FakeLLM(embed_script=lambda _payload: error(500)) as fake:
        llm = LLMClient(settings_for(fake), db, backoff_s=0.01)
        embedder = make_embedder("api", llm, "text-embedding-3-small")
        profile = Profile((parse_interest("mixture of experts inference"),))
        ranker = await build_ranker(PAPERS, embedder=embedder, db=db, interests=["x"])
        assert not ranker.uses_embeddings
        plain = replace(settings_for(fake), llm_personal=False, expand_interests=False)
        digest = await DigestDesk(db, plain, llm, embedder).preview(DAY, profile)
        await llm.aclose()
    assert digest.status == "ok" and digest.items[0].paper.id == "moe"
    assert len(fake.embedding_requests) >= 2  # retried, then gave up for this run
    assert db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0


async def test_a_wrong_number_of_vectors_is_a_failure_not_a_crash(
    db: sqlite_utils.Database,
) -> None:
    def short(payload: dict[str, object]) -> object:
        from tests.fakes.http_server import Reply

        return Reply(200, '{"object": "list", "data": [], "model": "m"}')

    with FakeLLM(embed_script=short) as fake:  # type: ignore[arg-type]
        llm = LLMClient(settings_for(fake), db, backoff_s=0.01)
        ranker = await build_ranker(PAPERS, embedder=ApiEmbedder(llm, "m"), db=db)
        await llm.aclose()
    assert not ranker.uses_embeddings


def test_api_mode_without_an_endpoint_ranks_lexically(db: sqlite_utils.Database) -> None:
    llm = LLMClient(Settings(embeddings="api"), db)
    assert make_embedder("api", llm, "text-embedding-3-small") is None
    assert make_embedder("off", llm, "text-embedding-3-small") is None


def test_embeddings_setting_is_validated() -> None:
    from bot.config import SettingsError

    assert Settings.from_env({"PAPERBOY_EMBEDDINGS": "api"}).embeddings == "api"
    assert Settings.from_env({}).embeddings == "local"
    with pytest.raises(SettingsError, match="PAPERBOY_EMBEDDINGS"):
        Settings.from_env({"PAPERBOY_EMBEDDINGS": "torch"})


def test_a_text_embedded_again_in_one_process_gives_the_same_vector() -> None:
    model = load_local_embedder()
    assert model is not None and model is load_local_embedder()  # loaded once per process
    texts = ["mixture of experts routing", "speculative decoding", "mixture of experts routing"]
    first = model.embed_now(texts)
    again = model.embed_now(list(reversed(texts)))
    assert np.allclose(first[0], first[2]) and np.allclose(first[1], again[1])
    assert np.allclose(first[0], again[0]) and np.allclose(first[0], again[2])
