"""/why N: why paper N of the reader's latest digest was picked, in their terms — the
interest it matched or the papers they liked, imported or 👎 that moved it — and what
they can do about it."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.replies import Reply
from storage.deliveries import StoredItem, latest_sent_items
from storage.papers import get_paper

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def why_command(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    day, items = latest_sent_items(conv.db, chat.id)
    if not items:
        return [Reply("No digest sent to you yet: /digest gets today's, then /why 1 explains it.")]
    wanted = args.strip().removeprefix("#")
    if not wanted:
        lines = [f"<b>Why these papers</b> (your digest of {escape(day)}):"]
        lines += [_line(conv, item) for item in items]
        return [Reply("\n".join([*lines, "", _HINT]))]
    if not wanted.isdigit() or not 1 <= int(wanted) <= len(items):
        return [Reply(f"Which paper? Send /why 1 to /why {len(items)} (your digest of {day}).")]
    item = items[int(wanted) - 1]
    lines = [f"<b>Paper {item.position} of your digest of {escape(day)}</b>", _line(conv, item)]
    if item.why:
        lines.append(f"💡 {escape(item.why)}")
    return [Reply("\n".join([*lines, "", _HINT]))]


_HINT = (
    "👍/👎 under a paper teach the ranking; /learned shows what it learned; "
    "/add or /remove change your interests."
)


def _line(conv: Conversation, item: StoredItem) -> str:
    paper = get_paper(conv.db, item.paper_id)
    title = escape(paper.title) if paper is not None else escape(item.paper_id)
    reason = item.reason.replace("your interest", "matched your interest", 1)
    return f"{item.position}. <b>{title}</b>: {escape(reason)} (score {item.score:.2f})"
