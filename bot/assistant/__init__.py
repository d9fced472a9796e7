"""The assistant: one Conversation object that every front end (Telegram, terminal) drives."""

from bot.assistant.buttons import press
from bot.assistant.commands import COMMANDS, MENU
from bot.assistant.core import Conversation
from bot.assistant.frontend import ButtonOutcome, Chat
from bot.messages.replies import Document, Reply

__all__ = [
    "COMMANDS",
    "MENU",
    "ButtonOutcome",
    "Chat",
    "Conversation",
    "Document",
    "Reply",
    "press",
]
