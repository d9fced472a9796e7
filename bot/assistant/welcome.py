"""/start and /help: what Paperboy does and what a reader can type."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.replies import Reply
from storage.interests import list_interests

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def start(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """Onboarding: what the bot does, then ask for the first interests."""
    user = conv.user(chat)
    name = f", {escape(chat.first_name)}" if chat.first_name else ""
    text = (
        f"👋 Hi{name}! I'm <b>Paperboy</b>. Every day I read the new papers (Hugging Face "
        "Daily Papers and arXiv), pick the ones that match your interests, summarise them, and "
        "send you a short digest. Reply to it with any question and I answer from the papers, "
        "citing them.\n\n"
        "<b>What are you interested in?</b> Send a few topics (one per line, or one message "
        "each; tap Done when you have them all), for example:\n"
        "<code>mixture of experts inference\nLoRA\nauthor: Tri Dao\nnot: medical imaging\n"
        "cat: cs.CL</code>\n"
        "(<code>cat:</code> follows an arXiv category: alone it brings that category's papers; "
        "with topics, the topics within it.)"
        f"\n\n{conv.schedule_line(user)} Change it with /time and /timezone. /help lists "
        "everything."
    )
    if list_interests(conv.db, chat.id):
        text += "\n\nYou already follow some topics: see /interests."
    return [Reply(text)]


async def help_(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    return [Reply(conv.help_text(chat))]
