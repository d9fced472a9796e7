"""Run the real python-telegram-bot Application against the fake Bot API, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.assistant import Conversation
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder
from bot.sources import load_day
from bot.sources.ingest import store_day
from bot.telegram.app import build_application, start, stop
from bot.telegram.ordering import UPDATE_DEADLINE_S
from bot.telegram.throttle import Throttle
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent


@dataclass
class Harness:
    tg: FakeTelegram
    db: sqlite_utils.Database
    conv: Conversation

    async def say(self, chat_id: int, text: str, *, expect: int = 1, **kw: Any) -> list[Sent]:
        """Send a user message; return the bot's new messages to that chat."""
        before = len(self.tg.messages_to(chat_id))
        self.tg.user_says(chat_id, text, **kw)
        return await self._new_messages(chat_id, before, expect)

    async def press(self, chat_id: int, data: str, message_id: int = 1) -> list[Sent]:
        """Press a button; return the bot's answerCallbackQuery calls for it."""
        query_id = self.tg.user_presses(chat_id, data, message_id)
        return await self.tg.until(
            lambda: [
                s
                for s in self.tg.calls("answerCallbackQuery")
                if s.params.get("callback_query_id") == query_id
            ]
        )

    async def _new_messages(self, chat_id: int, before: int, expect: int) -> list[Sent]:
        await self.tg.until(lambda: len(self.tg.messages_to(chat_id)) >= before + expect)
        # A reply may span several messages: wait until none has arrived for a moment.
        count = -1
        while count != len(self.tg.messages_to(chat_id)):
            count = len(self.tg.messages_to(chat_id))
            await asyncio.sleep(0.25)
        return self.tg.messages_to(chat_id)[before:]

    async def settle(self) -> None:
        await self.tg.until(lambda: self.tg.pending_updates() == 0)
        await asyncio.sleep(0.2)


@asynccontextmanager
async def running_bot(
    db: sqlite_utils.Database,
    *,
    throttle: Throttle | None = None,
    update_deadline_s: float = UPDATE_DEADLINE_S,
    embedder: Embedder | None = None,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """The bot on the fake Bot API; `throttle` defaults to a near-instant per-chat pace."""
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url, **overrides)
        store_day(db, await load_day("sample", None, papers_url=""))
        llm = LLMClient(settings, db, backoff_s=0.01)
        conv = Conversation(db, settings, llm, embedder=embedder)
        # Telegram's per-chat pace (about 1 message/s) would make every multi-message reply
        # slow to test; the throttle itself is tested in test_delivery against a fake that
        # enforces the real limits.
        app = build_application(
            settings,
            conv,
            throttle or Throttle(per_chat_interval_s=0.01),
            update_deadline_s=update_deadline_s,
        )
        await start(app, poll_timeout=1)
        try:
            yield Harness(tg, db, conv)
        finally:
            await stop(app)
            await llm.aclose()
