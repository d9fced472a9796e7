"""/digest and /week: today's digest and the week's picture when the reader asks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.digests.schedule import local_day
from bot.messages.replies import Document, Reply
from bot.weekly.chart import draw
from bot.weekly.recap import reader_week
from bot.weekly.text import caption, thin_text, top_lines
from storage.interests import list_interests

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def digest(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """Today's digest now; if it already went out today, the same one again."""
    user = conv.user(chat)
    if not list_interests(conv.db, chat.id):
        return [
            Reply(
                "Tell me what you're interested in first, e.g. "
                "<code>/add mixture of experts</code>."
            )
        ]
    now = conv.clock()
    return await conv.desk.on_demand(user, local_day(user.timezone, now), now)


async def week(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """The week in a picture: matches per interest and day, and the week's top papers."""
    conv.user(chat)
    if not any(i.kind == "topic" for i in list_interests(conv.db, chat.id)):
        return [Reply("📊 Follow a topic first (/add), and I'll draw your week.")]
    recap = await reader_week(conv.db, chat.id, embedder=conv.embedder)  # counted off the loop
    if recap is None or recap.thin:
        return [Reply(thin_text(recap))]
    picture = Document("week.png", await draw(recap), caption(recap))  # drawn off the loop
    return [Reply("", photo=picture), Reply(top_lines(recap, as_html=True))]
