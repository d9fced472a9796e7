"""Per-paper summaries, cached by (paper, model, prompt version, language), shared by all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlite_utils

from storage.papers import utc_now
from storage.sql import in_chunks, write_transaction


def cached_summaries(
    db: sqlite_utils.Database,
    paper_ids: Sequence[str],
    *,
    model: str,
    prompt_version: str,
    language: str,
) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk, marks in in_chunks(paper_ids):
        rows = db.execute(
            f"""SELECT paper_id, text FROM summaries WHERE model = ? AND prompt_version = ?
                AND language = ? AND paper_id IN ({marks})""",
            [model, prompt_version, language, *chunk],
        )
        found.update({paper_id: text for paper_id, text in rows})
    return found


def store_summaries(
    db: sqlite_utils.Database,
    texts: Mapping[str, str],
    *,
    model: str,
    prompt_version: str,
    language: str,
) -> None:
    now = utc_now()
    with write_transaction(db):
        db.conn.executemany(
            """INSERT OR REPLACE INTO summaries
               (paper_id, model, prompt_version, language, kind, text, created_utc)
               VALUES (?, ?, ?, ?, 'llm', ?, ?)""",
            [(pid, model, prompt_version, language, text, now) for pid, text in texts.items()],
        )
