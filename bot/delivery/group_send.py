"""Sending one message to a chat that may be a group, through its life: into the forum topic
asked for; a group upgraded to a supergroup (ChatMigrated) has everything moved to its new
id and the message sent there; a forum topic deleted meanwhile gets it in General."""

from __future__ import annotations

import asyncio
import logging

import sqlite_utils
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated

from bot.delivery.sender import Sleep, send_reply
from bot.delivery.throttle import Throttle
from bot.messages.replies import Reply
from storage.groups import digest_thread, move_chat, place_digests

log = logging.getLogger(__name__)


async def send_to_chat(
    bot: Bot,
    throttle: Throttle,
    db: sqlite_utils.Database,
    chat_id: int,
    reply: Reply,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
    sleep: Sleep = asyncio.sleep,
) -> tuple[int, int]:
    """Send `reply`; returns (the chat it went to, its message id). Raises what send_reply
    raises, but for a migration or a vanished topic, which are dealt with here once."""
    try:
        message_id = await send_reply(
            bot, throttle, chat_id, reply, sleep=sleep, thread_id=thread_id, reply_to=reply_to
        )
        return chat_id, message_id
    except ChatMigrated as exc:
        new_id = int(exc.new_chat_id)
        moved = move_chat(db, chat_id, new_id)
        log.info("group %s is now supergroup %s (data moved: %s)", chat_id, new_id, moved)
        # A basic group has no topics, and its message ids mean nothing in the new chat.
        return new_id, await send_reply(bot, throttle, new_id, reply, sleep=sleep)
    except BadRequest as exc:
        if thread_id is None or "thread not found" not in str(exc).lower():
            raise
        log.warning("topic %s of chat %s is gone; sending to General", thread_id, chat_id)
        if digest_thread(db, chat_id) == thread_id:
            place_digests(db, chat_id, None)
        return chat_id, await send_reply(bot, throttle, chat_id, reply, sleep=sleep)
