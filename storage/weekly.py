"""Who asked for the weekly recap, and on which weekday; a due recap is an entry of the one
outbox (storage/deliveries.py), its parts composed when it is sent."""

from __future__ import annotations

import sqlite_utils

from storage.deliveries import write_entry


def set_weekly(db: sqlite_utils.Database, chat_id: int, weekday: int | None) -> None:
    """The local weekday (0 Monday … 6 Sunday) the reader's recap comes on; None: off."""
    db.execute("UPDATE users SET weekly_day = ? WHERE chat_id = ?", [weekday, chat_id])


def weekly_day(db: sqlite_utils.Database, chat_id: int) -> int | None:
    row = db.execute("SELECT weekly_day FROM users WHERE chat_id = ?", [chat_id]).fetchone()
    return row[0] if row else None


def weekly_readers(db: sqlite_utils.Database) -> list[tuple[int, int]]:
    """(chat id, weekday) of every reader who wants the recap and can get it."""
    rows = db.execute(
        """SELECT chat_id, weekly_day FROM users
           WHERE weekly_day IS NOT NULL AND paused = 0 AND blocked = 0 ORDER BY chat_id"""
    )
    return [(row[0], row[1]) for row in rows]


def write_recap(db: sqlite_utils.Database, chat_id: int, local_day: str) -> bool:
    """The reader's recap for `local_day`, pending in the outbox; False if already written."""
    return write_entry(db, "weekly", chat_id, local_day)
