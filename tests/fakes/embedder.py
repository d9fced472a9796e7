"""A deterministic stand-in for an embedding model: hashed bag of words, plus synonym
groups so that tests can express "close in meaning, no shared words"."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from bot.text import content_stems

DIM = 64


class HashingEmbedder:
    name = "test-hashing"

    def __init__(self, synonyms: Sequence[set[str]] = (), dim: int = DIM) -> None:
        self.calls = 0
        self.dim = dim
        self._canonical = {word: min(group) for group in synonyms for word in group}

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_now(texts)

    def embed_now(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_stems(text):
                word = self._canonical.get(word, word)
                bucket = int(hashlib.sha1(word.encode()).hexdigest(), 16) % self.dim
                out[row, bucket] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
