"""LLM expansions of interest texts, cached by (text, model, prompt version), shared by all
users who typed the same text (no user id is stored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlite_utils

from storage.papers import utc_now
from storage.sql import in_chunks, write_transaction


def cached_expansions(
    db: sqlite_utils.Database, texts: Sequence[str], *, model: str, prompt_version: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk, marks in in_chunks(texts):
        rows = db.execute(
            f"""SELECT text, expansion FROM interest_expansions
                WHERE model = ? AND prompt_version = ? AND text IN ({marks})""",
            [model, prompt_version, *chunk],
        )
        found.update(dict(rows))
    return found


def store_expansions(
    db: sqlite_utils.Database, expansions: Mapping[str, str], *, model: str, prompt_version: str
) -> None:
    now = utc_now()
    with write_transaction(db):
        db.conn.executemany(
            """INSERT OR REPLACE INTO interest_expansions
               (text, model, prompt_version, expansion, created_utc) VALUES (?, ?, ?, ?, ?)""",
            [(text, model, prompt_version, exp, now) for text, exp in expansions.items()],
        )
