"""Telegram's sending limits, kept on our side: about 30 messages a second overall and one
a second per chat (python-telegram-bot's AIORateLimiter only does the overall one for
private chats). Spacing, not bursts, so no one-second window ever holds more than 30."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

OVERALL_PER_SECOND = 29.5  # a hair under 30: timer jitter must not tip a window over
PER_CHAT_INTERVAL_S = 1.05


class Throttle:
    def __init__(
        self,
        per_second: float = OVERALL_PER_SECOND,
        per_chat_interval_s: float = PER_CHAT_INTERVAL_S,
    ) -> None:
        self._overall = AsyncLimiter(1, 1 / per_second)
        self._chat_interval = per_chat_interval_s
        self._chats: dict[int, AsyncLimiter] = {}

    async def wait(self, chat_id: int) -> None:
        """Return when one more message to `chat_id` keeps within both limits."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 50_000:  # forget idle chats rather than grow forever
                self._chats.clear()
            chat = self._chats[chat_id] = AsyncLimiter(1, self._chat_interval)
        await chat.acquire()
        await self._overall.acquire()
