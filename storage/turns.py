"""Chat history: every question and answer, read back only for the same chat."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    cited: tuple[str, ...] = ()


def add_turn(
    db: sqlite_utils.Database,
    chat_id: int,
    role: str,
    text: str,
    *,
    cited: Sequence[str] = (),
    telegram_message_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> int:
    """Store one turn; returns its id (to attach the Telegram message id once sent)."""
    cursor = db.execute(
        """INSERT INTO messages (chat_id, role, text, telegram_message_id, reply_to_message_id,
               cited, created_utc) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            chat_id,
            role,
            text,
            telegram_message_id,
            reply_to_message_id,
            json.dumps(list(cited)),
            utc_now(),
        ],
    )
    return int(cursor.lastrowid or 0)


def recent_turns(db: sqlite_utils.Database, chat_id: int, limit: int = 6) -> list[Turn]:
    """The last `limit` turns of this chat, oldest first."""
    rows = db.execute(
        "SELECT role, text, cited FROM messages WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
        [chat_id, limit],
    ).fetchall()
    return [Turn(role, text, tuple(json.loads(cited))) for role, text, cited in reversed(rows)]


def questions_since(db: sqlite_utils.Database, chat_id: int, since_utc: str) -> int:
    row = db.execute(
        "SELECT count(*) FROM messages WHERE chat_id = ? AND role = 'user' AND created_utc >= ?",
        [chat_id, since_utc],
    ).fetchone()
    return int(row[0])


def answered(db: sqlite_utils.Database, chat_id: int, question_message_id: int) -> bool:
    """Whether the question this chat sent as Telegram message `question_message_id` was
    answered, the answer delivered (so handling that update again must not answer again)."""
    row = db.execute(
        """SELECT 1 FROM messages q JOIN messages a ON a.id = (
               SELECT min(id) FROM messages
               WHERE chat_id = q.chat_id AND id > q.id AND role = 'assistant')
           WHERE q.chat_id = ? AND q.role = 'user' AND q.telegram_message_id = ?
             AND a.telegram_message_id IS NOT NULL""",
        [chat_id, question_message_id],
    ).fetchone()
    return row is not None


def set_turn_message_id(db: sqlite_utils.Database, turn_id: int, message_id: int) -> None:
    db.execute("UPDATE messages SET telegram_message_id = ? WHERE id = ?", [message_id, turn_id])


def papers_cited_by_message(
    db: sqlite_utils.Database, chat_id: int, telegram_message_id: int
) -> list[str]:
    """Papers an earlier answer (or a ❓ prompt) of this chat was about."""
    row = db.execute(
        "SELECT cited FROM messages WHERE chat_id = ? AND telegram_message_id = ? "
        "AND role = 'assistant' ORDER BY id DESC LIMIT 1",
        [chat_id, telegram_message_id],
    ).fetchone()
    return list(json.loads(row[0])) if row else []
