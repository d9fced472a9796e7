"""What a reader's own model says about a day's papers, from the similarity of each paper
they kept (👍, ⭐, imported) and rejected (👎) to every candidate: the MiniLM cosine
measured from the day's centre (rated.py; words alone without embeddings), and what
bot/ranking/reader_model.py fitted (how much each kept paper counts, the reader's cut-off).

- `score`: how much a paper resembles what the reader keeps (the mean of its 3 nearest kept
  papers and its single nearest one, each weighted by its facet), minus how much closer it
  is to something they rejected than to anything they keep (a 👎 pushes away its own
  neighbourhood, not the facet it sits in).
- `weight`: how much the model adds to the interests' score, growing with the evidence:
  n / (n + PRIOR) for n rated and imported papers (1: 0.2; 4: 0.5; 20: 0.83). With none,
  the ranking is the interests' alone.
- `admit`: papers no interest matched that the model vouches for, past the reader's own
  cut-off (their accept/reject history) or, until they have one, ADMIT_AT.
- `reject`: none. Dropping papers like two or more rejected ones (even when an interest
  matched), as the nearest-neighbour model before did, cost the tune readers precision
  (0.049 → 0.046 with ratings): a 👎 demotes its neighbourhood instead, by `score`.

The constants were chosen on the tune half of the CiteULike dev readers
(bench/libraries.py), never on its held-out half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR = 4.0  # ratings at which the model counts as much as the interests
NEAREST = 3  # kept papers averaged for the neighbourhood part of the score
REPEL = 1.0  # score lost per unit a paper is closer to a 👎 than to any kept paper
# Default cut-off on the score: on the tune readers' days (241 papers) it admits about 4,
# the size of a digest, from 5 kept papers (precision 0.04, four times chance there).
ADMIT_AT = 0.35


@dataclass(frozen=True)
class Learned:
    score: np.ndarray  # per candidate: the model's score (see the module's docstring)
    positive: np.ndarray  # per candidate: resemblance to the kept papers alone
    negative: np.ndarray  # per candidate: what the rejected papers took off its score
    weight: float
    admit: np.ndarray  # bool per candidate
    reject: np.ndarray  # bool per candidate: dropped whatever else matched (none, above)
    positives: np.ndarray  # the rows it was learned from (P × candidates), for reasons
    negatives: np.ndarray  # (N × candidates)

    def nearest(self, i: int) -> list[int]:
        """The (at most two) kept papers candidate `i` resembles most, closest first."""
        column = self.positives[:, i]
        return [int(j) for j in np.argsort(-column, kind="stable")[:2]]

    def closest_negative(self, i: int) -> int:
        """The negative candidate `i` resembles most (-1: the reader rejected nothing)."""
        return int(self.negatives[:, i].argmax()) if len(self.negatives) else -1


def learn(
    positives: np.ndarray,
    negatives: np.ndarray,
    weights: np.ndarray | None = None,
    cutoff: float | None = None,
) -> Learned:
    """The model over a day from similarity rows: `positives` (P × papers) and `negatives`
    (N × papers); `weights` per kept paper (its facet's, from the fitted model; default 1)
    and the reader's own `cutoff` (default ADMIT_AT)."""
    m = positives.shape[1] if positives.size else negatives.shape[1]
    n_pos, n_neg = len(positives), len(negatives)
    positive = resemblance(positives, weights, m)
    score = positive - _repelled(positives, negatives, m)
    unweighted = weights is None or bool((weights == 1).all())
    bar = ADMIT_AT if cutoff is None else cutoff
    return Learned(
        score=score,
        positive=positive,
        # the 👎's doing: their facets' lower weight and the push away from them
        negative=(positive if unweighted else resemblance(positives, None, m)) - score,
        weight=(n_pos + n_neg) / (n_pos + n_neg + PRIOR),
        admit=score >= bar if n_pos else np.zeros(m, dtype=bool),
        reject=np.zeros(m, dtype=bool),
        positives=positives,
        negatives=negatives,
    )


def score_rows(
    positives: np.ndarray, negatives: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """The model's score of each column (a candidate): resemblance to the kept papers minus
    REPEL × how much closer it is to a rejected paper than to its nearest kept one."""
    m = positives.shape[1] if positives.size else negatives.shape[1]
    score: np.ndarray = resemblance(positives, weights, m) - _repelled(positives, negatives, m)
    return score


def _repelled(positives: np.ndarray, negatives: np.ndarray, m: int) -> np.ndarray:
    """REPEL × how much closer each paper is to a rejected paper than to any kept one."""
    if not len(negatives):
        return np.zeros(m, dtype=np.float32)
    nearest_kept = positives.max(axis=0) if len(positives) else np.zeros(m, dtype=np.float32)
    excess: np.ndarray = REPEL * np.maximum(negatives.max(axis=0) - nearest_kept, 0.0)
    return excess.astype(np.float32)


def resemblance(rows: np.ndarray, weights: np.ndarray | None, m: int) -> np.ndarray:
    """Per paper: the mean of its NEAREST closest rated papers and its closest one, each
    row scaled by its weight."""
    if not rows.size:
        return np.zeros(m, dtype=np.float32)
    if weights is not None:
        rows = rows * weights[:, None]
    k = min(NEAREST, len(rows))
    top = np.partition(rows, len(rows) - k, axis=0)[len(rows) - k :]  # the k largest
    resemblance: np.ndarray = (0.5 * top.mean(axis=0) + 0.5 * top.max(axis=0)).astype(np.float32)
    return resemblance
