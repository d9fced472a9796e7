"""Does the structure of the papers file add to what a reader's ratings buy? (issue 33)

Scenario 2 of bench/libraries.py on the tune readers (never the held-out ones), with the
shipped reader model's score reimplemented in numpy as in bench/rating_evidence.py, beside
scores that also use the unlabelled papers of the protocol's papers file (today's papers
plus every rated paper):

- PPR: a kNN graph of the file (each paper's k nearest by cosine of the centred MiniLM
  vectors, as the reader model measures them; symmetrised, row-normalised); personalized
  PageRank from the kept papers (seeds and 👍 found), restart probability alpha, POWER
  iterations; a day's paper is ranked by z(shipped score) + beta × z(PPR mass) (z-scores
  over the day's papers, so beta is the graph's weight relative to the shipped score).
- PRF (pseudo-relevance feedback): today's top 3 by the shipped score join the restart
  vector (0.3 of a kept paper each), or join the kept centroid at weight 0.3.
- signed: PPR from the kept papers minus 0.25 × PPR from the 👎.

Each variant picks the 5 shown papers over the days with and without ratings on two sets of
deals (reps 0-39 and 40-79, the same as bench.rating_evidence); printed: precision of days
5-8, no ratings → with ratings, and the lift. Settings are read off reps 0-39 and checked on
40-79.

Run: python -m bench.graph_evidence [--reps 40]   (about 11 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from bench.libraries import SHOWN, Corpus, Shower, load_corpus
from bench.rating_evidence import report, shipped_day

POWER = 20  # power iterations of personalized PageRank
PRF_TOP, PRF_WEIGHT = 3, 0.3  # pseudo-kept papers: today's top 3, each 0.3 of a kept paper
SIGNED = 0.25  # the 👎's PPR is subtracted at this weight


@dataclass(frozen=True)
class Day:
    """One reader-day: the shipped score of today's papers and the file's centred vectors
    (today's papers first, then the kept, then the 👎)."""

    shipped: np.ndarray
    unit: np.ndarray
    today: int
    kept: int


@dataclass(frozen=True)
class Setting:
    k: int = 10
    alpha: float = 0.3
    beta: float = 0.5
    prf: str = ""  # "", "restart" (top 3 as restart nodes) or "centroid" (in the kept mean)
    signed: bool = False


class Days:
    """The shipped score of each reader-day, remembered (the first day and unchanged days
    are shared by the variants)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.seen: dict[tuple[tuple[int, ...], ...], Day] = {}

    def __call__(self, today: list[int], liked: list[int], disliked: list[int]) -> Day:
        key = (tuple(today), tuple(liked), tuple(disliked))
        day = self.seen.get(key)
        if day is None:
            if len(self.seen) > 400:  # one reader-deal of every variant
                self.seen.clear()
            day = self.seen[key] = self._day(today, liked, disliked)
        return day

    def _day(self, today: list[int], liked: list[int], disliked: list[int]) -> Day:
        cand, kept, rejected, shipped = shipped_day(self.corpus, today, liked, disliked)
        return Day(shipped, np.vstack([cand, kept, rejected]), len(today), len(liked))


def z(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x - x.mean()) / (x.std() + 1e-12)
    return out


def walk(unit: np.ndarray, k: int) -> np.ndarray:
    """The row-normalised, symmetrised kNN graph (k nearest by cosine, no self-loops)."""
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    n = len(unit)
    near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    adjacency = np.zeros((n, n), np.float64)
    adjacency[np.repeat(np.arange(n), k), near.ravel()] = 1.0
    adjacency = np.maximum(adjacency, adjacency.T)
    out: np.ndarray = adjacency / adjacency.sum(axis=1, keepdims=True)
    return out


def ppr(step: np.ndarray, restart: np.ndarray, alpha: float) -> np.ndarray:
    """Personalized PageRank mass: r ← alpha × restart + (1 − alpha) × r P, POWER times."""
    restart = restart / restart.sum()
    r = restart.copy()
    for _ in range(POWER):
        r = alpha * restart + (1 - alpha) * (r @ step)
    return r


def graph_score(day: Day, s: Setting) -> np.ndarray:
    """z(shipped) + beta × z(graph evidence) over today's papers."""
    m, n = day.today, len(day.unit)
    top = np.argsort(-day.shipped, kind="stable")[:PRF_TOP]
    if s.prf == "centroid":
        kept = day.unit[m : m + day.kept]
        centroid = kept.sum(axis=0) + PRF_WEIGHT * day.unit[top].sum(axis=0)
        evidence = day.unit[:m] @ (centroid / np.linalg.norm(centroid))
        return z(day.shipped) + s.beta * z(evidence)
    step = walk(day.unit, min(s.k, n - 1))
    restart = np.zeros(n)
    restart[m : m + day.kept] = 1.0
    if s.prf == "restart":
        restart[top] += PRF_WEIGHT
    mass = ppr(step, restart, s.alpha)
    if s.signed and n > m + day.kept:
        against = np.zeros(n)
        against[m + day.kept :] = 1.0
        mass = mass - SIGNED * ppr(step, against, s.alpha)
    return z(day.shipped) + s.beta * z(mass[:m])


def show_by(days: Days, score: Callable[[Day], np.ndarray]) -> Shower:
    def show(
        today: list[int], seeds: list[int], liked: list[int], disliked: list[int]
    ) -> list[int]:
        values = score(days(today, liked, disliked))
        return [today[i] for i in np.argsort(-values, kind="stable")[:SHOWN]]

    return show


VARIANTS = {
    "PPR k10 α0.3 β0.25": Setting(10, 0.3, 0.25),
    "PPR k10 α0.3 β0.5": Setting(10, 0.3, 0.5),
    "PPR k10 α0.3 β1.0": Setting(10, 0.3, 1.0),
    "PPR k5 α0.3 β0.5": Setting(5, 0.3, 0.5),
    "PPR k10 α0.6 β0.5": Setting(10, 0.6, 0.5),
    "PPR k5 α0.6 β0.5": Setting(5, 0.6, 0.5),
    "PPR k10 α0.3 β0.5 + PRF restart": Setting(10, 0.3, 0.5, prf="restart"),
    "kept centroid + PRF 0.3, β0.5": Setting(beta=0.5, prf="centroid"),
    "PPR k10 α0.3 β0.5 signed": Setting(10, 0.3, 0.5, signed=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="deals per set (two sets)")
    args = parser.parse_args()
    started = time.monotonic()
    corpus = load_corpus()
    days = Days(corpus)
    shows: dict[str, Shower] = {"shipped score": show_by(days, lambda d: d.shipped)}
    for name, setting in VARIANTS.items():
        shows[name] = show_by(days, partial(graph_score, s=setting))
    print(f"corpus loaded, {time.monotonic() - started:.0f} s", flush=True)
    report(corpus, shows, args.reps)
    print(f"\n{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
