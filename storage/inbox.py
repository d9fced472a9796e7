"""Incoming Telegram updates, stored before they are confirmed to Telegram and marked when
handled: the at-least-once half of the bot (the outbox is the other)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from storage.papers import utc_now

KEEP_HANDLED = timedelta(days=2)  # long enough to recognise any re-delivery


def store_update(
    db: sqlite_utils.Database, update_id: int, payload: str, chat_id: int | None = None
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO inbox (update_id, payload, received_utc, chat_id) "
        "VALUES (?, ?, ?, ?)",
        [update_id, payload, utc_now(), chat_id],
    )


def mark_handled(db: sqlite_utils.Database, update_id: int) -> None:
    db.execute(
        "UPDATE inbox SET handled_utc = ? WHERE update_id = ? AND handled_utc IS NULL",
        [utc_now(), update_id],
    )


def is_handled(db: sqlite_utils.Database, update_id: int) -> bool:
    row = db.execute("SELECT handled_utc FROM inbox WHERE update_id = ?", [update_id]).fetchone()
    return row is not None and row[0] is not None


def unhandled(db: sqlite_utils.Database) -> list[tuple[int, str, int]]:
    """(update id, payload, earlier replays) of every update never marked handled."""
    rows = db.execute(
        "SELECT update_id, payload, replays FROM inbox WHERE handled_utc IS NULL ORDER BY update_id"
    )
    return [(row[0], row[1], row[2]) for row in rows]


def count_replay(db: sqlite_utils.Database, update_id: int) -> None:
    db.execute("UPDATE inbox SET replays = replays + 1 WHERE update_id = ?", [update_id])


def forget_old(db: sqlite_utils.Database) -> int:
    cutoff = (datetime.now(UTC) - KEEP_HANDLED).isoformat(timespec="seconds")
    cursor = db.execute(
        "DELETE FROM inbox WHERE handled_utc IS NOT NULL AND handled_utc < ?", [cutoff]
    )
    return cursor.rowcount
