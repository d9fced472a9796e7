"""Feedback (👍 / 👎) and saved papers (⭐): per-user signals that teach the ranking."""

from __future__ import annotations

import sqlite_utils

from storage.papers import utc_now


def record_feedback(db: sqlite_utils.Database, chat_id: int, paper_id: str, value: int) -> None:
    """Store +1 or -1 for this paper; a later vote replaces an earlier one."""
    if value not in (-1, 1):
        raise ValueError("feedback must be +1 or -1")
    db.execute(
        """INSERT INTO feedback (chat_id, paper_id, value, created_utc) VALUES (?, ?, ?, ?)
           ON CONFLICT (chat_id, paper_id) DO UPDATE SET
             value = excluded.value, created_utc = excluded.created_utc""",
        [chat_id, paper_id, value, utc_now()],
    )


def remove_feedback(db: sqlite_utils.Database, chat_id: int, paper_id: str) -> bool:
    """Forget this chat's 👍/👎 on one paper; False if it had none."""
    cursor = db.execute(
        "DELETE FROM feedback WHERE chat_id = ? AND paper_id = ?", [chat_id, paper_id]
    )
    return cursor.rowcount > 0


def save_paper(db: sqlite_utils.Database, chat_id: int, paper_id: str) -> bool:
    """Save a paper; False if it was saved already."""
    cursor = db.execute(
        "INSERT INTO saved (chat_id, paper_id, created_utc) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [chat_id, paper_id, utc_now()],
    )
    return cursor.rowcount > 0


def unsave_paper(db: sqlite_utils.Database, chat_id: int, paper_id: str) -> bool:
    """Take a paper off the saved list; False if it was not on it."""
    cursor = db.execute("DELETE FROM saved WHERE chat_id = ? AND paper_id = ?", [chat_id, paper_id])
    return cursor.rowcount > 0


def signals(db: sqlite_utils.Database, chat_id: int, limit: int = 50) -> dict[str, int]:
    """paper id -> +1 (liked or saved) / -1 (disliked), most recent first, at most `limit`."""
    rows = db.query(
        """SELECT paper_id, value, created_utc FROM feedback WHERE chat_id = :c
           UNION ALL
           SELECT paper_id, 1, created_utc FROM saved WHERE chat_id = :c
           ORDER BY created_utc DESC LIMIT :n""",
        {"c": chat_id, "n": limit},
    )
    result: dict[str, int] = {}
    for row in rows:
        result.setdefault(row["paper_id"], row["value"])
    return result


def rated_paper_ids(db: sqlite_utils.Database, chat_id: int) -> set[str]:
    """Every paper this chat rated (👍/👎) or saved (⭐), however long ago."""
    rows = db.execute(
        "SELECT paper_id FROM feedback WHERE chat_id = ? "
        "UNION SELECT paper_id FROM saved WHERE chat_id = ?",
        [chat_id, chat_id],
    )
    return {row[0] for row in rows}


def saved_paper_ids(db: sqlite_utils.Database, chat_id: int) -> list[str]:
    rows = db.execute(
        # rowid breaks ties: two papers saved within the same second
        "SELECT paper_id FROM saved WHERE chat_id = ? ORDER BY created_utc DESC, rowid DESC",
        [chat_id],
    )
    return [row[0] for row in rows]


def clear_feedback(db: sqlite_utils.Database, chat_id: int) -> int:
    """Forget this chat's 👍/👎 (saved papers stay: they are the reader's list)."""
    return db.execute("DELETE FROM feedback WHERE chat_id = ?", [chat_id]).rowcount


def feedback_counts(db: sqlite_utils.Database, chat_id: int) -> tuple[int, int, int]:
    """(👍, 👎, ⭐) of this chat."""
    up, down = db.execute(
        "SELECT coalesce(sum(value > 0), 0), coalesce(sum(value < 0), 0) FROM feedback "
        "WHERE chat_id = ?",
        [chat_id],
    ).fetchone()
    saved = db.execute("SELECT count(*) FROM saved WHERE chat_id = ?", [chat_id]).fetchone()[0]
    return int(up), int(down), int(saved)


def rated_days(db: sqlite_utils.Database, chat_id: int) -> set[str]:
    """UTC dates on which this chat rated (👍/👎) or saved (⭐) a paper."""
    rows = db.execute(
        "SELECT substr(created_utc, 1, 10) FROM feedback WHERE chat_id = ? "
        "UNION SELECT substr(created_utc, 1, 10) FROM saved WHERE chat_id = ?",
        [chat_id, chat_id],
    )
    return {row[0] for row in rows}
