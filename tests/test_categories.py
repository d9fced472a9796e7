"""`cat:` interests: validated against arXiv's list, matched on primary and cross-listed
categories, combined with topics as documented in bot/ranking/categories.py; in the bot, a
paper is never sent twice whichever source listed it; summaries only for what is sent."""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from bot.ranking import DayRanker, Profile
from bot.ranking.interests import Interest, InterestError, parse_interest
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.users import ensure_user
from tests.fakes.openai_server import FakeLLM
from tests.test_delivery import at, world


def paper(pid: str, title: str, *categories: str, authors: tuple[str, ...] = ()) -> Paper:
    return Paper(id=pid, title=title, abstract=title, categories=categories, authors=authors)


DAY_PAPERS = [
    paper("2609.00001", "Speculative decoding for faster LLM inference", "cs.CL", "cs.LG"),
    paper("2609.00002", "Speculative decoding on robots", "cs.RO"),
    paper("2609.00003", "Parsing Sanskrit morphology", "cs.CL"),
    paper("2609.00004", "Sparse attention kernels", "cs.LG", "cs.CL"),
    paper("2609.00005", "Protein folding with diffusion", "q-bio.BM", authors=("Ada Lovelace",)),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cat: cs.Cl", Interest("category", "cs.CL")),
        ("category: STAT.ml", Interest("category", "stat.ML")),
        ("cat: cond-mat.mes-hall", Interest("category", "cond-mat.mes-hall")),
        ("cs.LG", Interest("category", "cs.LG")),
        ("hep-th", Interest("category", "hep-th")),
        ("q-bio.NC", Interest("category", "q-bio.NC")),
    ],
)
def test_category_names_are_accepted_in_arxivs_spelling(typed: str, expected: Interest) -> None:
    assert parse_interest(typed) == expected


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("cat: cs.CLL", "cat: cs.CL"),
        ("cat: cs.ML", "cat: cs.LG"),
        ("cat: stat.MLL", "cat: stat.ML"),
    ],
)
def test_a_typo_in_a_category_gets_the_closest_name(typed: str, suggestion: str) -> None:
    with pytest.raises(InterestError, match=re.escape(f"Did you mean {suggestion}?")):
        parse_interest(typed)


def test_a_category_nothing_resembles_is_refused_with_examples() -> None:
    with pytest.raises(InterestError, match=r"not an arXiv category.*cs\.CL, stat\.ML"):
        parse_interest("cat: underwater basket weaving")


def ids(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.paper.id for m in matches]


def test_a_category_alone_gives_its_papers_primary_and_cross_listed() -> None:
    ranker = DayRanker(DAY_PAPERS)
    matches = ranker.rank(Profile((Interest("category", "cs.CL"),)))
    assert set(ids(matches)) == {"2609.00001", "2609.00003", "2609.00004"}
    reasons = {m.paper.id: m.reason for m in matches}
    assert reasons["2609.00003"] == "in cs.CL, a category you follow"
    assert reasons["2609.00004"] == "cross-listed in cs.CL, a category you follow"
    # Capped by the digest size, like any digest.
    assert len(ranker.rank(Profile((Interest("category", "cs.CL"),)), top_k=2)) == 2


def test_a_paper_in_two_followed_categories_ranks_first() -> None:
    profile = Profile((Interest("category", "cs.CL"), Interest("category", "cs.LG")))
    matches = DayRanker(DAY_PAPERS).rank(profile)
    assert set(ids(matches)[:2]) == {"2609.00001", "2609.00004"}
    assert ids(matches)[2] == "2609.00003"


def test_topics_with_a_category_are_topics_within_the_category() -> None:
    ranker = DayRanker(DAY_PAPERS)
    topic = Interest("topic", "speculative decoding")
    assert set(ids(ranker.rank(Profile((topic,))))) == {"2609.00001", "2609.00002"}
    within = ranker.rank(Profile((topic, Interest("category", "cs.CL"))))
    assert ids(within) == ["2609.00001"]  # the robotics paper is outside cs.CL


def test_an_author_you_follow_counts_outside_your_categories() -> None:
    profile = Profile(
        (
            Interest("topic", "speculative decoding"),
            Interest("category", "cs.CL"),
            Interest("author", "Ada Lovelace"),
        )
    )
    assert set(ids(DayRanker(DAY_PAPERS).rank(profile))) == {"2609.00001", "2609.00005"}


def test_a_user_threshold_does_not_hide_a_category_only_digest() -> None:
    profile = Profile((Interest("category", "q-bio.BM"),), threshold=0.9)
    assert ids(DayRanker(DAY_PAPERS).rank(profile)) == ["2609.00005"]


async def test_category_digest_in_the_bot_and_no_paper_twice_across_sources(
    db: sqlite_utils.Database,
) -> None:
    async with world(db) as w:
        w.user(1, interest="speculative decoding")
        ensure_user(db, 2)
        add_interest(db, 2, "category", "cs.CL")
        # Yesterday Daily Papers listed one paper (no version, no categories) …
        hf = Paper("2609.00001", "Speculative decoding for faster LLM inference", upvotes=9)
        upsert_papers(db, [hf], day="2026-09-23", source="hf")
        await w.deliverer.sweep(at("2026-09-23T08:00"))
        assert "Speculative decoding for faster" in "".join(w.digests_to(1))
        # … today arXiv announces it as v2, with its categories, among other papers.
        v2 = Paper(
            "2609.00001",
            "Speculative decoding for faster LLM inference (v2)",
            version="v2",
            categories=("cs.CL", "cs.LG"),
        )
        upsert_papers(db, [v2, *DAY_PAPERS[1:]], day="2026-09-24", source="arxiv")
        await w.deliverer.sweep(at("2026-09-24T08:00"))
        today_1 = "".join(w.digests_to(1)[1:])
        for_category = "".join(w.digests_to(2)[1:])
    assert "robots" in today_1 and "faster LLM inference" not in today_1
    assert "Parsing Sanskrit" in for_category and "Sparse attention" in for_category
    assert "faster LLM inference (v2)" in for_category  # never sent to this user before
    assert "robots" not in for_category and "Protein" not in for_category


async def test_summaries_are_written_only_for_papers_someone_receives(
    db: sqlite_utils.Database,
) -> None:
    with FakeLLM() as fake:
        async with world(db, llm_url=fake.base_url) as w:
            upsert_papers(db, DAY_PAPERS, day="2026-09-24", source="arxiv")
            for chat, category in ((1, "cs.CL"), (2, "cs.CL"), (3, "cs.RO")):
                ensure_user(db, chat)
                add_interest(db, chat, "category", category)
            report = await w.deliverer.sweep(at("2026-09-24T08:00"))
    received = {"2609.00001", "2609.00002", "2609.00003", "2609.00004"}
    summarized = {row["paper_id"] for row in db.query("SELECT paper_id FROM summaries")}
    assert summarized == received and report.summarized == 4
    assert len(fake.payloads) == 1  # one batch for the whole sweep, each paper once
