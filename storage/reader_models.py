"""Each reader's fitted model (bot/ranking/reader_model.py), one row per reader: stored as
the JSON the model writes, with the key of what it was fitted from, so it survives a
restart and is refitted only when the reader's ratings or library change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from storage.embeddings import get_vectors
from storage.papers import utc_now
from storage.sql import in_chunks, write_transaction


@dataclass(frozen=True)
class StoredModel:
    key: str
    model: str  # JSON
    fitted_utc: str


def get_model(db: sqlite_utils.Database, chat_id: int) -> StoredModel | None:
    row = db.execute(
        "SELECT key, model, fitted_utc FROM reader_models WHERE chat_id = ?", [chat_id]
    ).fetchone()
    return StoredModel(*row) if row else None


def put_model(db: sqlite_utils.Database, chat_id: int, key: str, model: str) -> None:
    """Store (or replace) the reader's model; nothing when the reader is unknown."""
    with write_transaction(db):
        db.execute(
            """INSERT INTO reader_models (chat_id, key, model, fitted_utc)
               SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE chat_id = ?)
               ON CONFLICT (chat_id) DO UPDATE SET
                 key = excluded.key, model = excluded.model, fitted_utc = excluded.fitted_utc""",
            [chat_id, key, model, utc_now(), chat_id],
        )


def forget_model(db: sqlite_utils.Database, chat_id: int) -> bool:
    """Drop the reader's model (/learned reset); False if there was none."""
    with write_transaction(db):
        gone = db.execute("DELETE FROM reader_models WHERE chat_id = ?", [chat_id]).rowcount
    return bool(gone)


def stored_vectors(
    db: sqlite_utils.Database, kind: str, keys: Sequence[str]
) -> tuple[str, dict[str, np.ndarray]]:
    """The vectors stored for `keys` by the embedding model that has the most of them (one
    deployment uses one model): its name and key -> vector. ('', {}) when none is stored."""
    counts: Counter[str] = Counter()
    for chunk, marks in in_chunks(list(dict.fromkeys(keys))):
        rows = db.execute(
            f"SELECT model, count(*) FROM embeddings WHERE kind = ? AND key IN ({marks}) "
            "GROUP BY model",
            [kind, *chunk],
        )
        for model, n in rows:
            counts[model] += n
    if not counts:
        return "", {}
    model = max(counts, key=lambda m: (counts[m], m))
    return model, get_vectors(db, model, kind, list(dict.fromkeys(keys)))
