"""Updates of different chats handled at once, each chat's in the order they came, and fairly:
one chat's backlog (a flood of commands, a forward of 1,000 messages, a slow answer) never
holds up anyone else's reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64  # updates being handled at once, across chats
MAX_QUEUED_PER_CHAT = 20  # one chat's backlog; beyond it, updates are dropped (and told once)
UPDATE_DEADLINE_S = 180.0  # longer than any answer's own deadlines (LLM 45 s, full text 30 s)
PRESSES_PER_MINUTE = 60  # button presses one chat may make; a human taps far fewer
# PTB holds a slot of its own semaphore while we wait for a chat's lock: so big that it never
# binds, and the slots that matter are taken only once a chat's turn has come.
_PTB_SLOTS = 1_000_000

Overflow = Callable[[Update, bool], Awaitable[None]]
Expired = Callable[[Update], Awaitable[None]]
# Whose updates are kept in order: a private chat's; in a group, each member's (one member's
# slow question or burst of votes never holds up, or fills the backlog of, another's).
Key = int | tuple[int, int]


def order_key(update: Update) -> Key | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user is not None:
        return (chat.id, user.id)
    return chat.id


class PerChatOrder(BaseUpdateProcessor):
    """python-telegram-bot's update processor: a lock per chat (sequential within one chat;
    in a group, within one member's updates: see order_key)
    taken *before* one of `max_concurrent_updates` shared slots, so a chat waiting for its
    own earlier updates holds no slot another chat needs; at most `max_queued_per_chat`
    updates wait per chat (the rest go to `on_overflow`, told whether it is the first of
    this flood); each update has `deadline_s` (then it is cancelled and given to
    `on_expired`)."""

    def __init__(
        self,
        max_concurrent_updates: int = CONCURRENT_UPDATES,
        *,
        max_queued_per_chat: int = MAX_QUEUED_PER_CHAT,
        deadline_s: float = UPDATE_DEADLINE_S,
        on_overflow: Overflow | None = None,
        on_expired: Expired | None = None,
    ) -> None:
        super().__init__(_PTB_SLOTS)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._max_queued = max_queued_per_chat
        self._deadline_s = deadline_s
        self._on_overflow, self._on_expired = on_overflow, on_expired
        self._locks: dict[Key, asyncio.Lock] = {}
        self._waiting: dict[Key, int] = {}
        self._told: set[Key] = set()  # chats already told to slow down in this backlog
        self._presses: dict[Key, AsyncLimiter] = {}
        self._running: set[asyncio.Task[Any]] = set()

    def cancel_running(self) -> int:
        """At shutdown: stop every update still being handled (a question waiting on a
        slow server must not hold the process). Their inbox rows stay unmarked, so they are
        handled again at the next start."""
        for task in self._running:
            task.cancel()
        return len(self._running)

    def queued(self, chat_id: Key) -> int:
        """Updates of `chat_id` (in a group: of (chat id, member id)) being handled or
        waiting their turn."""
        return self._waiting.get(chat_id, 0)

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
        key = order_key(update) if isinstance(update, Update) else None
        if key is None or not isinstance(update, Update):
            async with self._slots:
                await self._bounded(update, coroutine)
            return
        if self._waiting.get(key, 0) >= self._max_queued or await self._pressing_too_fast(
            key, update
        ):
            await self._overflow(key, update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await self._bounded(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this chat
                del self._waiting[key]
                del self._locks[key]
                self._told.discard(key)

    async def _bounded(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await asyncio.wait_for(coroutine, self._deadline_s)
        except TimeoutError:
            log.warning("an update took over %.0f s and was stopped", self._deadline_s)
            if self._on_expired is not None and isinstance(update, Update):
                await self._on_expired(update)

    async def _pressing_too_fast(self, chat_id: Key, update: Update) -> bool:
        if update.callback_query is None:
            return False
        limiter = self._presses.get(chat_id)
        if limiter is None:
            if len(self._presses) > 10_000:  # forget old chats rather than grow forever
                self._presses.clear()
            limiter = self._presses[chat_id] = AsyncLimiter(PRESSES_PER_MINUTE, 60)
        if not limiter.has_capacity():
            return True
        await limiter.acquire()  # with capacity, at once: nothing waits here
        return False

    async def _overflow(self, chat_id: Key, update: Update, coroutine: Awaitable[Any]) -> None:
        if asyncio.iscoroutine(coroutine):
            coroutine.close()  # never run: the chat's backlog is full
        first = chat_id not in self._told
        self._told.add(chat_id)
        if first:
            log.warning("chat %s sent more than %d updates at once", chat_id, self._max_queued)
        if self._on_overflow is not None:
            await self._on_overflow(update, first)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
