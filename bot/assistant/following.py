"""/add, /interests and /remove: what a reader follows."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.callbacks import encode
from bot.messages.html import echo
from bot.messages.replies import Button, Reply
from storage.interests import list_interests, remove_interest

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


async def add(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    if not args:
        return [
            Reply(
                "Tell me what to follow, e.g. <code>/add speculative decoding</code>. "
                "Several at once: separate them with ; or new lines."
            )
        ]
    return conv.add_interests(chat, args)


async def interests(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    return [interests_reply(conv, chat)]


def interests_reply(conv: Conversation, chat: Chat) -> Reply:
    stored = list_interests(conv.db, chat.id)
    user = conv.user(chat)
    if not stored:
        return Reply(
            "You follow nothing yet. Add topics with /add, e.g. "
            "<code>/add diffusion models</code>.\n" + conv.schedule_line(user)
        )
    kinds = {"topic": "", "author": "👤 ", "exclude": "🚫 ", "category": "🏷 "}
    lines = ["<b>Your interests</b> (tap ✖ to remove):"]
    lines += [f"{n}. {kinds[i.kind]}{escape(i.text)}" for n, i in enumerate(stored, 1)]
    lines.append("\n" + conv.schedule_line(user))
    buttons = tuple(
        tuple(
            Button(f"✖ {n}", encode("rm", str(i.id)))
            for n, i in list(enumerate(stored, 1))[k : k + 5]
        )
        for k in range(0, len(stored), 5)
    )
    return Reply("\n".join(lines), buttons)


async def remove(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    stored = list_interests(conv.db, chat.id)
    if not args:
        return [interests_reply(conv, chat)]
    target = None
    if args.isdigit() and 1 <= int(args) <= len(stored):
        target = stored[int(args) - 1]
    else:
        target = next((i for i in stored if i.text.lower() == args.lower()), None)
    if target is None:
        return [
            Reply(
                f"You don't follow “{echo(args)}”. /interests shows the list with "
                "numbers: /remove 2 removes the second."
            )
        ]
    remove_interest(conv.db, chat.id, target.id)
    return [Reply(f"Removed “{escape(target.text)}”.")]
