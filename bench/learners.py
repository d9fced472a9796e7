"""The classic per-reader learners Paperboy's reader model is measured against
(bench/libraries.py), in numpy, each as its authors run it as far as numpy allows:

- TF-IDF centroid: cosine to the mean TF-IDF vector of the liked papers.
- MiniLM centroid: cosine to the mean MiniLM vector of the liked papers (likes only).
- Rocchio: MiniLM, mean of likes minus 0.25 × mean of dislikes.
- TF-IDF SVM, as arxiv-sanity-lite ranks a user's tagged papers: its TF-IDF (compute.py:
  uni+bigrams, sublinear tf, l2, min_df 5, max_df 0.5; the 10-20k feature cap does not bind
  here) and a linear SVM (serve.py: LinearSVC, class_weight balanced, C=0.1, so squared
  hinge with the intercept as a feature), liked papers positive and every other paper of
  the papers file negative (dislikes too). scikit-learn's liblinear is replaced by 300
  steps of accelerated gradient descent on the same objective, carried in the span of the
  training papers (a Gram matrix: each step is the primal gradient step; checked against
  primal gradient descent on one reader, scores correlate 1.000). Not checked against
  liblinear itself (no scikit-learn here).
- Embedding LR, as Scholar Inbox trains a user: logistic regression on (MiniLM) embeddings,
  likes positive, dislikes and 100 random papers of the file negative, L2 (C = 1), 200
  gradient steps.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.text import STOP_WORDS


@dataclass
class Features:
    vectors: np.ndarray  # MiniLM, unit rows
    tfidf: np.ndarray  # unit rows
    _gram: np.ndarray | None = None

    @property
    def gram(self) -> np.ndarray:
        """TF-IDF inner products of every pair, plus 1 (the SVM's intercept feature)."""
        if self._gram is None:
            self._gram = (self.tfidf @ self.tfidf.T).astype(np.float64) + 1.0
        return self._gram


# (features, liked, disliked, candidates) -> a score per candidate (higher: show first)
Learner = Callable[[Features, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def tfidf_matrix(texts: Sequence[str], min_df: int = 5, max_df: float = 0.5) -> np.ndarray:
    """arxiv-sanity-lite's TF-IDF (see the module docstring), as a dense matrix."""

    def grams(text: str) -> list[str]:
        words = [
            w for w in re.findall(r"\b[a-z_][a-z0-9_]+\b", text.lower()) if w not in STOP_WORDS
        ]
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    docs = [Counter(grams(t)) for t in texts]
    df = Counter(term for doc in docs for term in doc)
    n = len(docs)
    terms = sorted(t for t, c in df.items() if min_df <= c <= max_df * n)
    index = {t: i for i, t in enumerate(terms)}
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in terms], dtype=np.float32)
    matrix = np.zeros((n, len(terms)), dtype=np.float32)
    for i, doc in enumerate(docs):
        for term, count in doc.items():
            j = index.get(term)
            if j is not None:
                matrix[i, j] = (1 + math.log(count)) * idf[j]
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
    return matrix


def tfidf_centroid(
    f: Features, liked: np.ndarray, disliked: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    scores: np.ndarray = f.tfidf[cand] @ f.tfidf[liked].mean(axis=0)
    return scores


def minilm_centroid(
    f: Features, liked: np.ndarray, disliked: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    scores: np.ndarray = f.vectors[cand] @ f.vectors[liked].mean(axis=0)
    return scores


def rocchio(f: Features, liked: np.ndarray, disliked: np.ndarray, cand: np.ndarray) -> np.ndarray:
    query = f.vectors[liked].mean(axis=0)
    if len(disliked):
        query = query - 0.25 * f.vectors[disliked].mean(axis=0)
    scores: np.ndarray = f.vectors[cand] @ query
    return scores


def tfidf_svm(
    f: Features, liked: np.ndarray, disliked: np.ndarray, cand: np.ndarray, c: float = 0.1
) -> np.ndarray:
    """Squared hinge, balanced class weights, liked vs every other paper of the file."""
    negatives = np.setdiff1d(np.union1d(cand, disliked), liked)
    train = np.concatenate([liked, negatives])
    y = np.concatenate([np.ones(len(liked)), -np.ones(len(negatives))])
    weight = np.where(y > 0, len(train) / (2 * len(liked)), len(train) / (2 * len(negatives)))
    k = f.gram[np.ix_(train, train)]
    step = 1.0 / (1.0 + 2 * c * float((weight * np.diag(k)).sum()))
    beta = np.zeros(len(train))
    ahead, t_prev = beta.copy(), 1.0
    for _ in range(300):  # w = sum beta_i x_i; the step is the primal gradient's
        margin = 1 - y * (k @ ahead)
        residual = np.where(margin > 0, -2 * c * weight * y * margin, 0.0)
        nxt = ahead - step * (ahead + residual)
        t = (1 + math.sqrt(1 + 4 * t_prev**2)) / 2
        ahead = nxt + (t_prev - 1) / t * (nxt - beta)
        beta, t_prev = nxt, t
    scores: np.ndarray = f.gram[np.ix_(cand, train)] @ beta
    return scores


def embedding_lr(
    f: Features, liked: np.ndarray, disliked: np.ndarray, cand: np.ndarray, n_random: int = 100
) -> np.ndarray:
    """Logistic regression, likes vs dislikes and random papers of the file (seeded)."""
    rng = np.random.default_rng(len(liked) * 7919 + len(disliked))
    pool = np.setdiff1d(cand, np.union1d(liked, disliked))
    random = rng.choice(pool, min(n_random, len(pool)), replace=False)
    train = np.concatenate([liked, disliked, random]).astype(int)
    y = np.concatenate([np.ones(len(liked)), np.zeros(len(disliked) + len(random))])
    x = np.hstack([f.vectors[train], np.ones((len(train), 1), dtype=np.float32)])
    w = np.zeros(x.shape[1])
    for _ in range(200):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= 4.0 * (x.T @ (p - y) / len(train) + w / len(train))
    scores: np.ndarray = f.vectors[cand] @ w[:-1]
    return scores


def baselines() -> dict[str, Learner]:
    return {
        "TF-IDF centroid": tfidf_centroid,
        "MiniLM centroid": minilm_centroid,
        "Rocchio (MiniLM)": rocchio,
        "TF-IDF SVM (arxiv-sanity)": tfidf_svm,
        "embedding LR (Scholar Inbox)": embedding_lr,
    }
