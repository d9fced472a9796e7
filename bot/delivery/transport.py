"""What the one outbox sender sends over: Telegram in production, the terminal in
`paperboy chat`. A transport sends one message and says how it went in two words the
sender acts on: the chat is gone (Blocked), or this try failed and may be retried later
(SendFailed). Anything else it raises is a bug of ours, retried too but logged with its trace."""

from __future__ import annotations

from typing import Protocol

from bot.messages.replies import Reply


class Blocked(Exception):
    """The chat will not take messages any more (a user blocked the bot, a group removed it)."""

    def __init__(self, chat_id: int) -> None:
        super().__init__(f"chat {chat_id} blocked the bot")
        self.chat_id = chat_id


class SendFailed(Exception):
    """One try failed for reasons of the channel (network, Telegram's refusal, its limits
    after our own retries): the entry is retried with backoff."""


class Transport(Protocol):
    async def send(
        self, chat_id: int, reply: Reply, thread_id: int | None = None
    ) -> tuple[int, int]:
        """Send one message; (the chat it went to, its message id). The chat can change:
        a group upgraded to a supergroup gets a new id."""
        ...
