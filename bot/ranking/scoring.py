"""How lexical and semantic evidence become one topic score, and where the cut-off falls.

A single absolute threshold dropped papers users came for: score scales differ between
interests ("LoRA" vs "distributed training of LLMs") and days. The cut-off is per interest:

* below a floor, never (this is what keeps off-topic interests empty);
* at or above `clear`, always (a plain match);
* in between, kept when it is among the interest's best today (within the top
  `RELATIVE_TOP` and at least `ratio` × the interest's best score) and, with embeddings,
  its meaning agrees (cosine ≥ `min_cosine`): one shared generic word ("code", "structure")
  is not enough;
* with embeddings, once an interest has such a plain match, its other top papers whose
  meaning agrees well (cosine ≥ `companion_cosine`) come along down to `companion_floor`:
  related work on a day the interest clearly has a topic, never for an interest with none.

The numbers were chosen on four dev sets together, two labelled by the team (the bundled
sample day; an arXiv search in which nearly every paper says "testing") and two labelled by
people outside it (the sample day again; a Daily Papers day), all with off-topic interests,
by bench/tune_cutoff.py's rule, fixed before it ran: the fusion with the largest smallest
nDCG@10 margin over BM25/TF-IDF; then no paper for an off-topic interest, pooled precision
≥ 0.65, the fewest empty interests and the most recall. bench/eval_ranking.py reports them
on the test days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# MiniLM cosines between an interest and an abstract rarely pass 0.6-0.8 even squarely on
# topic; 0..0.8 is mapped to 0..1 so it can be fused with the 0..1 lexical coverage (both
# chosen on the four dev sets, see bench/tune_cutoff.py).
COSINE_CEILING = 0.80
LEXICAL_WEIGHT = 0.70  # of the fused score, when embeddings are available
RELATIVE_TOP = 10


@dataclass(frozen=True)
class CutOff:
    floor: float
    clear: float
    ratio: float
    min_cosine: float = 0.0
    # Once an interest has a paper clearing the rules above, its top papers that agree in
    # meaning this well (and score at least `companion_floor`) come along: they share the
    # topic, not just a word. An interest with no plain match gets none of them.
    companion_cosine: float | None = None
    companion_floor: float = 0.0


HYBRID_CUTOFF = CutOff(
    floor=0.31, clear=0.45, ratio=0.50, min_cosine=0.40, companion_cosine=0.35, companion_floor=0.25
)
# Without embeddings (PAPERBOY_EMBEDDINGS=off, or the endpoint is down) fewer papers can be
# told apart from noise: only the interest's best one below `clear`.
LEXICAL_CUTOFF = CutOff(floor=0.29, clear=0.45, ratio=1.0)


def calibrate(cosines: np.ndarray) -> np.ndarray:
    return np.clip(cosines / COSINE_CEILING, 0.0, 1.0).astype(np.float32)


def fuse(lexical: np.ndarray, cosines: np.ndarray | None) -> np.ndarray:
    """One 0..1 topic score per paper: lexical coverage, blended with meaning when known."""
    if cosines is None:
        return lexical.astype(np.float32)
    blended = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * calibrate(cosines)
    return blended.astype(np.float32)


def passes(scores: np.ndarray, rule: CutOff, cosines: np.ndarray | None = None) -> np.ndarray:
    """Which papers clear the cut-off for one interest (a boolean mask over `scores`)."""
    keep = scores >= rule.clear
    if len(scores) == 0:
        return keep
    top = _top_indices(scores, RELATIVE_TOP)
    best = float(scores.max())
    near_best = top[scores[top] >= rule.ratio * best]
    if cosines is not None:
        near_best = near_best[cosines[near_best] >= rule.min_cosine]
    keep[near_best] = True
    keep &= scores >= rule.floor
    if cosines is not None and rule.companion_cosine is not None and keep.any():
        agree = (cosines[top] >= rule.companion_cosine) & (scores[top] >= rule.companion_floor)
        keep[top[agree]] = True
    return keep


def near_misses(rule: CutOff, cosines: np.ndarray | None) -> np.ndarray | None:
    """Papers worth naming as "closest, weaker matches" on a day nothing passed: those
    whose meaning agrees as the cut-off asks (cosine >= `min_cosine`). Words alone do not
    qualify: on the dev sets off-topic interests reach lexical scores of 0.44 from a
    passing mention ("speech recognition" in a testing paper), while no off-topic
    interest has a paper at cosine 0.40. None without embeddings: nothing is near."""
    if cosines is None or rule.min_cosine <= 0:
        return None
    return cosines >= rule.min_cosine


def _top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """The indices of the `k` best scores (ties broken by position, as a stable sort
    would), in no particular order: a partition, not a sort of the whole day."""
    if len(scores) <= k:
        return np.arange(len(scores))
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th largest
    above = np.flatnonzero(scores > kth)
    ties = np.flatnonzero(scores == kth)[: k - len(above)]
    return np.concatenate([above, ties])
