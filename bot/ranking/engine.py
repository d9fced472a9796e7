"""Interests × papers → scored, explained matches for one user (or many at once).

Per topic interest the lexical (BM25F) and semantic (embedding) scores are fused into one
0..1 score (bot/ranking/scoring.py, which also owns the per-interest cut-off); a user's score
for a paper is their best interest's score plus a little for a second matching interest,
plus feedback (Rocchio-style: towards papers like the ones they liked or saved, away from
the ones they disliked) and a small popularity prior. Exclusions are hard filters.

arXiv categories (`cat: cs.CL`, matching primary and cross-listed categories) combine with
the rest of a profile like this:
- categories with topics: the topics, within the categories (a topic match in another
  category is not sent); authors you follow still count wherever they publish;
- categories alone: every paper of the categories is eligible, ranked by your feedback, by
  how many of your categories it is in, and by popularity; the digest size caps it.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bot.ranking.interests import Interest
from bot.ranking.lexical import LexicalIndex, matched_phrases
from bot.ranking.preference import Learned, learn
from bot.ranking.reader_model import ReaderModel, centre_of, centred, fit, model_key
from bot.ranking.scoring import (
    HYBRID_CUTOFF,
    LEXICAL_CUTOFF,
    CutOff,
    fuse,
    near_misses,
    passes,
)
from bot.ranking.semantic import VectorStore
from bot.text import clean_text, clip, fold
from storage.papers import Paper

SECOND_INTEREST_WEIGHT = 0.10
POPULARITY_WEIGHT = 0.05
EXCLUDE_AT = 0.45  # lexical coverage of an exclusion above which a paper is dropped
RATED_CACHE = 4096  # rated papers whose similarity rows are kept
LOWERED_NOTE_AT = 0.1  # score the reader's 👎 took off a paper that is worth telling them
TOPIC_CACHE = 4096  # interest texts kept scored (each: two float32 rows of the day's size)
CATEGORY_SCORE = 0.5  # a paper of a followed category, for a profile with no topics
# An LLM expansion of an interest counts for less than the words the user typed. Chosen a
# priori: no model could be reached where this was built, so its effect is unmeasured.
EXPANSION_WEIGHT = 0.8


@dataclass(frozen=True)
class Profile:
    interests: tuple[Interest, ...]
    liked: tuple[Paper, ...] = ()  # 👍 and ⭐, most recent first (as load_profile builds it)
    disliked: tuple[Paper, ...] = ()
    threshold: float | None = None  # None: the ranker's default for its configuration
    library: tuple[Paper, ...] = ()  # papers the reader imported: positives like 👍
    model: ReaderModel | None = None  # their stored fit (reader_model.py); None: fit here

    @property
    def positives(self) -> tuple[Paper, ...]:
        return self.liked + self.library

    def says_of(self, i: int) -> str:
        """How the reader told us about their i-th positive, for reasons."""
        return "you liked" if i < len(self.liked) else "in your library"


class ScoredTopic(NamedTuple):
    """One interest text over the day: its fused scores, cosines, cut-off rule, and which
    papers clear it (kept, since thousands of users share the text)."""

    row: np.ndarray
    cosines: np.ndarray | None
    rule: CutOff
    passing: np.ndarray

    @classmethod
    def of(cls, row: np.ndarray, cosines: np.ndarray | None, rule: CutOff) -> ScoredTopic:
        return cls(row, cosines, rule, passes(row, rule, cosines))


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
        # interest text -> (fused scores, cosines or None, the cut-off rule that applies);
        # bounded: on an arXiv day (2,500 papers) 30,000 distinct interests would take 600 MB.
        self._topic_cache: OrderedDict[str, ScoredTopic] = OrderedDict()
        self._reasons: dict[tuple[str, str, str], str] = {}
        self._category_rows: dict[str, np.ndarray] = {}
        # rated paper id -> its similarity to every candidate; readers rate the same papers
        self._rated_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._centred: tuple[np.ndarray, np.ndarray] | None = None  # (centre, papers)

    @property
    def uses_embeddings(self) -> bool:
        return self.paper_vectors is not None

    def prepare(self, texts: Sequence[str]) -> None:
        """Score many interest texts in one batch (one matrix product for the embeddings).
        The most recently used TOPIC_CACHE texts stay scored; older ones are recomputed."""
        for text in texts:
            if text in self._topic_cache:
                self._topic_cache.move_to_end(text)
        todo = list(dict.fromkeys(t for t in texts if t not in self._topic_cache))
        if not todo or not self.papers:
            return
        for start in range(0, len(todo), TOPIC_CACHE // 2):
            self._score_topics(todo[start : start + TOPIC_CACHE // 2])
            while len(self._topic_cache) > TOPIC_CACHE:
                self._topic_cache.popitem(last=False)

    def _score_topics(self, todo: list[str]) -> None:
        lexical = np.vstack([self.lexical.score(self.lexical.plan(t)) for t in todo])
        cosines = self._cosines(todo)
        rule = LEXICAL_CUTOFF if cosines is None else HYBRID_CUTOFF
        for i, text in enumerate(todo):
            cos = None if cosines is None else cosines[i]
            self._topic_cache[text] = ScoredTopic.of(fuse(lexical[i], cos), cos, rule)
        self._add_expansions([t for t in todo if self.expansions.get(t)])

    def _add_expansions(self, texts: list[str]) -> None:
        """An expanded interest also scores as its expansion, at a lower weight: the typed
        words stay the stronger evidence."""
        if not texts:
            return
        queries = [self.expansions[t] for t in texts]
        lexical = np.vstack([self.lexical.score(self.lexical.plan(q)) for q in queries])
        cosines = self._cosines(queries)
        for i, text in enumerate(texts):
            row, cos, rule = self._topic_cache[text][:3]
            extra_cos = None if cosines is None else cosines[i]
            extra = EXPANSION_WEIGHT * fuse(lexical[i], extra_cos)
            if cos is not None and extra_cos is not None:
                cos = np.maximum(cos, extra_cos)
            self._topic_cache[text] = ScoredTopic.of(np.maximum(row, extra), cos, rule)

    def _cosines(self, texts: list[str]) -> np.ndarray | None:
        if self.vectors is None or self.paper_vectors is None:
            return None
        vectors = self.vectors.lookup(texts)
        return None if vectors is None else vectors @ self.paper_vectors.T

    def scored_topic(self, text: str) -> ScoredTopic:
        self.prepare([text])
        return self._topic_cache[text]

    def topic_scores(self, text: str) -> np.ndarray:
        return self.scored_topic(text).row

    def rank(self, profile: Profile, top_k: int | None = None) -> list[Match]:
        """Papers that clear the cut-off (or the profile's own threshold), best first, each
        with a reason. With no rated or imported papers this is the interests alone; with
        them, the reader's model (bot/ranking/preference.py) counts as much as its
        evidence allows, can admit papers no interest matched and drop what the reader
        keeps rejecting."""
        if not self.papers:
            return []
        rows, labels, eligible = self._interest_rows(profile)
        learned = self._learned(profile)
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
            eligible = (score >= profile.threshold) | self._category_only(profile)
        keep = eligible & ~self._excluded(profile) & self._within_categories(profile)
        kept = np.flatnonzero(keep)  # sort only the eligible papers, best first
        matches = []
        for i in kept[np.argsort(-score[kept], kind="stable")][:top_k]:
            if learned is not None and (by_model[i] or not rows):
                reason = _like_reason(profile, learned, int(i))
            else:
                reason = self._reason(labels[best_row[i]], self.papers[i])
                if learned is not None:
                    reason += _lowered(profile, learned, int(i))
            matches.append(Match(self.papers[i], round(float(score[i]), 4), reason))
        return matches

    def _learned(self, profile: Profile) -> Learned | None:
        """The reader's model over this day, or None when they rated and imported nothing.
        Their stored fit when it is current, else fitted now from the same papers."""
        if not profile.positives and not profile.disliked:
            return None
        model = profile.model
        if model is None or model.key != model_key(
            profile.positives, profile.disliked, len(profile.liked)
        ):
            model = self.fit_model(profile)
        return learn(
            self._rated_rows(profile.positives),
            self._rated_rows(profile.disliked),
            model.weights([p.id for p in profile.positives]),
            model.cutoff,
        )

    def fit_model(self, profile: Profile) -> ReaderModel:
        """The reader's model from their rated and imported papers, measured from this
        day's centre (what load_profile stores is fitted the same way)."""
        day = self._day_centred()
        kept, rejected = self._vectors(profile.positives), self._vectors(profile.disliked)
        return fit(
            profile.positives,
            profile.disliked,
            rated=len(profile.liked),
            vectors=None if day is None or kept is None or rejected is None else (kept, rejected),
            centre=None if day is None else day[0],
        )

    def _vectors(self, papers: Sequence[Paper]) -> np.ndarray | None:
        """The papers' vectors (None without embeddings, or when one has none)."""
        day = self._day_centred()
        if self.vectors is None or day is None:
            return None
        if not papers:
            return np.zeros((0, day[0].shape[0]), dtype=np.float32)
        return self.vectors.papers(papers)

    def _day_centred(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The day's centre and its papers' vectors measured from it (None: no vectors)."""
        if self._centred is None and self.paper_vectors is not None:
            centre = centre_of(self.paper_vectors)
            self._centred = (centre, centred(self.paper_vectors, centre))
        return self._centred

    def _rated_rows(self, papers: Sequence[Paper]) -> np.ndarray:
        """Each rated paper's similarity to every candidate, kept per paper id (many readers
        rate the same papers): the cosine of their MiniLM vectors measured from the day's
        centre (reader_model.py), or without embeddings the paper's title and keywords as
        a lexical query."""
        missing = [p for p in dict.fromkeys(papers) if p.id not in self._rated_cache]
        if missing:
            vectors = self.vectors.papers(missing) if self.vectors is not None else None
            day = self._day_centred()
            if vectors is not None and day is not None:
                rows = centred(vectors, day[0]) @ day[1].T
            else:
                rows = np.vstack(
                    [self.lexical.score(self.lexical.plan(_query_of(p))) for p in missing]
                )
            for paper, row in zip(missing, rows, strict=True):
                self._rated_cache[paper.id] = row.astype(np.float32)
            while len(self._rated_cache) > RATED_CACHE:
                self._rated_cache.popitem(last=False)
        if not papers:
            return np.zeros((0, len(self.papers)), dtype=np.float32)
        rows = []
        for paper in papers:
            row = self._rated_cache.get(paper.id)
            if row is None:  # evicted by this very call (a profile larger than the cache)
                row = self._rated_rows([paper])[0]
            self._rated_cache.move_to_end(paper.id)
            rows.append(row)
        return np.vstack(rows)

    def closest(self, profile: Profile, per_interest: int = 2) -> list[tuple[Interest, Match]]:
        """Each topic interest's best papers below the cut-off whose meaning still agrees
        (scoring.near_misses), for a day where nothing matched: what came closest, with
        the reason. An interest with nothing near today gets none: better no line than
        papers it never asked for."""
        excluded = self._excluded(profile) | ~self._within_categories(profile)
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
                reason = self._reason(interest, self.papers[i])
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
                row, _, _, passing = self._topic_cache[interest.text]
                eligible |= passing
            elif interest.kind == "author":
                row = self._author_row(interest.text)
                eligible |= row > 0
            elif interest.kind == "category" and not topics:
                row = CATEGORY_SCORE * self._category_row(interest.text)
                eligible |= row > 0
            else:
                continue
            rows.append(row)
            labels.append(interest)
        return rows, labels, eligible

    def _category_row(self, category: str) -> np.ndarray:
        if category not in self._category_rows:
            self._category_rows[category] = np.array(
                [category in p.categories for p in self.papers], dtype=np.float32
            )
        return self._category_rows[category]

    def _within_categories(self, profile: Profile) -> np.ndarray:
        """Papers a profile's categories allow: all when it names none; else those in one
        of them, plus papers by authors it follows."""
        categories = [i.text for i in profile.interests if i.kind == "category"]
        if not categories:
            return np.ones(len(self.papers), dtype=bool)
        allowed = np.zeros(len(self.papers), dtype=bool)
        for category in categories:
            allowed |= self._category_row(category) > 0
        for interest in profile.interests:
            if interest.kind == "author":
                allowed |= self._author_row(interest.text) > 0
        return allowed

    def _category_only(self, profile: Profile) -> np.ndarray:
        """Papers eligible through a category alone (a profile with categories, no topics)."""
        kinds = {i.kind for i in profile.interests}
        if "category" not in kinds or "topic" in kinds:
            return np.zeros(len(self.papers), dtype=bool)
        return self._within_categories(profile)

    def _author_row(self, name: str) -> np.ndarray:
        wanted = _name_key(name)
        return np.array(
            [1.0 if any(_name_key(a) == wanted for a in p.authors) else 0.0 for p in self.papers],
            dtype=np.float32,
        )

    def _excluded(self, profile: Profile) -> np.ndarray:
        mask = np.zeros(len(self.papers), dtype=bool)
        for interest in profile.interests:
            if interest.kind == "exclude":
                mask |= self.lexical.score(self.lexical.plan(interest.text)) >= EXCLUDE_AT
        return mask

    def _reason(self, interest: Interest, paper: Paper) -> str:
        # Many users share an interest text: the reason for a (text, paper) is made once.
        key = (interest.kind, interest.text, paper.id)
        if key not in self._reasons:
            self._reasons[key] = self._explain(interest, paper)
        return self._reasons[key]

    def _explain(self, interest: Interest, paper: Paper) -> str:
        label = _quote(interest.text)
        if interest.kind == "author":
            return f"by {interest.text}, an author you follow"
        if interest.kind == "category":
            if paper.categories[:1] == (interest.text,):
                return f"in {interest.text}, a category you follow"
            return f"cross-listed in {interest.text}, a category you follow"
        stems: set[str] = set()
        query = f"{interest.text}; {self.expansions.get(interest.text, '')}"
        for variant in self.lexical.plan(query).variants:
            stems.update(variant)
        in_title = matched_phrases(paper.title, stems)
        if in_title:
            return f"your interest {label}: {', '.join(in_title)} (title)"
        in_abstract = matched_phrases(paper.abstract, stems)
        if in_abstract:
            return f"your interest {label}: {', '.join(in_abstract)}"
        if self.uses_embeddings:
            return f"your interest {label}: close in meaning, no shared keywords"
        return f"your interest {label}: weak match, shown because of a low threshold"


def _query_of(paper: Paper) -> str:
    return f"{paper.title} {' '.join(paper.keywords)}"


def _like_reason(profile: Profile, learned: Learned, i: int) -> str:
    """'like “A” and “B”, which you liked' (or 'in your library'): the positives a pick
    leans on, in the reader's terms."""
    positives = profile.positives
    named = learned.nearest(i)
    parts = [f"“{clip(positives[j].title, 80)[0]}”" for j in named[:2]]
    says = {profile.says_of(j) for j in named[:2]}
    tail = (
        "which you liked"
        if says == {"you liked"}
        else ("in your library" if says == {"in your library"} else "which you liked or imported")
    )
    return f"like {' and '.join(parts)}, {tail}" if parts else "like papers you liked"


def _lowered(profile: Profile, learned: Learned, i: int) -> str:
    """A note on a paper the reader's 👎 pulled down but did not drop."""
    j = learned.closest_negative(i)
    if j < 0 or learned.weight * learned.negative[i] < LOWERED_NOTE_AT:
        return ""
    return f" (ranked lower: like “{clip(profile.disliked[j].title, 80)[0]}”, which you 👎)"


def _quote(text: str, limit: int = 40) -> str:
    return f"‘{clip(text, limit)[0]}’"


def _name_key(name: str) -> str:
    """'Tri Dao', 'tri  DAO', 'Dao, Tri', 'T. Dao' and 'Trí Dào' all become 't dao'."""
    name = fold(clean_text(name)).lower()
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    parts = [p for p in re.split(r"[\s.]+", name) if p]
    if len(parts) < 2:
        return " ".join(parts)
    return f"{parts[0][0]} {parts[-1]}"


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
