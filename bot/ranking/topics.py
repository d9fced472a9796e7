"""Topic interests scored over one day: each interest text's fused score per paper
(bot/ranking/scoring.py), its cosines and which papers clear its cut-off, kept per text
because thousands of readers share the same interests."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from bot.ranking.lexical import LexicalIndex
from bot.ranking.scoring import HYBRID_CUTOFF, LEXICAL_CUTOFF, CutOff, fuse, passes
from bot.ranking.semantic import VectorStore

TOPIC_CACHE = 4096  # interest texts kept scored (each: two float32 rows of the day's size)
# An LLM expansion of an interest counts for less than the words the user typed. Chosen a
# priori: no model could be reached where this was built, so its effect is unmeasured.
EXPANSION_WEIGHT = 0.8


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


class TopicScores:
    """The day's scores of interest texts, the most recently used TOPIC_CACHE of them kept:
    on an arXiv day (2,500 papers) 30,000 distinct interests would take 600 MB."""

    def __init__(
        self,
        size: int,
        lexical: LexicalIndex,
        vectors: VectorStore | None,
        paper_vectors: np.ndarray | None,
        expansions: dict[str, str],
    ) -> None:
        self.size = size
        self.lexical = lexical
        self.vectors = vectors
        self.paper_vectors = paper_vectors
        # Shared with the ranker, which callers extend in place once an LLM has expanded
        # their interests.
        self.expansions = expansions
        self._cache: OrderedDict[str, ScoredTopic] = OrderedDict()

    def prepare(self, texts: Sequence[str]) -> None:
        """Score many interest texts in one batch (one matrix product for the embeddings).
        The most recently used TOPIC_CACHE texts stay scored; older ones are recomputed."""
        for text in texts:
            if text in self._cache:
                self._cache.move_to_end(text)
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if not todo or not self.size:
            return
        for start in range(0, len(todo), TOPIC_CACHE // 2):
            self._score(todo[start : start + TOPIC_CACHE // 2])
            while len(self._cache) > TOPIC_CACHE:
                self._cache.popitem(last=False)

    def __getitem__(self, text: str) -> ScoredTopic:
        """A text `prepare` scored (and not evicted since)."""
        return self._cache[text]

    def scored(self, text: str) -> ScoredTopic:
        self.prepare([text])
        return self._cache[text]

    def _score(self, todo: list[str]) -> None:
        lexical = np.vstack([self.lexical.score(self.lexical.plan(t)) for t in todo])
        cosines = self._cosines(todo)
        rule = LEXICAL_CUTOFF if cosines is None else HYBRID_CUTOFF
        for i, text in enumerate(todo):
            cos = None if cosines is None else cosines[i]
            self._cache[text] = ScoredTopic.of(fuse(lexical[i], cos), cos, rule)
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
            row, cos, rule = self._cache[text][:3]
            extra_cos = None if cosines is None else cosines[i]
            extra = EXPANSION_WEIGHT * fuse(lexical[i], extra_cos)
            if cos is not None and extra_cos is not None:
                cos = np.maximum(cos, extra_cos)
            self._cache[text] = ScoredTopic.of(np.maximum(row, extra), cos, rule)

    def _cosines(self, texts: list[str]) -> np.ndarray | None:
        if self.vectors is None or self.paper_vectors is None:
            return None
        vectors = self.vectors.lookup(texts)
        return None if vectors is None else vectors @ self.paper_vectors.T
