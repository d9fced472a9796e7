"""The interests aggregate: what each user subscribed to. Rows are only read per user."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now


@dataclass(frozen=True)
class StoredInterest:
    id: int
    kind: str
    text: str


def add_interest(db: sqlite_utils.Database, chat_id: int, kind: str, text: str) -> bool:
    """Store an interest; False when the user already has it (compared case-insensitively)."""
    duplicate = db.execute(
        "SELECT 1 FROM interests WHERE chat_id = ? AND kind = ? AND lower(text) = lower(?)",
        [chat_id, kind, text],
    ).fetchone()
    if duplicate:
        return False
    db.execute(
        "INSERT INTO interests (chat_id, kind, text, created_utc) VALUES (?, ?, ?, ?)",
        [chat_id, kind, text, utc_now()],
    )
    return True


def list_interests(db: sqlite_utils.Database, chat_id: int) -> list[StoredInterest]:
    rows = db.query("SELECT id, kind, text FROM interests WHERE chat_id = ? ORDER BY id", [chat_id])
    return [StoredInterest(row["id"], row["kind"], row["text"]) for row in rows]


def remove_interest(db: sqlite_utils.Database, chat_id: int, interest_id: int) -> bool:
    """Delete one of this user's interests; False if it is not theirs or already gone."""
    cursor = db.execute(
        "DELETE FROM interests WHERE chat_id = ? AND id = ?", [chat_id, interest_id]
    )
    return cursor.rowcount > 0


def topic_texts(db: sqlite_utils.Database) -> list[str]:
    """Every distinct topic interest text, of all users: what a day's run embeds up front.
    Only the texts leave this module, never whose they are."""
    rows = db.execute("SELECT DISTINCT text FROM interests WHERE kind = 'topic' ORDER BY text")
    return [row[0] for row in rows]
