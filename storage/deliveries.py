"""The deliveries aggregate (the outbox): which papers went to which chat, in which message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now


@dataclass(frozen=True)
class OutboxItem:
    paper_id: str
    score: float
    reason: str
    message_index: int = 0


def create_delivery(
    db: sqlite_utils.Database, chat_id: int, local_day: str, items: Sequence[OutboxItem]
) -> int:
    """Write a pending digest with its items in one transaction; returns the delivery id."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO deliveries (chat_id, local_day, status, created_utc) "
            "VALUES (?, ?, 'pending', ?)",
            [chat_id, local_day, utc_now()],
        )
        delivery_id = int(cursor.lastrowid or 0)
        db.conn.executemany(
            """INSERT INTO delivery_items
               (delivery_id, position, paper_id, score, reason, message_index)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [
                (delivery_id, n, i.paper_id, i.score, i.reason, i.message_index)
                for n, i in enumerate(items, 1)
            ],
        )
    return delivery_id


def mark_sent(db: sqlite_utils.Database, delivery_id: int, message_ids: Mapping[int, int]) -> None:
    """Record the Telegram message id of each message index and close the delivery."""
    with db.atomic():
        for index, message_id in message_ids.items():
            db.execute(
                "UPDATE delivery_items SET telegram_message_id = ? "
                "WHERE delivery_id = ? AND message_index = ?",
                [message_id, delivery_id, index],
            )
        db.execute(
            "UPDATE deliveries SET status = 'sent', sent_utc = ? WHERE id = ?",
            [utc_now(), delivery_id],
        )


def sent_paper_ids(db: sqlite_utils.Database, chat_id: int, limit: int = 200) -> list[str]:
    """Papers this chat was sent, most recent digest first."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND d.status = 'sent'
           ORDER BY d.local_day DESC, i.position LIMIT ?""",
        [chat_id, limit],
    )
    return [row[0] for row in rows]


def papers_in_message(
    db: sqlite_utils.Database, chat_id: int, telegram_message_id: int
) -> list[str]:
    """Papers of one digest message of this chat, in digest order ([] if not a digest)."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND i.telegram_message_id = ? ORDER BY i.position""",
        [chat_id, telegram_message_id],
    )
    return [row[0] for row in rows]


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    local_day: str
    status: str
    attempts: int
    error: str | None


@dataclass(frozen=True)
class StoredItem:
    position: int
    paper_id: str
    score: float
    reason: str
    message_index: int
    telegram_message_id: int | None


def delivery_for_day(db: sqlite_utils.Database, chat_id: int, local_day: str) -> Delivery | None:
    row = db.execute(
        "SELECT id, chat_id, local_day, status, attempts, error FROM deliveries "
        "WHERE chat_id = ? AND local_day = ?",
        [chat_id, local_day],
    ).fetchone()
    return Delivery(*row) if row else None


def delivery_items(db: sqlite_utils.Database, delivery_id: int) -> list[StoredItem]:
    rows = db.execute(
        """SELECT position, paper_id, score, reason, message_index, telegram_message_id
           FROM delivery_items WHERE delivery_id = ? ORDER BY position""",
        [delivery_id],
    )
    return [StoredItem(*row) for row in rows]


def set_message_id(
    db: sqlite_utils.Database, delivery_id: int, paper_ids: Sequence[str], message_id: int
) -> None:
    """Remember which Telegram message carried these papers of a digest (right after it is
    sent, so a crash a moment later neither loses nor repeats it)."""
    marks = ",".join("?" * len(paper_ids))
    db.execute(
        f"UPDATE delivery_items SET telegram_message_id = ? "
        f"WHERE delivery_id = ? AND paper_id IN ({marks})",
        [message_id, delivery_id, *paper_ids],
    )


def set_status(
    db: sqlite_utils.Database, delivery_id: int, status: str, error: str | None = None
) -> None:
    sent = utc_now() if status == "sent" else None
    db.execute(
        "UPDATE deliveries SET status = ?, error = ?, sent_utc = coalesce(?, sent_utc) "
        "WHERE id = ?",
        [status, error, sent, delivery_id],
    )


def status_counts(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute("SELECT status, count(*) FROM deliveries GROUP BY status")
    return {status: count for status, count in rows}
