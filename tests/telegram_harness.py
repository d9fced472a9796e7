"""Run the real python-telegram-bot Application against the fake Bot API, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.assistant import Conversation
from bot.config import Settings
from bot.delivery.throttle import Throttle
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder, load_local_embedder
from bot.sources import load_day
from bot.sources.ingest import store_day
from bot.telegram.app import build_application, start, stop
from bot.telegram.ordering import UPDATE_DEADLINE_S
from storage.inbox import is_handled
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent


@dataclass
class Harness:
    tg: FakeTelegram
    db: sqlite_utils.Database
    conv: Conversation

    async def say(self, chat_id: int, text: str, *, expect: int = 1, **kw: Any) -> list[Sent]:
        """Send a user message; return the bot's new messages to that chat, once the bot
        has finished with it (its inbox row is marked: every reply was sent before)."""
        before = len(self.tg.messages_to(chat_id))
        self.tg.user_says(chat_id, text, **kw)
        await self.handled(self.tg.last_update_id)
        await self.tg.until(lambda: len(self.tg.messages_to(chat_id)) >= before + expect)
        return self.tg.messages_to(chat_id)[before:]

    async def press(self, chat_id: int, data: str, message_id: int = 1, **kw: Any) -> list[Sent]:
        """Press a button (in a group: `member=`, `chat_type=`, `thread_id=`); return the
        bot's answerCallbackQuery calls for it, once the bot has finished with the press."""
        query_id = self.tg.user_presses(chat_id, data, message_id, **kw)
        update_id = self.tg.last_update_id
        answers = await self.tg.until(
            lambda: [
                s
                for s in self.tg.calls("answerCallbackQuery")
                if s.params.get("callback_query_id") == query_id
            ]
        )
        # Marked handled, or gone: /forget's "Yes" deletes the chat's inbox rows, its own too.
        await self.tg.until(
            lambda: is_handled(self.db, update_id) or not stored(self.db, update_id)
        )
        return answers

    async def handled(self, update_id: int, timeout: float = 60.0) -> None:
        """Wait until the bot has finished with `update_id` (no fixed sleeps: the event that
        matters is the inbox row being marked, after every reply went out)."""
        await self.tg.until(lambda: is_handled(self.db, update_id), timeout=timeout)

    async def settle(self) -> None:
        """Wait until every update users caused has been handled."""
        await self.tg.until(lambda: self.tg.pending_updates() == 0)
        await self.tg.until(lambda: all_handled(self.db), timeout=60)


def stored(db: sqlite_utils.Database, update_id: int) -> bool:
    return db.execute("SELECT 1 FROM inbox WHERE update_id = ?", [update_id]).fetchone() is not None


def all_handled(db: sqlite_utils.Database) -> bool:
    rows = db.execute("SELECT count(*) FROM inbox WHERE handled_utc IS NULL").fetchone()
    return int(rows[0]) == 0


@asynccontextmanager
async def running_bot(
    db: sqlite_utils.Database,
    *,
    throttle: Throttle | None = None,
    update_deadline_s: float = UPDATE_DEADLINE_S,
    embedder: Embedder | None = None,
    lexical: bool = False,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """The bot on the fake Bot API; `throttle` defaults to a near-instant per-chat pace."""
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url, **overrides)
        store_day(db, await load_day("sample", None, papers_url=""))
        llm = LLMClient(settings, db, backoff_s=0.01)
        # As production runs: the shipped model ranks and reads (loaded once per process);
        # `lexical` for the few tests about ranking by words alone.
        model = None if lexical else (embedder or load_local_embedder())
        conv = Conversation(db, settings, llm, embedder=model)
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
