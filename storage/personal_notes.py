"""Validated personal digest notes from the LLM, cached by a key that hashes the reader's
interests, their candidates, the model, the prompt version and the language: readers with
the same inputs share one note, and no chat id is stored with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from storage.papers import utc_now
from storage.sql import write_transaction

KEEP = timedelta(days=3)  # a note's candidates are one day's papers: later it is never asked for


def cached_note(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT note FROM personal_notes WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None


def store_note(
    db: sqlite_utils.Database,
    key: str,
    note_json: str,
    *,
    model: str,
    prompt_version: str,
    language: str,
) -> None:
    with write_transaction(db):
        db.execute(
            """INSERT OR REPLACE INTO personal_notes
               (key, model, prompt_version, language, note, created_utc)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [key, model, prompt_version, language, note_json, utc_now()],
        )


def forget_old_notes(db: sqlite_utils.Database) -> int:
    cutoff = (datetime.now(UTC) - KEEP).isoformat(timespec="seconds")
    with write_transaction(db):
        cursor = db.execute("DELETE FROM personal_notes WHERE created_utc < ?", [cutoff])
    return cursor.rowcount
