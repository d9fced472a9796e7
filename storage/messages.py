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
) -> None:
    db.execute(
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


def recent_turns(db: sqlite_utils.Database, chat_id: int, limit: int = 6) -> list[Turn]:
    """The last `limit` turns of this chat, oldest first."""
    rows = db.execute(
        "SELECT role, text, cited FROM messages WHERE chat_id = ? ORDER BY id DESC LIMIT ?",
        [chat_id, limit],
    ).fetchall()
    return [Turn(role, text, tuple(json.loads(cited))) for role, text, cited in reversed(rows)]
