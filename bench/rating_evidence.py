"""Is there more in a reader's ratings than the reader model uses? (issue 33, third round)

Scenario 2 of bench/libraries.py on the tune readers, with the reader model's own pieces
(bot/ranking/reader_model.py and preference.py) in numpy. Every candidate of a reader's day
gets the features below; histories from TRAIN_REPS other deals of the corpus give the
training rows; a listwise ranker (softmax over each day's TOP candidates by the shipped
score, days with a library paper among them) learns a weight per feature; each learned
combination then picks the 5 shown papers over days on two sets of deals (reps 0-39 and
40-79) beside the shipped score, with and without ratings. Also: the top 5 diversified
(MMR). Precision of days 5-8 and the lift from ratings, as in docs/ranking.md.

Run: python -m bench.rating_evidence [--reps 40]   (about 12 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

import numpy as np

from bench.libraries import (
    DAYS,
    KNOWN,
    SEED,
    SHOWN,
    Corpus,
    Shower,
    load_corpus,
    load_readers,
    over_days,
)
from bot.ranking import preference, reader_model

TRAIN_REPS = range(200, 230)
TOP = 50
FEATURES = (
    "shipped",  # the reader model's score (facet-weighted resemblance minus the 👎 push)
    "kept_nearest",  # cosine to the nearest kept paper
    "kept_mean3",  # mean cosine to the 3 nearest kept papers
    "rejected_nearest",  # cosine to the nearest 👎
    "rejected_mean3",
    "push",  # how much closer to a 👎 than to any kept paper
    "words_kept",  # TF-IDF cosine to the nearest kept paper
    "words_rejected",  # TF-IDF cosine to the nearest 👎
    "rocchio",  # MiniLM: kept centroid − 0.25 × 👎 centroid
    "found_nearest",  # cosine to the nearest 👍 found on an earlier day (not a seed)
)
COMBINATIONS = {
    "score + nearness to 👎": ("shipped", "rejected_nearest", "rejected_mean3", "push"),
    "score + TF-IDF kept / 👎": ("shipped", "words_kept", "words_rejected"),
    "score + 👍 found": ("shipped", "found_nearest"),
    "all features": FEATURES,
}

Rows = tuple[np.ndarray, np.ndarray]  # features (papers × FEATURES), labels


def _top_mean(rows: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(rows))
    top: np.ndarray = np.partition(rows, len(rows) - k, axis=0)[len(rows) - k :]
    return top.mean(axis=0)


def shipped_day(
    corpus: Corpus, today: list[int], liked: list[int], disliked: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reader model's pieces over the protocol's papers file (today's papers and every
    rated paper): today's, the kept and the rejected vectors, centred on the file, and the
    shipped score of each of today's papers."""
    vectors = corpus.features.vectors
    file = list(dict.fromkeys([*today, *liked, *disliked]))
    centre = reader_model.centre_of(vectors[file])
    cand = reader_model.centred(vectors[today], centre)
    kept = reader_model.centred(vectors[liked], centre)
    rejected = reader_model.centred(vectors[disliked], centre) if disliked else kept[:0]
    fit = reader_model.fit(
        [corpus.papers[i] for i in liked],
        [corpus.papers[i] for i in disliked],
        rated=len(liked),
        vectors=(kept, rejected),
        centre=np.zeros(kept.shape[1], np.float32),
    )
    weights = fit.weights([corpus.papers[i].id for i in liked])
    shipped = preference.score_rows(kept @ cand.T, rejected @ cand.T, weights)
    return cand, kept, rejected, shipped


def features(
    corpus: Corpus, words: np.ndarray, today: list[int], liked: list[int], disliked: list[int]
) -> np.ndarray:
    """FEATURES of each of today's papers for a reader who kept `liked` (seeds first) and
    rejected `disliked`, over the protocol's papers file (today's and every rated paper)."""
    cand, kept, rejected, shipped = shipped_day(corpus, today, liked, disliked)
    pos, neg = kept @ cand.T, rejected @ cand.T
    m = len(today)
    zero = np.zeros(m, np.float32)
    rejected_nearest = neg.max(axis=0) if len(neg) else zero
    rocchio = cand @ (kept.mean(axis=0) - (0.25 * rejected.mean(axis=0) if len(neg) else 0))
    words_neg = words[disliked] @ words[today].T if disliked else None
    return np.stack(
        [
            shipped,
            pos.max(axis=0),
            _top_mean(pos, 3),
            rejected_nearest,
            _top_mean(neg, 3) if len(neg) else zero,
            np.maximum(rejected_nearest - pos.max(axis=0), 0),
            (words[liked] @ words[today].T).max(axis=0),
            words_neg.max(axis=0) if words_neg is not None else zero,
            rocchio,
            pos[KNOWN:].max(axis=0) if len(liked) > KNOWN else zero,
        ],
        axis=1,
    )


def training_days(corpus: Corpus, words: np.ndarray, reps: Sequence[int]) -> list[Rows]:
    """Each tune reader's days under the shipped model, with and without ratings: the top
    TOP candidates' features and whether each is in the library (days with one only)."""
    days_rows: list[Rows] = []
    for rep in reps:
        order = list(range(len(corpus.papers)))
        random.Random(SEED + rep).shuffle(order)
        days = [order[d::DAYS] for d in range(DAYS)]
        for reader in load_readers("tune"):
            seeds = random.Random(SEED + 1000 * rep + reader.line).sample(reader.library, KNOWN)
            library = set(reader.library)
            for ratings in (True, False):
                liked, disliked = list(seeds), list[int]()
                for day in days:
                    rated = set(liked) | set(disliked)
                    today = [i for i in day if i not in rated]
                    f = features(
                        corpus,
                        words,
                        today,
                        liked if ratings else seeds,
                        disliked if ratings else [],
                    )
                    order_today = np.argsort(-f[:, 0], kind="stable")
                    top = order_today[:TOP]
                    labels = np.array([today[i] in library for i in top], float)
                    if labels.any():
                        days_rows.append((f[top], labels))
                    picked = [today[i] for i in order_today[:SHOWN]]
                    liked += [i for i in picked if i in library]
                    disliked += [i for i in picked if i not in library]
    return days_rows


def fit_listwise(days_rows: list[Rows], columns: Sequence[int], steps: int = 600) -> np.ndarray:
    """Weights per feature (per unit) maximising the mean log-softmax probability of each
    day's library papers (Adam on standardised features, a little L2)."""
    x = np.vstack([f[:, columns] for f, _ in days_rows])
    y = np.concatenate([labels for _, labels in days_rows])
    group = np.concatenate([np.full(len(labels), g) for g, (_, labels) in enumerate(days_rows)])
    n_groups = len(days_rows)
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    share = y / np.bincount(group, weights=y)[group]
    w, m1, m2 = np.zeros(z.shape[1]), np.zeros(z.shape[1]), np.zeros(z.shape[1])
    for t in range(1, steps + 1):
        s = z @ w
        top = np.full(n_groups, -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        p = e / np.bincount(group, weights=e)[group]
        grad = z.T @ (p - share) / n_groups + 1e-3 * w
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad**2
        w -= 0.05 * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
    weights: np.ndarray = w / sd
    return weights


def learned_show(
    corpus: Corpus, words: np.ndarray, columns: Sequence[int], weights: np.ndarray
) -> Shower:
    def show(
        today: list[int], seeds: list[int], liked: list[int], disliked: list[int]
    ) -> list[int]:
        score = features(corpus, words, today, liked, disliked)[:, columns] @ weights
        return [today[i] for i in np.argsort(-score, kind="stable")[:SHOWN]]

    return show


def mmr_show(corpus: Corpus, words: np.ndarray, diversity: float) -> Shower:
    """The shipped score's top 5, each next pick penalised by `diversity` × its cosine to
    the nearest paper already picked."""

    def show(
        today: list[int], seeds: list[int], liked: list[int], disliked: list[int]
    ) -> list[int]:
        score = features(corpus, words, today, liked, disliked)[:, 0]
        unit = corpus.features.vectors[today]
        unit = unit / (np.linalg.norm(unit, axis=1, keepdims=True) + 1e-9)
        picked: list[int] = []
        for _ in range(min(SHOWN, len(today))):
            adjusted = score - (diversity * (unit @ unit[picked].T).max(axis=1) if picked else 0)
            adjusted[picked] = -np.inf
            picked.append(int(adjusted.argmax()))
        return [today[i] for i in picked]

    return show


def report(corpus: Corpus, shows: dict[str, Shower], reps: int) -> None:
    readers = load_readers("tune")
    for label, first in (
        (f"reps 0-{reps - 1}", 0),
        (f"reps {reps}-{2 * reps - 1}", reps),
    ):
        tally = over_days(corpus, readers, reps, shows, first)
        print(f"\n{label}: precision of days 5-8, no ratings → with ratings (lift)")
        for name in shows:
            prec = {}
            for cond in ("no ratings", "with ratings"):
                hits = tally.per_reader(f"{name}, {cond}: hits")
                shown = tally.per_reader(f"{name}, {cond}: shown")
                prec[cond] = float(np.mean(hits / np.maximum(shown, 1)))
            lift = prec["with ratings"] / prec["no ratings"] - 1
            print(
                f"  {name:<32} {prec['no ratings']:.4f} → {prec['with ratings']:.4f} ({lift:+.0%})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="deals per set (two sets)")
    args = parser.parse_args()
    started = time.monotonic()
    corpus = load_corpus()
    words = corpus.features.tfidf
    print(f"training histories: reps {TRAIN_REPS.start}-{TRAIN_REPS.stop - 1} …", flush=True)
    days_rows = training_days(corpus, words, TRAIN_REPS)
    print(f"  {len(days_rows)} reader-days, {time.monotonic() - started:.0f} s", flush=True)
    shows: dict[str, Shower] = {"shipped score": learned_show(corpus, words, [0], np.ones(1))}
    for name, names in COMBINATIONS.items():
        columns = [FEATURES.index(n) for n in names]
        weights = fit_listwise(days_rows, columns)
        print(
            f"  {name}: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(names, weights, strict=True))
        )
        shows[name] = learned_show(corpus, words, columns, weights)
    for diversity in (0.05, 0.15, 0.3):
        shows[f"top 5 diversified, λ {diversity}"] = mmr_show(corpus, words, diversity)
    report(corpus, shows, args.reps)
    print(f"\n{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
