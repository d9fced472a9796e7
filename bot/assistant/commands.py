"""The registry of slash commands: the one ordered list that /help, Telegram's command menu
(setMyCommands) and the dispatcher all read. The handlers live by concern: welcome,
following, preferences, on_demand, saved, library, why, admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.assistant.admin import stats
from bot.assistant.following import add, interests, remove
from bot.assistant.frontend import Chat
from bot.assistant.library import import_command, learned_command, library_command
from bot.assistant.on_demand import digest, week
from bot.assistant.preferences import forget, pause, resume, settings, time_, timezone, weekly
from bot.assistant.privacy import privacy
from bot.assistant.saved import ask, export, saved, search
from bot.assistant.welcome import help_, start
from bot.assistant.why import why_command
from bot.messages.replies import Reply

if TYPE_CHECKING:
    from bot.assistant.core import Conversation

Handler = Callable[["Conversation", Chat, str], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    summary: str  # shown by Telegram's command menu and /help
    usage: str = ""
    admin_only: bool = False


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in [
        Command("start", start, "what I do, and your first interests"),
        Command("help", help_, "this list"),
        Command("add", add, "follow a topic, author: NAME, or not: TOPIC", "TOPIC"),
        Command("interests", interests, "what you follow (tap to remove)"),
        Command("remove", remove, "stop following one (number or text)", "N"),
        Command("time", time_, "when your digest arrives", "HH:MM"),
        Command("timezone", timezone, "your time zone", "Area/City"),
        Command("digest", digest, "today's digest now"),
        Command("week", week, "your week in a picture"),
        Command("weekly", weekly, "the week's picture every week (on [DAY] | off)", "on|off"),
        Command("pause", pause, "stop daily digests (for a while, or until /resume)", "[7 days]"),
        Command("resume", resume, "start them again"),
        Command("saved", saved, "papers you starred"),
        Command("search", search, "search all stored papers", "WORDS"),
        Command("ask", ask, "ask about the papers", "QUESTION"),
        Command("settings", settings, "papers per digest, threshold, language"),
        Command(
            "import",
            import_command,
            "your own papers: a .bib/.ris/CSL-JSON file or arXiv ids",
            "IDS",
        ),
        Command("library", library_command, "the papers you imported"),
        Command("why", why_command, "why paper N of your last digest was picked", "N"),
        Command("learned", learned_command, "what I learned from your 👍/👎 (reset)"),
        Command("export", export, "saved and imported papers as BibTeX"),
        Command("privacy", privacy, "what I keep about you"),
        Command("forget", forget, "delete all my data about you"),
        Command("stats", stats, "usage and delivery numbers (admins)", admin_only=True),
    ]
}
COMMANDS["subscribe"] = Command("subscribe", add, "same as /add", "TOPIC")
COMMANDS["unsubscribe"] = Command("unsubscribe", remove, "same as /remove", "N")
MENU = [
    c for c in COMMANDS.values() if not c.admin_only and c.name not in ("subscribe", "unsubscribe")
]
