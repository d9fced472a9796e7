"""A reader's kept (👍, ⭐, imported) and rejected (👎) papers over one day: each one's
similarity to every candidate, and the model (reader_model.py) that preference.py applies
to those rows."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from bot.ranking.lexical import LexicalIndex
from bot.ranking.preference import Learned, learn
from bot.ranking.profiles import Profile
from bot.ranking.reader_model import ReaderModel, centre_of, centred, fit, model_key
from bot.ranking.semantic import VectorStore
from storage.papers import Paper

RATED_CACHE = 4096  # rated papers whose similarity rows are kept


class RatedRows:
    """Rated papers against one day's candidates, kept per paper id: readers rate the
    same papers."""

    def __init__(
        self,
        size: int,
        lexical: LexicalIndex,
        vectors: VectorStore | None,
        paper_vectors: np.ndarray | None,
    ) -> None:
        self.size = size
        self.lexical = lexical
        self.vectors = vectors
        self.paper_vectors = paper_vectors
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._centred: tuple[np.ndarray, np.ndarray] | None = None  # (centre, papers)

    def learned(self, profile: Profile) -> Learned | None:
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
            self.rows(profile.positives),
            self.rows(profile.disliked),
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

    def rows(self, papers: Sequence[Paper]) -> np.ndarray:
        """Each rated paper's similarity to every candidate: the cosine of their MiniLM
        vectors measured from the day's centre (reader_model.py), or without embeddings
        the paper's title and keywords as a lexical query."""
        missing = [p for p in dict.fromkeys(papers) if p.id not in self._cache]
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
                self._cache[paper.id] = row.astype(np.float32)
            while len(self._cache) > RATED_CACHE:
                self._cache.popitem(last=False)
        if not papers:
            return np.zeros((0, self.size), dtype=np.float32)
        found = []
        for paper in papers:
            row = self._cache.get(paper.id)
            if row is None:  # evicted by this very call (a profile larger than the cache)
                row = self.rows([paper])[0]
            self._cache.move_to_end(paper.id)
            found.append(row)
        return np.vstack(found)


def _query_of(paper: Paper) -> str:
    return f"{paper.title} {' '.join(paper.keywords)}"
