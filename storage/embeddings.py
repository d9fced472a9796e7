"""Stored embedding vectors (float32 blobs), keyed by model and by paper id or text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sqlite_utils

from storage.papers import utc_now
from storage.sql import in_chunks, write_transaction


def get_vectors(
    db: sqlite_utils.Database, model: str, kind: str, keys: Sequence[str]
) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for chunk, marks in in_chunks(keys):
        rows = db.execute(
            f"SELECT key, vector FROM embeddings WHERE model = ? AND kind = ? AND key IN ({marks})",
            [model, kind, *chunk],
        )
        for key, blob in rows:
            found[key] = np.frombuffer(blob, dtype=np.float32)
    return found


def put_vectors(
    db: sqlite_utils.Database, model: str, kind: str, vectors: Mapping[str, np.ndarray]
) -> None:
    now = utc_now()
    with write_transaction(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO embeddings (model, kind, key, dim, vector, created_utc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (model, kind, key, int(vec.shape[0]), vec.astype(np.float32).tobytes(), now)
                for key, vec in vectors.items()
            ],
        )
