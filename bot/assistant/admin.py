"""/stats: usage and delivery numbers, for admins."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.delivery.outbox import describe_counts
from bot.llm import start_of_utc_day
from bot.messages.replies import Reply
from storage.deliveries import recent_errors, status_counts
from storage.groups import group_counts
from storage.llm_calls import usage_since
from storage.papers import count_papers
from storage.users import user_counts

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def stats(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    users = user_counts(conv.db)
    groups = group_counts(conv.db)
    deliveries = status_counts(conv.db)
    usage = usage_since(conv.db, start_of_utc_day())
    budget = conv.settings.llm_daily_tokens
    lines = [
        "<b>Stats</b>",
        f"users: {users['users']} ({users['paused']} paused, {users['blocked']} blocked)",
        f"groups: {groups['groups']} ({groups['paused']} paused, {groups['removed']} removed)",
        f"papers stored: {count_papers(conv.db)}",
        "outbox: " + (describe_counts(deliveries) or "none"),
        f"LLM today: {usage.calls} calls ({usage.failed} failed), "
        f"{usage.tokens_in + usage.tokens_out:,} of {budget:,} tokens",
    ]
    errors = recent_errors(conv.db)
    if errors:
        lines.append("latest delivery errors (paperboy deliveries for all):")
        lines += [
            f"  #{did} {kind} {status}: {escape(error)}" for did, kind, status, error in errors
        ]
    return [Reply("\n".join(lines))]
