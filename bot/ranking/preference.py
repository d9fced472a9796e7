"""What a reader's own signals say about a day's papers: a nearest-neighbour model per
reader over the papers they rated (👍 and ⭐ positive, 👎 negative) and the papers they
imported (positive), on the similarities the ranker already computes (fused words and
meaning). No training step: the model is the reader's rated papers, so it is as cheap as
one small matrix per reader, always current, and explainable by the papers it leans on.

- `score`: how much a paper resembles what the reader keeps (the mean of its closest
  positives and its single closest one), minus how much it resembles what they reject.
- `weight`: how much the model adds to the interests' score, growing with the evidence:
  n / (n + PRIOR) for n rated papers (1 rating: 0.2; 4: 0.5; 20: 0.83). A paper the
  model knows nothing about (no resemblance either way) keeps its interest score.
- `admit`: papers no interest matched that the reader's positives vouch for, past a cut-off
  of this reader's own: stricter the more they reject, looser the more they accept.
- `reject`: papers close to several papers the reader turned down, and closer to those
  than to anything they keep: dropped even when an interest matched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR = 4.0  # ratings at which the model counts as much as the interests
NEAREST = 3  # positives averaged for the neighbourhood part of the score
ADMIT_AT = 0.5  # resemblance to the positives that admits a paper, for a balanced reader
ADMIT_SPREAD = 0.15  # how far the reader's accept/reject balance moves that cut-off
REJECT_AT = 0.5  # resemblance to a rejected paper that counts as "like it"
REJECT_MARGIN = 0.1  # … and by how much it must exceed the resemblance to kept papers
REJECT_COUNT = 2  # rejected papers a paper must resemble to be dropped ("keeps rejecting")
MIN_NAMED = 0.2  # resemblance worth naming a positive in the reason


@dataclass(frozen=True)
class Learned:
    score: np.ndarray  # per candidate: resemblance to positives minus to negatives
    positive: np.ndarray  # per candidate: resemblance to positives alone
    negative: np.ndarray  # per candidate: resemblance to negatives alone
    weight: float
    admit: np.ndarray  # bool per candidate
    reject: np.ndarray  # bool per candidate
    positives: np.ndarray  # the rows it was learned from (P × candidates), for reasons
    negatives: np.ndarray  # (N × candidates)

    def nearest(self, i: int) -> list[int]:
        """The (at most two) positives candidate `i` resembles most, closest first."""
        column = self.positives[:, i]
        return [int(j) for j in np.argsort(-column, kind="stable")[:2]]

    def closest_negative(self, i: int) -> int:
        """The negative candidate `i` resembles most (-1: the reader rejected nothing)."""
        return int(self.negatives[:, i].argmax()) if len(self.negatives) else -1


def learn(positives: np.ndarray, negatives: np.ndarray) -> Learned:
    """The model from similarity rows: `positives` (P × papers) and `negatives`
    (N × papers), each entry in 0..1."""
    m = positives.shape[1] if positives.size else negatives.shape[1]
    pos = _resemblance(positives, m)
    neg = _resemblance(negatives, m)
    n_pos, n_neg = len(positives), len(negatives)
    n = n_pos + n_neg
    balance = (n_neg - n_pos) / n if n else 0.0
    admit_at = ADMIT_AT + ADMIT_SPREAD * balance
    like_rejected = (negatives >= REJECT_AT).sum(axis=0) if n_neg else np.zeros(m, dtype=int)
    reject = (like_rejected >= min(REJECT_COUNT, n_neg or 1)) & (neg > pos + REJECT_MARGIN)
    if n_neg == 0:
        reject = np.zeros(m, dtype=bool)
    return Learned(
        score=(pos - neg).astype(np.float32),
        positive=pos,
        negative=neg,
        weight=n / (n + PRIOR),
        admit=(pos >= admit_at) & ~reject,
        reject=reject,
        positives=positives,
        negatives=negatives,
    )


def _resemblance(rows: np.ndarray, m: int) -> np.ndarray:
    """Per paper: the mean of its NEAREST closest rated papers and its closest one."""
    if not rows.size:
        return np.zeros(m, dtype=np.float32)
    k = min(NEAREST, len(rows))
    top = np.partition(rows, len(rows) - k, axis=0)[len(rows) - k :]  # the k largest
    resemblance: np.ndarray = (0.5 * top.mean(axis=0) + 0.5 * top.max(axis=0)).astype(np.float32)
    return resemblance
