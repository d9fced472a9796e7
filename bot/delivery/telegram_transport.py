"""The outbox's Telegram transport: one message through the throttle, with retries and the
group's life (a new supergroup id, a vanished topic) handled by group_send; Telegram's
errors turned into the two the sender acts on."""

from __future__ import annotations

import asyncio

import sqlite_utils
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.delivery.group_send import send_to_chat
from bot.delivery.sender import Sleep
from bot.delivery.throttle import Throttle
from bot.delivery.transport import Blocked, SendFailed
from bot.messages.replies import Reply


class TelegramTransport:
    def __init__(
        self,
        bot: Bot,
        throttle: Throttle,
        db: sqlite_utils.Database,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot, self.throttle, self.db, self.sleep = bot, throttle, db, sleep

    async def send(
        self, chat_id: int, reply: Reply, thread_id: int | None = None
    ) -> tuple[int, int]:
        try:
            return await send_to_chat(
                self.bot,
                self.throttle,
                self.db,
                chat_id,
                reply,
                thread_id=thread_id,
                sleep=self.sleep,
            )
        except Forbidden:
            raise Blocked(chat_id) from None
        except TelegramError as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
