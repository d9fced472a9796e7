"""How lexical and semantic evidence become one topic score, and where the cut-off falls.

A single absolute threshold dropped papers users came for: score scales differ between
interests ("LoRA" vs "distributed training of LLMs") and days. The cut-off is per interest:

* below a floor, never (this is what keeps off-topic interests empty);
* at or above `clear`, always (a plain match);
* in between, kept when it is among the interest's best today: within the top
  `RELATIVE_TOP` and at least `ratio` × the interest's best score.

The numbers were chosen on the dev day of bench/relevance only (the bundled sample day);
bench/eval_ranking.py reports them on the test days and on SciFact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# MiniLM cosines between an interest and an abstract rarely pass 0.7 even squarely on topic;
# 0..0.7 is mapped to 0..1 so it can be fused with the 0..1 lexical coverage.
COSINE_CEILING = 0.70
LEXICAL_WEIGHT = 0.60  # of the fused score, when embeddings are available
RELATIVE_TOP = 10


@dataclass(frozen=True)
class CutOff:
    floor: float
    clear: float
    ratio: float


HYBRID_CUTOFF = CutOff(floor=0.22, clear=0.50, ratio=0.60)
LEXICAL_CUTOFF = CutOff(floor=0.20, clear=0.50, ratio=0.45)


def calibrate(cosines: np.ndarray) -> np.ndarray:
    return np.clip(cosines / COSINE_CEILING, 0.0, 1.0).astype(np.float32)


def fuse(lexical: np.ndarray, cosines: np.ndarray | None) -> np.ndarray:
    """One 0..1 topic score per paper: lexical coverage, blended with meaning when known."""
    if cosines is None:
        return lexical.astype(np.float32)
    blended = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * calibrate(cosines)
    return blended.astype(np.float32)


def passes(scores: np.ndarray, rule: CutOff) -> np.ndarray:
    """Which papers clear the cut-off for one interest (a boolean mask over `scores`)."""
    keep = scores >= rule.clear
    if len(scores) == 0:
        return keep
    top = np.argsort(-scores, kind="stable")[:RELATIVE_TOP]
    best = float(scores[top[0]])
    near_best = top[scores[top] >= rule.ratio * best]
    keep[near_best] = True
    return keep & (scores >= rule.floor)
