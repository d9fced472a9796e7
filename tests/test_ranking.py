"""The ranking engine on hand-made days: matching, reasons, exclusions, feedback, thresholds."""

from dataclasses import replace

import numpy as np
import pytest
import sqlite_utils

from bot.ranking import DayRanker, Profile, make_ranker
from bot.ranking.interests import parse_interest
from bot.ranking.semantic import VectorStore
from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers
from storage.papers import Paper
from tests.fakes.embedder import HashingEmbedder


def paper(pid: str, title: str, abstract: str, authors: tuple[str, ...] = (), up: int = 0) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, authors=authors, upvotes=up)


DAY = [
    paper(
        "moe",
        "Fast Mixture-of-Experts Inference on GPUs",
        "Mixture of Experts (MoE) models route tokens to experts; we speed up MoE inference.",
        ("Tri Dao", "Ana Ruiz"),
    ),
    paper(
        "moe-train",
        "Scaling Sparse Expert Training",
        "We train sparse mixture-of-experts models with better expert load balancing.",
    ),
    paper(
        "lora",
        "Low-Rank Adapters Revisited",
        "Parameter-efficient fine-tuning (PEFT) with low-rank adapters such as LoRA.",
    ),
    paper(
        "med",
        "Segmenting Tumours in Medical Imaging with Mixture of Experts",
        "A mixture of experts for medical imaging segmentation of MRI scans.",
    ),
    paper("diffusion", "Video Diffusion at Scale", "A diffusion model that generates video."),
    paper(
        "kv",
        "Compressing the KV Cache for Long Context Inference",
        "Key-value (KV) cache compression lets long-context inference fit in memory.",
        ("T. Dao",),
    ),
]


def profile(*typed: str, **kw: object) -> Profile:
    return Profile(tuple(parse_interest(t) for t in typed), **kw)  # type: ignore[arg-type]


def ids(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.paper.id for m in matches]


@pytest.fixture(scope="module")
def ranker() -> DayRanker:
    return make_ranker(DAY)


def test_topic_ranks_on_topic_papers_first_with_a_reason(ranker: DayRanker) -> None:
    matches = ranker.rank(profile("mixture of experts inference"))
    assert ids(matches)[0] == "moe"
    assert "diffusion" not in ids(matches) and "lora" not in ids(matches)
    reason = matches[0].reason
    assert reason.startswith("your interest ‘mixture of experts inference’:")
    assert "Mixture-of-Experts Inference" in reason and "(title)" in reason


def test_acronym_defined_in_papers_matches_its_expansion(ranker: DayRanker) -> None:
    assert ids(ranker.rank(profile("PEFT")))[:1] == ["lora"]
    # 'moe-train' never says "MoE" but spells out mixture-of-experts.
    assert "moe-train" in ids(ranker.rank(profile("MoE")))


def test_exclusion_is_a_hard_filter(ranker: DayRanker) -> None:
    plain = ids(ranker.rank(profile("mixture of experts")))
    assert "med" in plain
    filtered = ids(ranker.rank(profile("mixture of experts", "not: medical imaging")))
    assert "med" not in filtered and "moe" in filtered


def test_author_interest_matches_name_variants(ranker: DayRanker) -> None:
    for typed in ("author: Tri Dao", "author: tri dao", "author: Dao, Tri", "author: Trí Dào"):
        matches = ranker.rank(profile(typed))
        assert sorted(ids(matches)) == ["kv", "moe"], typed  # "T. Dao" counts as Tri Dao
        assert matches[0].reason == f"by {typed.split(': ')[1]}, an author you follow"


def test_nothing_matching_gives_an_empty_list(ranker: DayRanker) -> None:
    assert ranker.rank(profile("protein structure prediction")) == []
    assert ranker.rank(profile("not: diffusion")) == []  # only exclusions: nothing to match


def test_empty_day_and_empty_profile() -> None:
    assert make_ranker([]).rank(profile("LoRA")) == []
    assert make_ranker(DAY).rank(Profile(())) == []


YESTERDAY_KV = paper("old-kv", "KV Cache Eviction Policies", "Evicting KV cache entries.")
YESTERDAY_MOE = paper(
    "old-moe",
    "Expert Routing for Mixture of Experts",
    "Routing tokens to experts in mixture-of-experts models.",
)


def scores(ranker: DayRanker, p: Profile) -> dict[str, float]:
    return {m.paper.id: m.score for m in ranker.rank(p)}


def test_feedback_changes_the_ranking(ranker: DayRanker) -> None:
    interests = profile("inference").interests
    before = scores(ranker, Profile(interests, threshold=-1.0))
    assert before["moe"] > before["kv"]  # both on topic; MoE slightly ahead
    liked_kv = scores(ranker, Profile(interests, liked=(YESTERDAY_KV,), threshold=-1.0))
    assert liked_kv["kv"] > liked_kv["moe"]
    disliked_kv = scores(ranker, Profile(interests, disliked=(YESTERDAY_KV,), threshold=-1.0))
    assert disliked_kv["kv"] < before["kv"]
    assert disliked_kv["moe"] == before["moe"]  # unrelated papers are left alone


def test_feedback_reason_names_the_liked_paper(ranker: DayRanker) -> None:
    liked = Profile((parse_interest("video"),), liked=(YESTERDAY_MOE,), threshold=0.1)
    reasons = {m.paper.id: m.reason for m in ranker.rank(liked)}
    assert reasons["moe"] == "like “Expert Routing for Mixture of Experts”, which you liked"
    assert reasons["diffusion"].startswith("your interest ‘video’")


def test_popularity_breaks_ties_but_does_not_rescue_irrelevant_papers() -> None:
    twins = [
        paper("a", "LoRA adapters", "LoRA.", up=0),
        paper("b", "LoRA adapters", "LoRA.", up=90),
        paper("c", "Unrelated video diffusion", "Video.", up=5000),
    ]
    matches = make_ranker(twins).rank(profile("LoRA"))
    assert ids(matches) == ["b", "a"]


@pytest.mark.parametrize(
    "typed",
    [
        "MoE; DROP TABLE papers",
        '"mixture" OR experts* NEAR(',
        "المزيج من الخبراء",
        "x" * 120,
        "🚀 inference 🚀",
    ],
)
def test_odd_interest_text_never_crashes(ranker: DayRanker, typed: str) -> None:
    ranker.rank(profile(typed))


def test_many_interests_at_once(ranker: DayRanker) -> None:
    many = profile(*[f"unrelated subject {i}" for i in range(29)], "KV cache")
    assert "kv" in ids(ranker.rank(many))


def test_embeddings_find_matches_without_shared_words(db: sqlite_utils.Database) -> None:
    embedder = HashingEmbedder(synonyms=[{"film", "video", "movi"}, {"generat", "synthes"}])
    hybrid = make_ranker(DAY, embedder=embedder, db=db)
    assert hybrid.uses_embeddings and not make_ranker(DAY).uses_embeddings
    matches = hybrid.rank(profile("movie synthesis", threshold=0.1))
    assert ids(matches)[:1] == ["diffusion"]
    assert matches[0].reason.endswith("close in meaning, no shared keywords")
    assert make_ranker(DAY).rank(profile("movie synthesis", threshold=0.1)) == []


def test_paper_and_text_vectors_are_stored_once(db: sqlite_utils.Database) -> None:
    embedder = HashingEmbedder()
    store = VectorStore(embedder, db)
    first = store.papers(DAY)
    store.lookup(["LoRA"])
    calls = embedder.calls
    again = VectorStore(embedder, db)
    np.testing.assert_allclose(again.papers(DAY), first)  # type: ignore[arg-type]
    again.lookup(["LoRA"])
    assert embedder.calls == calls
    assert db.table("embeddings").count == len(DAY) + 1


def test_vectors_are_per_text_and_model(db: sqlite_utils.Database) -> None:
    store = VectorStore(HashingEmbedder(), db)
    store.papers(DAY)
    revised = [replace(DAY[0], abstract=DAY[0].abstract + " Version two adds results.")]
    store.papers(revised)  # a new version of an abstract is a new text: a new vector
    other = HashingEmbedder()
    other.name = "another-model"
    VectorStore(other, db).papers(DAY)  # switching model never reuses the first one's rows
    rows = db.execute("SELECT model, count(*) FROM embeddings GROUP BY model").fetchall()
    assert dict(rows) == {"test-hashing": len(DAY) + 1, "another-model": len(DAY)}


def test_sample_day_moe_interest_finds_the_moe_papers() -> None:
    papers = parse_daily_papers(sample_bytes()).papers
    top = make_ranker(papers).rank(profile("MoE inference"), top_k=5)
    assert len(top) == 5
    assert all("expert" in m.paper.title.lower() or "moe" in m.paper.title.lower() for m in top)
