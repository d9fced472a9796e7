"""Semantic relevance: embedding vectors, computed once per (text, model) and kept in SQLite.

Vectors are keyed by a hash of the exact text embedded and by the model's name, so a new
version of an abstract gets a new vector and switching models never mixes vectors. Async
callers `ensure` what they will need (remote embeddings are only reachable that way); the
ranker then `lookup`s synchronously.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence

import numpy as np
import sqlite_utils

from bot.ranking.embedders import Embedder, EmbeddingsUnavailable
from storage.embeddings import get_vectors, put_vectors
from storage.papers import Paper

log = logging.getLogger(__name__)

KIND = "text"  # keys are sha1(text) since m005, which dropped the older rows


def paper_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorStore:
    """Embeddings of texts for one model, memoised in memory and stored in `db`."""

    def __init__(self, embedder: Embedder, db: sqlite_utils.Database | None = None) -> None:
        self.embedder = embedder
        self.db = db
        self._memo: dict[str, np.ndarray] = {}
        # The database connection belongs to the thread that made this store; ranking runs
        # in a worker thread and then uses only the memo (and the local model).
        self._owner = threading.get_ident()

    def _db_here(self) -> sqlite_utils.Database | None:
        return self.db if threading.get_ident() == self._owner else None

    @property
    def model(self) -> str:
        return self.embedder.name

    async def ensure(self, texts: Sequence[str]) -> None:
        """Embed and store every text not stored yet; raises EmbeddingsUnavailable."""
        missing = self._load(texts)
        if not missing:
            return
        try:
            fresh = await self.embedder.embed(missing)
        except EmbeddingsUnavailable:
            raise
        except Exception as exc:  # a model or endpoint failure means lexical, not a crash
            raise EmbeddingsUnavailable(f"{self.model}: {exc}") from exc
        self._keep(missing, fresh)

    def lookup(self, texts: Sequence[str]) -> np.ndarray | None:
        """One row per text; texts nobody embedded yet are embedded now when the model is
        local, else the answer is None (the caller ranks lexically)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        missing = self._load(texts)
        if missing:
            embed_now = getattr(self.embedder, "embed_now", None)
            if embed_now is None:
                log.info(
                    "%d texts have no %s vector yet; lexical for them", len(missing), self.model
                )
                return None
            self._keep(missing, embed_now(missing))
        return np.vstack([self._memo[text_key(t)] for t in texts]).astype(np.float32)

    def papers(self, papers: Sequence[Paper]) -> np.ndarray | None:
        return self.lookup([paper_text(p) for p in papers])

    def _load(self, texts: Sequence[str]) -> list[str]:
        """Fill the memo from the database; returns the distinct texts still missing."""
        todo = {text_key(t): t for t in texts if text_key(t) not in self._memo}
        db = self._db_here()
        if todo and db is not None:
            self._memo.update(get_vectors(db, self.model, KIND, list(todo)))
        return [t for k, t in todo.items() if k not in self._memo]

    def _keep(self, texts: list[str], vectors: np.ndarray) -> None:
        if len(vectors) != len(texts):
            raise EmbeddingsUnavailable(
                f"{self.model}: {len(vectors)} vectors for {len(texts)} texts"
            )
        new = {
            text_key(t): np.asarray(v, dtype=np.float32)
            for t, v in zip(texts, vectors, strict=True)
        }
        db = self._db_here()
        if db is not None:
            put_vectors(db, self.model, KIND, new)
        self._memo.update(new)
