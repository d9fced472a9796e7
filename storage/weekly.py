"""The weekly recap's outbox: who asked for it, which week's recap is written, which of
its two parts (the picture, then the text) went out."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now
from storage.sql import write_transaction

PARTS = ("photo_message_id", "text_message_id")


@dataclass(frozen=True)
class Recap:
    chat_id: int
    local_day: str
    photo_message_id: int | None
    text_message_id: int | None
    attempts: int


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
    """The reader's recap for `local_day`, pending; False if it was already written."""
    cursor = db.execute(
        "INSERT INTO weekly_recaps (chat_id, local_day, created_utc) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [chat_id, local_day, utc_now()],
    )
    return cursor.rowcount > 0


def claim_pending(db: sqlite_utils.Database, now_utc: str, until_utc: str) -> list[Recap]:
    """Claim every pending recap nobody holds (until `until_utc`) and return them."""
    free = "status = 'pending' AND (claimed_until_utc IS NULL OR claimed_until_utc < ?)"
    with write_transaction(db):
        rows = db.execute(
            "SELECT chat_id, local_day, photo_message_id, text_message_id, attempts "
            f"FROM weekly_recaps WHERE {free}",
            [now_utc],
        ).fetchall()
        db.execute(
            f"UPDATE weekly_recaps SET claimed_until_utc = ? WHERE {free}", [until_utc, now_utc]
        )
    return [Recap(*row) for row in rows]


def part_sent(db: sqlite_utils.Database, recap: Recap, part: str, message_id: int) -> None:
    assert part in PARTS
    db.execute(
        f"UPDATE weekly_recaps SET {part} = ? WHERE chat_id = ? AND local_day = ?",
        [message_id, recap.chat_id, recap.local_day],
    )


def finish_recap(db: sqlite_utils.Database, recap: Recap, status: str, error: str = "") -> None:
    """Sent, failed for good, or (`pending`) left for the next sweep with the error."""
    db.execute(
        """UPDATE weekly_recaps SET status = ?, error = ?, attempts = attempts + (? != 'sent'),
           claimed_until_utc = NULL, sent_utc = CASE WHEN ? = 'sent' THEN ? END
           WHERE chat_id = ? AND local_day = ?""",
        [status, error or None, status, status, utc_now(), recap.chat_id, recap.local_day],
    )


def retry_recap(db: sqlite_utils.Database, recap: Recap, error: str, not_before_utc: str) -> None:
    """A failed attempt: pending again with the error, held until `not_before_utc` the way
    a claim holds it (claim_pending skips it until then), so retries back off."""
    db.execute(
        """UPDATE weekly_recaps SET status = 'pending', error = ?, attempts = attempts + 1,
           claimed_until_utc = ? WHERE chat_id = ? AND local_day = ?""",
        [error, not_before_utc, recap.chat_id, recap.local_day],
    )


def release_recap_claims(db: sqlite_utils.Database) -> int:
    """At service start: nobody else sends, so claims of a process that died are void."""
    cursor = db.execute(
        "UPDATE weekly_recaps SET claimed_until_utc = NULL WHERE claimed_until_utc IS NOT NULL"
    )
    return cursor.rowcount


def recap_statuses(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT status, count(*) FROM weekly_recaps GROUP BY 1").fetchall())
