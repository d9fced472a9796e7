"""The users aggregate: one row per Telegram chat, with its delivery preferences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.papers import utc_now
from storage.sql import write_transaction


@dataclass(frozen=True)
class User:
    chat_id: int
    first_name: str | None
    timezone: str
    digest_time: str
    papers_per_digest: int
    threshold: float | None
    language: str | None
    paused: bool
    blocked: bool
    paused_until: str | None = None  # local date digests come back on (None: at /resume)

    def pause_over(self, local_day: str) -> bool:
        """A pause with an end that `local_day` reached (then the pause no longer holds)."""
        return self.paused_until is not None and local_day >= self.paused_until


def ensure_user(db: sqlite_utils.Database, chat_id: int, first_name: str | None = None) -> User:
    """Return the user for `chat_id`, creating it with defaults on first contact."""
    db.execute(
        "INSERT INTO users (chat_id, first_name, created_utc) VALUES (?, ?, ?) "
        "ON CONFLICT (chat_id) DO NOTHING",
        [chat_id, first_name, utc_now()],
    )
    user = get_user(db, chat_id)
    assert user is not None
    return user


def get_user(db: sqlite_utils.Database, chat_id: int) -> User | None:
    rows = list(db.query("SELECT * FROM users WHERE chat_id = ?", [chat_id]))
    return _from_row(rows[0]) if rows else None


def update_user(db: sqlite_utils.Database, chat_id: int, **changes: Any) -> None:
    db.table("users").update(chat_id, changes)


def delete_user(db: sqlite_utils.Database, chat_id: int) -> None:
    """Remove the user and, through ON DELETE CASCADE, every row that belongs to them; also
    their raw updates in the inbox and their name on the papers they caused to be read
    (rows that outlive users by design, so no foreign key reaches them), and their name on
    their votes in groups (the votes stay the group's, counted without them)."""
    with write_transaction(db):
        db.execute("DELETE FROM users WHERE chat_id = ?", [chat_id])
        db.execute("DELETE FROM inbox WHERE chat_id = ?", [chat_id])
        db.execute("UPDATE fulltexts SET read_by = NULL WHERE read_by = ?", [chat_id])
        db.execute("UPDATE group_votes SET member_id = NULL WHERE member_id = ?", [chat_id])


def _from_row(row: dict[str, Any]) -> User:
    return User(
        chat_id=row["chat_id"],
        first_name=row["first_name"],
        timezone=row["timezone"],
        digest_time=row["digest_time"],
        papers_per_digest=row["papers_per_digest"],
        threshold=row["threshold"],
        language=row["language"],
        paused=bool(row["paused"]),
        blocked=bool(row["blocked"]),
        paused_until=row.get("paused_until"),
    )


# What a reader's rows are, by table (all go with /forget: ON DELETE CASCADE).
_KEPT_ABOUT = {
    "interests": "interests",
    "saved": "saved",
    "ratings": "feedback",
    "imported": "library",
    "messages": "messages",
    "digests": "deliveries",
}


def kept_about(db: sqlite_utils.Database, chat_id: int) -> dict[str, int]:
    """How many rows of each kind the database keeps about `chat_id` (for /privacy)."""
    counts = {}
    for name, table in _KEPT_ABOUT.items():  # fixed table names, not user input
        row = db.execute(f"SELECT count(*) FROM {table} WHERE chat_id = ?", [chat_id]).fetchone()
        counts[name] = int(row[0])
    return counts


def user_counts(db: sqlite_utils.Database) -> dict[str, int]:
    row = db.execute(  # private readers; groups are counted apart (storage/groups.py)
        "SELECT count(*), coalesce(sum(paused), 0), coalesce(sum(blocked), 0) FROM users "
        "WHERE kind = 'private'"
    ).fetchone()
    return {"users": row[0], "paused": row[1], "blocked": row[2]}


def active_users(db: sqlite_utils.Database) -> list[User]:
    """Users who may get digests: not blocked, following something, and not paused or
    paused until a date (the sweep checks it against their local day)."""
    rows = db.query(
        """SELECT * FROM users u WHERE (paused = 0 OR paused_until IS NOT NULL) AND blocked = 0
           AND EXISTS (SELECT 1 FROM interests i WHERE i.chat_id = u.chat_id
                       AND i.kind IN ('topic', 'author', 'category'))
           ORDER BY chat_id"""
    )
    return [_from_row(row) for row in rows]
