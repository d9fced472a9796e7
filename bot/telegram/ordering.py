"""Updates of different chats handled at once, each chat's in the order they came: one slow
answer (an LLM taking 20 s, a paper read from a slow server) never holds up anyone else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

CONCURRENT_UPDATES = 64  # chats served at once; beyond that, updates wait their turn


class PerChatOrder(BaseUpdateProcessor):
    """python-telegram-bot's update processor with a lock per chat: concurrent across
    chats (up to `max_concurrent_updates`), sequential within one."""

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._running: set[asyncio.Task[Any]] = set()

    def cancel_running(self) -> int:
        """At shutdown: stop every update still being handled (a question waiting on a
        slow server must not hold the process). Their inbox rows stay unmarked, so they are
        handled again at the next start."""
        for task in self._running:
            task.cancel()
        return len(self._running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self._in_order(update, coroutine)
        finally:
            if task is not None:
                self._running.discard(task)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:  # nobody else queued for this chat
                del self._waiting[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
