"""/privacy: what the bot keeps about the reader, counted, and how to take it back."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.replies import Reply
from storage.users import kept_about

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def privacy(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    kept = kept_about(conv.db, chat.id)
    name = f"your first name ({escape(user.first_name)}) and " if user.first_name else ""
    lines = [
        "🔐 <b>What I keep about you</b>, in this service's database:",
        f"• {name}this chat's id; your settings (digest at {user.digest_time}, "
        f"{escape(user.timezone)}; {user.papers_per_digest} papers)",
        f"• {_n(kept['interests'], 'interest')}, {_n(kept['saved'], 'saved paper')}, "
        f"{_n(kept['ratings'], 'rating')} (👍/👎) and what I learned from them, "
        f"{_n(kept['imported'], 'imported paper')}",
        f"• {_n(kept['digests'], 'digest')} sent and {'its' if kept['digests'] == 1 else 'their'} "
        f"papers; {_n(kept['messages'], 'message')} of our questions and answers (so a "
        "follow-up knows what “it” is)",
        "",
        "Your questions go to the language model this service is set up with, if any, to be "
        "answered. /export gives your saved and imported papers as BibTeX; /forget deletes "
        "all of the above at once.",
    ]
    return [Reply("\n".join(lines))]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
