"""Each reader's own model, fitted from what they rated and imported; preference.py applies
it to a day. What it learns, beyond the papers themselves:

- facets: the papers a reader keeps (👍, ⭐, imported), clustered (spherical k-means on their
  MiniLM vectors, k growing with the library), so a many-sided library is not averaged into
  one point: a paper is scored by the kept papers nearest to it, whichever facet they are in;
- how their 👎 judged each facet: each rejected paper is charged to the facet of the kept
  paper it is nearest to, and a facet's papers count for less the more of its neighbours
  were rejected (1 / (1 + 0.3 × rejected / papers)), so three 👎 in one facet demote that
  facet and leave the others alone;
- their own cut-off: once they have rated enough, the bar a paper must clear to be sent
  comes from their accept/reject history (each rated paper scored by the rest, leave one
  out), not from a constant.

Vectors are measured from the centre of the day's papers (the unrated papers of the day are
the weak negatives: what every paper shares says nothing about this reader). Fitting takes
a few milliseconds; the fit is stored per reader (storage/reader_models.py) and refitted
when what it was fitted from changes (its `key`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from bot.ranking.preference import ADMIT_AT, score_rows
from bot.text import tokenize
from storage.papers import Paper

VERSION = 1  # bump when a change makes stored fits wrong; they are refitted
MAX_FACETS = 6
FACET_PENALTY = 0.3  # chosen on the tune readers (0.1 / 0.3 / 1.0: within noise; 0.3 best)
# The centre of a day shrinks towards no centring on small days: a day of 2 papers does not
# say what papers share (with 100+ it is nearly the plain mean). 50 cost the tune readers
# 0.002 of precision with ratings against the plain mean; 10 is level with it.
CENTRE_PRIOR = 10.0
HISTORY_MIN = 10  # ratings before the reader's own cut-off replaces the default one
HISTORY_PRIOR = 10.0  # … which it is shrunk towards while the history is short
# Without embeddings the similarities are words (a paper's title as a query, 0..1 of its
# best score): the cut-off the model had before it had facets, 0.5 moved by up to ±0.15 by
# the balance of 👎 and 👍 (more 👎: stricter).
LEXICAL_ADMIT_AT = 0.5
LEXICAL_SPREAD = 0.15
KMEANS_ROUNDS = 10
WORDS_PER_FACET = 3


@dataclass(frozen=True)
class Facet:
    papers: tuple[str, ...]  # ids of its kept papers, most central first
    titles: tuple[str, ...]  # their titles, same order (for /learned)
    words: tuple[str, ...]  # what its papers share, in their own words
    rejected: int  # 👎 whose nearest kept paper is in this facet

    @property
    def weight(self) -> float:
        """How much its papers count: less the more of their neighbours were rejected."""
        return 1.0 / (1.0 + FACET_PENALTY * self.rejected / len(self.papers))


@dataclass(frozen=True)
class ReaderModel:
    key: str  # what it was fitted from (model_key); a different key means refit
    facets: tuple[Facet, ...]
    cutoff: float | None  # the reader's own bar on the model's score (None: the default)
    accepted: int  # ratings it was fitted from: 👍/⭐ …
    rejected: int  # … and 👎

    def weights(self, ids: Sequence[str]) -> np.ndarray:
        """Per kept paper (by id, in the given order): its facet's weight (1 if unknown)."""
        by_id = self._weight_of
        return np.array([by_id.get(pid, 1.0) for pid in ids], dtype=np.float32)

    @cached_property
    def _weight_of(self) -> dict[str, float]:
        return {pid: f.weight for f in self.facets for pid in f.papers}

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "key": self.key,
                "cutoff": self.cutoff,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "facets": [
                    {
                        "papers": f.papers,
                        "titles": f.titles,
                        "words": f.words,
                        "rejected": f.rejected,
                    }
                    for f in self.facets
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ReaderModel | None:
        """The stored fit, or None when it is of another version or unreadable (refit)."""
        try:
            data = json.loads(text)
            if data.get("version") != VERSION:
                return None
            facets = tuple(
                Facet(tuple(f["papers"]), tuple(f["titles"]), tuple(f["words"]), int(f["rejected"]))
                for f in data["facets"]
            )
            cutoff = data["cutoff"]
            return cls(
                str(data["key"]),
                facets,
                None if cutoff is None else float(cutoff),
                int(data["accepted"]),
                int(data["rejected"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def model_key(positives: Sequence[Paper], negatives: Sequence[Paper], rated: int) -> str:
    """What a fit depends on: the kept papers (the first `rated` of them rated, the rest
    imported) and the rejected ones."""
    parts = [str(VERSION), str(rated), *(p.id for p in positives), "|", *(p.id for p in negatives)]
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()


def centre_of(vectors: np.ndarray) -> np.ndarray:
    """The day's centre: the mean of its papers' vectors, shrunk towards 0 on small days."""
    total = vectors.sum(axis=0, dtype=np.float64)
    centre: np.ndarray = (total / (len(vectors) + CENTRE_PRIOR)).astype(np.float32)
    return centre


def centred(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Unit vectors measured from `centre` (cosines of these are what the model compares)."""
    if not vectors.size:
        return np.zeros((0, len(centre)), dtype=np.float32)
    shifted = vectors.astype(np.float32) - centre
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    unit: np.ndarray = shifted / np.maximum(norms, 1e-6)
    return unit


def fit(
    positives: Sequence[Paper],
    negatives: Sequence[Paper],
    *,
    rated: int,
    vectors: tuple[np.ndarray, np.ndarray] | None,
    centre: np.ndarray | None,
) -> ReaderModel:
    """The model of a reader who keeps `positives` (the first `rated` from 👍/⭐, the rest
    imported) and rejected `negatives`, from the papers' vectors (None: no embeddings, one
    facet and the default cut-off), measured from the day's `centre`."""
    key = model_key(positives, negatives, rated)
    if vectors is None or not positives:
        facet = _facet(list(positives), len(negatives), _title_df(positives), len(positives))
        balance = (len(negatives) - len(positives)) / max(1, len(negatives) + len(positives))
        bar = None if vectors is not None else LEXICAL_ADMIT_AT + LEXICAL_SPREAD * balance
        return ReaderModel(key, (facet,) if positives else (), bar, rated, len(negatives))
    zero = np.zeros(vectors[0].shape[1], dtype=np.float32)
    kept = centred(vectors[0], zero if centre is None else centre)
    rejected = centred(vectors[1], zero if centre is None else centre)
    labels = _kmeans(kept, facet_count(len(positives)))
    charged = np.zeros(labels.max() + 1, dtype=int)
    if len(negatives):
        nearest = (rejected @ kept.T).argmax(axis=1)
        np.add.at(charged, labels[nearest], 1)
    facets, df = [], _title_df(positives)
    for f in range(labels.max() + 1):
        members = np.flatnonzero(labels == f)
        middle = kept[members].sum(axis=0)
        order = members[np.argsort(-(kept[members] @ middle), kind="stable")]
        facets.append(_facet([positives[i] for i in order], int(charged[f]), df, len(positives)))
    facets.sort(key=lambda f: -len(f.papers))
    model = ReaderModel(key, tuple(facets), None, rated, len(negatives))
    return ReaderModel(
        key, model.facets, _cutoff(model, kept, rejected, positives, rated), rated, len(negatives)
    )


def facet_count(n: int) -> int:
    """Facets for a library of n kept papers: 1 up to 4, 2 at 5-12, 3 at 13-24 … at most 6."""
    return max(1, min(MAX_FACETS, n, round(math.sqrt(n / 2))))


def _kmeans(unit: np.ndarray, k: int) -> np.ndarray:
    """Spherical k-means with farthest-point seeding (deterministic: no random start)."""
    if k <= 1:
        return np.zeros(len(unit), dtype=int)
    seeds = [0]
    distance = 1.0 - unit @ unit[0]
    for _ in range(1, k):
        seeds.append(int(distance.argmax()))
        distance = np.minimum(distance, 1.0 - unit @ unit[seeds[-1]])
    centres = unit[seeds].copy()
    labels = np.zeros(len(unit), dtype=int)
    for _ in range(KMEANS_ROUNDS):
        new = (unit @ centres.T).argmax(axis=1)
        if _ and np.array_equal(new, labels):
            break
        labels = new
        for f in range(k):
            members = unit[labels == f]
            if len(members):
                total = members.sum(axis=0)
                centres[f] = total / max(float(np.linalg.norm(total)), 1e-6)
    _, dense = np.unique(labels, return_inverse=True)  # drop facets left empty
    return dense.astype(int)


def _facet(papers: list[Paper], rejected: int, df: Counter[str], n: int) -> Facet:
    return Facet(
        tuple(p.id for p in papers), tuple(p.title for p in papers), _words(papers, df, n), rejected
    )


def _words(papers: list[Paper], df: Counter[str], n: int) -> tuple[str, ...]:
    """The title words this facet's papers share most and the reader's other papers least
    (tf-idf over the reader's n kept papers, `df` their title words), each as the papers
    spell it."""
    tf: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for p in papers:
        for stem, surface in _title_words(p.title):
            tf[stem] += 1
            spelled.setdefault(stem, Counter())[surface] += 1
    weight = {s: c * math.log((1 + n) / (1 + df[s])) for s, c in tf.items()}
    best = sorted(weight, key=lambda s: (-weight[s], s))[:WORDS_PER_FACET]
    return tuple(spelled[s].most_common(1)[0][0] for s in best)


@lru_cache(maxsize=8192)
def _title_words(title: str) -> tuple[tuple[str, str], ...]:
    """(stem, lower-case word) of a title's words worth naming: a reader's library is
    refitted after every rating, its titles tokenised once."""
    return tuple(
        (t.stem, t.surface.lower())
        for t in tokenize(title)
        if len(t.surface) > 2 and not t.surface.isdigit()
    )


def _title_df(papers: Sequence[Paper]) -> Counter[str]:
    df: Counter[str] = Counter()
    for p in papers:
        df.update({stem for stem, _ in _title_words(p.title)})
    return df


def _cutoff(
    model: ReaderModel,
    kept: np.ndarray,
    rejected: np.ndarray,
    positives: Sequence[Paper],
    rated: int,
) -> float | None:
    """The reader's own bar, once they rated HISTORY_MIN papers with at least one of each
    kind: every rated paper is scored by the model without it (leave one out); the bar is
    where the accepted ones clear it and the rejected ones do not, as well as can be
    (largest true-positive minus false-positive rate), shrunk towards the default while
    the history is short."""
    if rated + len(rejected) < HISTORY_MIN or rated == 0 or len(rejected) == 0:
        return None
    weights = model.weights([p.id for p in positives])
    history = np.vstack([kept[:rated], rejected])
    pos_rows = kept @ history.T  # kept paper × rated paper
    neg_rows = rejected @ history.T
    scores = np.empty(len(history), dtype=np.float32)
    for j in range(len(history)):
        keep_pos = np.arange(len(kept)) != (j if j < rated else -1)  # j < rated: kept paper j
        keep_neg = np.arange(len(rejected)) != j - rated
        scores[j] = score_rows(
            pos_rows[keep_pos][:, [j]], neg_rows[keep_neg][:, [j]], weights[keep_pos]
        )[0]
    accepted, refused = scores[:rated], scores[rated:]
    best, bar = -2.0, ADMIT_AT
    for t in np.unique(scores):
        youden = float((accepted >= t).mean() - (refused >= t).mean())
        if youden > best:
            best, bar = youden, float(t)
    n = len(history)
    return (n * bar + HISTORY_PRIOR * ADMIT_AT) / (n + HISTORY_PRIOR)
