"""Interests × papers → scored, explained matches for one user (or many at once).

Per topic interest the lexical (BM25F) and semantic (embedding) scores are fused into one
0..1 score (bot/ranking/topics.py over bot/ranking/scoring.py, which also owns the
per-interest cut-off); a user's score for a paper is their best interest's score plus a
little for a second matching interest, plus feedback (their model over the day:
bot/ranking/rated.py) and a small popularity prior. Exclusions are hard filters; arXiv
categories bound the rest as bot/ranking/categories.py says; authors are matched by name
(bot/ranking/authors.py); each match says why (bot/ranking/reasons.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.ranking.authors import author_row
from bot.ranking.categories import CATEGORY_SCORE, DayCategories
from bot.ranking.interests import Interest
from bot.ranking.lexical import LexicalIndex
from bot.ranking.profiles import Profile
from bot.ranking.rated import RatedRows
from bot.ranking.reader_model import ReaderModel
from bot.ranking.reasons import Reasons, like_reason, lowered
from bot.ranking.scoring import near_misses
from bot.ranking.semantic import VectorStore
from bot.ranking.topics import ScoredTopic, TopicScores
from storage.papers import Paper

SECOND_INTEREST_WEIGHT = 0.10
POPULARITY_WEIGHT = 0.05
EXCLUDE_AT = 0.45  # lexical coverage of an exclusion above which a paper is dropped


@dataclass(frozen=True)
class Match:
    paper: Paper
    score: float
    reason: str


class DayRanker:
    """Ranks one set of candidate papers (a day) for any number of users."""

    def __init__(
        self,
        papers: Sequence[Paper],
        *,
        vectors: VectorStore | None = None,
        background: Sequence[Paper] = (),
        expansions: Mapping[str, str] | None = None,
    ) -> None:
        self.papers = list(papers)
        self.expansions = dict(expansions or {})
        self.lexical = LexicalIndex(self.papers, background)
        self.vectors = vectors
        self.paper_vectors = vectors.papers(self.papers) if vectors and self.papers else None
        if self.paper_vectors is None:
            self.vectors = None
        upvotes = np.array([p.upvotes for p in self.papers], dtype=np.float32)
        top = math.log1p(float(upvotes.max())) if len(upvotes) and upvotes.max() > 0 else 1.0
        self.popularity = np.log1p(upvotes) / top
        m = len(self.papers)
        self.topics = TopicScores(
            m, self.lexical, self.vectors, self.paper_vectors, self.expansions
        )
        self.rated = RatedRows(m, self.lexical, self.vectors, self.paper_vectors)
        self.categories = DayCategories(self.papers)
        self.reasons = Reasons(self.lexical, self.expansions, self.uses_embeddings)

    @property
    def uses_embeddings(self) -> bool:
        return self.paper_vectors is not None

    def prepare(self, texts: Sequence[str]) -> None:
        """Score many interest texts in one batch (see TopicScores.prepare)."""
        self.topics.prepare(texts)

    def scored_topic(self, text: str) -> ScoredTopic:
        return self.topics.scored(text)

    def topic_scores(self, text: str) -> np.ndarray:
        return self.scored_topic(text).row

    def fit_model(self, profile: Profile) -> ReaderModel:
        """The reader's model fitted on this day (see RatedRows.fit_model)."""
        return self.rated.fit_model(profile)

    def rank(self, profile: Profile, top_k: int | None = None) -> list[Match]:
        """Papers that clear the cut-off (or the profile's own threshold), best first, each
        with a reason. With no rated or imported papers this is the interests alone; with
        them, the reader's model (bot/ranking/preference.py) counts as much as its
        evidence allows, can admit papers no interest matched and drop what the reader
        keeps rejecting."""
        if not self.papers:
            return []
        rows, labels, eligible = self._interest_rows(profile)
        learned = self.rated.learned(profile)
        if not rows and learned is None:
            return []
        m = len(self.papers)
        if rows:
            best_row, best, second = _top_two(np.vstack(rows))
            base = best + SECOND_INTEREST_WEIGHT * second
        else:
            best_row, best = np.zeros(m, dtype=int), np.zeros(m, dtype=np.float32)
            base = best
        score = base + POPULARITY_WEIGHT * self.popularity
        by_model = np.zeros(m, dtype=bool)
        if learned is not None:
            w = learned.weight
            score = score + w * learned.score
            by_model = learned.admit & ((w * learned.score > best) | ~eligible)
            eligible = (eligible | learned.admit) & ~learned.reject
        if profile.threshold is not None:
            eligible = (score >= profile.threshold) | self.categories.only(profile.interests)
        keep = eligible & ~self._excluded(profile) & self.categories.allowed(profile.interests)
        kept = np.flatnonzero(keep)  # sort only the eligible papers, best first
        matches = []
        for i in kept[np.argsort(-score[kept], kind="stable")][:top_k]:
            if learned is not None and (by_model[i] or not rows):
                reason = like_reason(profile, learned, int(i))
            else:
                reason = self.reasons.of(labels[best_row[i]], self.papers[i])
                if learned is not None:
                    reason += lowered(profile, learned, int(i))
            matches.append(Match(self.papers[i], round(float(score[i]), 4), reason))
        return matches

    def closest(self, profile: Profile, per_interest: int = 2) -> list[tuple[Interest, Match]]:
        """Each topic interest's best papers below the cut-off whose meaning still agrees
        (scoring.near_misses), for a day where nothing matched: what came closest, with
        the reason. An interest with nothing near today gets none: better no line than
        papers it never asked for."""
        excluded = self._excluded(profile) | ~self.categories.allowed(profile.interests)
        out: list[tuple[Interest, Match]] = []
        seen: set[int] = set()
        for interest in profile.interests:
            if interest.kind != "topic" or not self.papers:
                continue
            row, cosines, rule, _ = self.scored_topic(interest.text)
            near = near_misses(rule, cosines)
            if near is None:
                continue
            picked = [
                int(i)
                for i in np.argsort(-row, kind="stable")
                if near[i] and not excluded[i] and int(i) not in seen
            ][:per_interest]
            for i in picked:
                seen.add(i)
                reason = self.reasons.of(interest, self.papers[i])
                out.append((interest, Match(self.papers[i], round(float(row[i]), 4), reason)))
        return out

    def _interest_rows(
        self, profile: Profile
    ) -> tuple[list[np.ndarray], list[Interest], np.ndarray]:
        rows, labels = [], []
        eligible = np.zeros(len(self.papers), dtype=bool)
        topics = [i for i in profile.interests if i.kind == "topic"]
        self.prepare([i.text for i in topics])
        for interest in profile.interests:
            if interest.kind == "topic":
                row, _, _, passing = self.topics[interest.text]
                eligible |= passing
            elif interest.kind == "author":
                row = author_row(self.papers, interest.text)
                eligible |= row > 0
            elif interest.kind == "category" and not topics:
                row = CATEGORY_SCORE * self.categories.row(interest.text)
                eligible |= row > 0
            else:
                continue
            rows.append(row)
            labels.append(interest)
        return rows, labels, eligible

    def _excluded(self, profile: Profile) -> np.ndarray:
        mask = np.zeros(len(self.papers), dtype=bool)
        for interest in profile.interests:
            if interest.kind == "exclude":
                mask |= self.lexical.score(self.lexical.plan(interest.text)) >= EXCLUDE_AT
        return mask


def _top_two(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: the row of the largest value, the largest and the second largest (0 for
    a single row). Cheaper than sorting each column for every user."""
    cols = np.arange(matrix.shape[1])
    best_row = matrix.argmax(axis=0)
    best = matrix[best_row, cols]
    if matrix.shape[0] == 1:
        return best_row, best, np.zeros_like(best)
    rest = matrix.copy()
    rest[best_row, cols] = -np.inf
    return best_row, best, rest.max(axis=0)
