"""Where embedding vectors come from: the model shipped in the package (ONNX Runtime, no
PyTorch, no download) or the configured OpenAI-compatible `/v1/embeddings` endpoint.

Both are async (`embed`); the local model can also run inline (`embed_now`), which the ranker
uses for the odd text nobody embedded in advance.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from bot.llm import LLMClient

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
MAX_TOKENS = 256  # what sentence-transformers uses for all-MiniLM-L6-v2
API_BATCH = 64
RECENT_TEXTS = 5_000  # vectors kept in memory (about 8 MB)


class EmbeddingsUnavailable(RuntimeError):
    """No vectors this time (endpoint down, budget spent, model missing): rank lexically."""


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text; raises EmbeddingsUnavailable."""
        ...


class LocalMiniLM:
    """all-MiniLM-L6-v2 exported to ONNX with int8 matrix products, the attention's input
    projection included (scripts/export_minilm_onnx.py), on the CPU."""

    # Vectors are stored under this name: a different export must not share them.
    name = "all-MiniLM-L6-v2-int8-qkv"

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()  # to the longest text of each batch
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One thread per run, one run per core: texts run alone are too small to share a
        # core's work well (measured: 56/s this way vs 47/s with two threads per run).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_dir / "all-MiniLM-L6-v2.onnx"),
            options,
            providers=["CPUExecutionProvider"],
        )
        self._workers = max(1, os.cpu_count() or 1)
        # A text's vector depends on the text only (one text per run): the latest few
        # thousand are kept, so a text embedded twice in one process (a day re-indexed, the
        # demo's sample day in every test) costs nothing the second time.
        self._recent: dict[str, np.ndarray] = {}
        self._recent_lock = threading.Lock()

    def embed_now(self, texts: Sequence[str]) -> np.ndarray:
        with self._recent_lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        fresh = self._compute(missing) if missing else np.zeros((0, 384), dtype=np.float32)
        with self._recent_lock:
            for text, vector in zip(missing, fresh, strict=True):
                self._recent[text] = vector
                known[text] = vector
            while len(self._recent) > RECENT_TEXTS:
                del self._recent[next(iter(self._recent))]
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = known[text]
        return out

    def _compute(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if self._workers == 1 or len(texts) < 2 * self._workers:
            self._fill(out, texts, range(len(texts)))
            return out
        # ONNX Runtime releases the GIL while it computes: one thread per core.
        with ThreadPoolExecutor(self._workers) as pool:
            shares = [range(w, len(texts), self._workers) for w in range(self._workers)]
            list(pool.map(lambda rows: self._fill(out, texts, rows), shares))
        return out

    def _fill(self, out: np.ndarray, texts: Sequence[str], rows: range) -> None:
        # One text per run: the int8 model quantises activations with one scale per input,
        # so a text batched with others (and their padding) got a slightly different vector
        # (cosine 0.993). Alone, a text's vector depends on the text only; measured no
        # slower (52/s vs 47/s for batches of 8), and no padding is computed.
        for row in rows:
            out[row] = self._run([texts[row]])[0]

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        (vectors,) = self._session.run(["sentence_embedding"], feeds)
        out: np.ndarray = np.asarray(vectors, dtype=np.float32)
        return out

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        # Off the event loop: a day of abstracts takes seconds of CPU.
        return await asyncio.to_thread(self.embed_now, list(texts))


class ApiEmbedder:
    """`/v1/embeddings` of the configured endpoint, through the one LLM client."""

    def __init__(self, llm: LLMClient, model: str) -> None:
        self._llm = llm
        self.name = f"api:{model}"
        self._model = model

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        from bot.llm import LLMUnavailable

        rows: list[np.ndarray] = []
        for start in range(0, len(texts), API_BATCH):
            batch = list(texts[start : start + API_BATCH])
            try:
                vectors = await self._llm.embed(batch, model=self._model)
            except LLMUnavailable as exc:
                raise EmbeddingsUnavailable(str(exc)) from exc
            rows.append(_normalise(np.asarray(vectors, dtype=np.float32)))
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


@lru_cache(maxsize=1)
def load_local_embedder() -> LocalMiniLM | None:
    """The shipped model, loaded once per process (every caller shares it: an ONNX Runtime
    session runs concurrent calls safely), or None (lexical only) if it cannot load."""
    try:
        return LocalMiniLM()
    except Exception as exc:  # a broken wheel or a missing file must not take ranking down
        log.warning("local embedding model unavailable (%s); ranking lexically", exc)
        return None


def make_embedder(mode: str, llm: LLMClient | None, model: str) -> Embedder | None:
    """The embedder for `PAPERBOY_EMBEDDINGS` (`local`, `api` or `off`)."""
    if mode == "off":
        return None
    if mode == "api":
        if llm is None or not llm.enabled:
            log.warning("PAPERBOY_EMBEDDINGS=api but no LLM endpoint is configured; lexical only")
            return None
        return ApiEmbedder(llm, model)
    return load_local_embedder()
