"""What only the assistant's front ends exchange with it: who is writing, and what a button
press does. The message types themselves are bot/messages/replies.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages.replies import Keyboard, Reply


@dataclass(frozen=True)
class Chat:
    id: int
    first_name: str | None = None


@dataclass(frozen=True)
class ButtonOutcome:
    toast: str  # the short notice Telegram shows on the button press
    replies: tuple[Reply, ...] = ()
    keyboard: Keyboard | None = None  # replaces the pressed message's buttons
    edit_html: str | None = None  # replaces the pressed message's text
