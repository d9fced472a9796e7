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
