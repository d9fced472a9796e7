"""Telegram's sending limits, kept on our side: about 30 messages a second overall and one
a second per chat (python-telegram-bot's AIORateLimiter only does the overall one for
private chats), and 20 a minute per group (a group's chat id is negative). Spacing, not
bursts, so no one-second window ever holds more than 30."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter

OVERALL_PER_SECOND = 29.5  # a hair under 30: timer jitter must not tip a window over
PER_CHAT_INTERVAL_S = 1.05
PER_GROUP_INTERVAL_S = 3.0  # Telegram allows a group 20 messages a minute
# Messages sent and not yet answered by Telegram, at most: what a crash can repeat (an
# accepted message whose id was not stored yet). 29.5 a second at up to 0.27 s a request
# needs 8; more would only raise the bound.
MAX_IN_FLIGHT = 8


class Throttle:
    def __init__(
        self,
        per_second: float = OVERALL_PER_SECOND,
        per_chat_interval_s: float = PER_CHAT_INTERVAL_S,
        per_group_interval_s: float = PER_GROUP_INTERVAL_S,
    ) -> None:
        self._overall = AsyncLimiter(1, 1 / per_second)
        self._chat_interval = per_chat_interval_s
        self._group_interval = max(per_chat_interval_s, per_group_interval_s)
        self._last_done: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Hold while sending one message to `chat_id`. The per-chat gap is counted from
        the end of the previous send, so a request that was slow to arrive (a connection
        being opened) cannot land too close to the next one."""
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            if len(self._chat_locks) > 50_000:  # forget idle chats rather than grow forever
                self._forget_idle()
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        async with lock:
            last = self._last_done.get(chat_id)
            if last is not None:
                await asyncio.sleep(max(0.0, last + self.interval(chat_id) - time.monotonic()))
            await self._overall.acquire()
            try:
                async with self._in_flight:
                    yield
            finally:
                self._last_done[chat_id] = time.monotonic()

    def interval(self, chat_id: int) -> float:
        """The least time between two messages to this chat (groups have negative ids)."""
        return self._group_interval if chat_id < 0 else self._chat_interval

    def _forget_idle(self) -> None:
        cutoff = time.monotonic() - self._group_interval
        for chat_id in [c for c, t in self._last_done.items() if t < cutoff]:
            lock = self._chat_locks.get(chat_id)
            if lock is not None and not lock.locked():
                del self._chat_locks[chat_id]
                del self._last_done[chat_id]
