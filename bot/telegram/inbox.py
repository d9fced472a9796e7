"""At-least-once handling of incoming updates.

python-telegram-bot confirms updates to Telegram with its next getUpdates call, right after
queueing them, so a crash loses whatever sat in the queue. Here the queue writes each update
to SQLite before it is queued (so before it is confirmed, in polling and webhook mode
alike); a last handler marks it handled; at start-up, stored updates never marked are
handled first. An update already marked (Telegram re-delivering it after a crash) is
skipped. An update being handled at the moment of a crash is handled again at the next
start: commands are idempotent, and a question already answered is recognised by its
message id (Conversation.text). An update left unfinished at two starts in a row is given
up (the reader is told): it is what stops the bot, and must not do so at every start.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import sqlite_utils
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from storage.inbox import (
    count_replay,
    forget_old,
    is_handled,
    mark_handled,
    store_update,
    unhandled,
)

log = logging.getLogger(__name__)

MAX_REPLAYS = 1
GAVE_UP = (
    "⚠️ I restarted twice while working on one of your messages, so I skipped it. If you "
    "still need it, send it again (a smaller file or a shorter question helps)."
)

FIRST_GROUP, LAST_GROUP = -100, 100


class PersistentQueue(asyncio.Queue):  # type: ignore[type-arg]
    """PTB's update queue, writing every update to the inbox before taking it."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        super().__init__()
        self._db = db

    async def put(self, item: Any) -> None:
        if isinstance(item, Update):
            chat = item.effective_chat.id if item.effective_chat else None
            store_update(self._db, item.update_id, json.dumps(item.to_dict()), chat)
        await super().put(item)


def install(app: Application, db: sqlite_utils.Database) -> None:  # type: ignore[type-arg]
    """Skip updates already handled; mark each one handled once every handler ran."""

    async def skip_handled(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if is_handled(db, update.update_id):
            log.info("update %s was handled before a restart; skipping it", update.update_id)
            raise ApplicationHandlerStop

    async def handled(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        mark_handled(db, update.update_id)

    app.add_handler(TypeHandler(Update, skip_handled), group=FIRST_GROUP)
    app.add_handler(TypeHandler(Update, handled), group=LAST_GROUP)


def give_up(db: sqlite_utils.Database, update_id: int) -> None:
    """Mark an update handled without (finishing) handling it: dropped or expired."""
    mark_handled(db, update_id)


async def drain(app: Application, db: sqlite_utils.Database) -> int:  # type: ignore[type-arg]
    """Queue the updates a previous run stored but never finished (they are handled like
    new ones: concurrently across chats, each chat's first); returns how many. One that was
    already replayed once is given up, and its chat told."""
    forget_old(db)
    pending = unhandled(db)
    for update_id, payload, replays in pending:
        update = Update.de_json(json.loads(payload), app.bot)
        if update is None:
            mark_handled(db, update_id)
            continue
        if replays >= MAX_REPLAYS:
            log.warning("update %s stopped the bot twice; giving it up", update_id)
            give_up(db, update_id)
            await _tell_gave_up(app, update)
            continue
        log.info("handling update %s left over from the previous run", update_id)
        count_replay(db, update_id)
        await app.update_queue.put(update)
    return len(pending)


async def _tell_gave_up(app: Application, update: Update) -> None:  # type: ignore[type-arg]
    if update.effective_chat is None:
        return
    try:
        await app.bot.send_message(update.effective_chat.id, GAVE_UP)
    except TelegramError as exc:
        log.info("could not tell chat %s: %s", update.effective_chat.id, exc)
