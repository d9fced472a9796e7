"""The per-interest cut-off: plain matches kept whatever the scale, off-topic kept out."""

from __future__ import annotations

import numpy as np
import pytest

from bot.ranking import Profile, make_ranker
from bot.ranking.embedders import load_local_embedder
from bot.ranking.interests import parse_interest
from bot.ranking.scoring import (
    HYBRID_CUTOFF,
    LEXICAL_CUTOFF,
    CutOff,
    fuse,
    near_misses,
    passes,
)
from bot.sources import sample_bytes
from bot.sources.hf_json import parse_daily_papers

RULE = CutOff(floor=0.3, clear=0.5, ratio=0.6, min_cosine=0.3)


def kept(scores: list[float], cosines: list[float] | None = None) -> list[int]:
    cos = None if cosines is None else np.array(cosines, dtype=np.float32)
    mask = passes(np.array(scores, dtype=np.float32), RULE, cos)
    return [int(i) for i in np.nonzero(mask)[0]]


@pytest.mark.parametrize(
    ("scores", "cosines", "expected"),
    [
        ([0.9, 0.55, 0.1], None, [0, 1]),  # at or above `clear`: always
        ([0.2, 0.25, 0.29], None, []),  # under the floor: never, however it ranks
        ([0.45, 0.35, 0.2], None, [0, 1]),  # near the interest's best: kept
        ([0.45, 0.26, 0.2], None, [0]),  # ratio holds but the floor does not
        ([0.49, 0.31, 0.2], None, [0, 1]),  # 0.31 >= 0.6 * 0.49
        ([0.49, 0.31, 0.2], [0.5, 0.1, 0.0], [0]),  # meaning disagrees: one word is not enough
        ([0.49, 0.31, 0.2], [0.5, 0.3, 0.0], [0, 1]),
        ([], None, []),
    ],
)
def test_rule_cases(scores: list[float], cosines: list[float] | None, expected: list[int]) -> None:
    assert kept(scores, cosines) == expected


def test_only_the_interests_top_ten_can_be_kept_relatively() -> None:
    scores = [0.46] * 12 + [0.44]
    assert len(kept(scores)) == 10


COMPANIONS = CutOff(
    floor=0.3, clear=0.5, ratio=0.8, min_cosine=0.3, companion_cosine=0.4, companion_floor=0.15
)


@pytest.mark.parametrize(
    ("scores", "cosines", "expected"),
    [
        # a plain match today: related papers close in meaning come along, others do not
        ([0.6, 0.2, 0.25], [0.6, 0.5, 0.1], [0, 1]),
        ([0.6, 0.2, 0.25], [0.6, 0.39, 0.45], [0, 2]),
        ([0.6, 0.1], [0.6, 0.9], [0]),  # under the companions' own floor
        # no plain match: close meaning alone never fills an interest's digest
        ([0.28, 0.2], [0.6, 0.6], []),
        ([0.6, 0.2], None, [0]),  # without embeddings there are no companions
    ],
)
def test_companions_need_a_plain_match_and_agreeing_meaning(
    scores: list[float], cosines: list[float] | None, expected: list[int]
) -> None:
    cos = None if cosines is None else np.array(cosines, dtype=np.float32)
    mask = passes(np.array(scores, dtype=np.float32), COMPANIONS, cos)
    assert [int(i) for i in np.nonzero(mask)[0]] == expected


def test_fusion_without_embeddings_is_the_lexical_score() -> None:
    lexical = np.array([0.2, 0.8], dtype=np.float32)
    np.testing.assert_allclose(fuse(lexical, None), lexical)
    # A cosine of 0.7 is 0.875 of the way to the ceiling (0.8): lexical 0.7, meaning 0.3.
    assert fuse(lexical, np.array([0.7, 0.0]))[0] == pytest.approx(0.7 * 0.2 + 0.3 * 0.875)


def test_default_rules_are_ordered_sensibly() -> None:
    for rule in (HYBRID_CUTOFF, LEXICAL_CUTOFF):
        assert 0 < rule.floor < rule.clear < 1 and 0 < rule.ratio <= 1


def test_plain_matches_with_few_shared_words_are_kept_by_default() -> None:
    # From the issue: on the sample day this interest shares few words with its papers
    # (on-device, compression, EdgeMoE), so its scores are low; the default install (the
    # shipped model) must still show them, and nothing for an off-topic interest.
    papers = parse_daily_papers(sample_bytes()).papers
    ranker = make_ranker(papers, embedder=load_local_embedder())
    assert ranker.uses_embeddings
    wanted = "shrinking models to run on phones and edge devices"
    titles = [m.paper.title for m in ranker.rank(Profile((parse_interest(wanted),)))]
    assert "On-Device Language Models: A Comprehensive Review" in titles
    assert any("EdgeMoE" in t for t in titles)
    for off_topic in ("galaxy formation simulations", "protein structure prediction"):
        assert ranker.rank(Profile((parse_interest(off_topic),))) == []


def test_threshold_zero_still_returns_the_full_ranking() -> None:
    papers = parse_daily_papers(sample_bytes()).papers
    ranker = make_ranker(papers)
    everything = ranker.rank(Profile((parse_interest("quantum error correction"),), threshold=0))
    assert len(everything) == len(papers)


def test_near_misses_need_agreeing_meaning_never_words_alone() -> None:
    cosines = np.array([0.55, 0.39, 0.41, 0.10], dtype=np.float32)
    near = near_misses(HYBRID_CUTOFF, cosines)
    assert near is not None and near.tolist() == [True, False, True, False]
    assert near_misses(HYBRID_CUTOFF, None) is None  # no embeddings: nothing is near
    assert near_misses(LEXICAL_CUTOFF, cosines) is None  # the lexical rule has no meaning test
