"""Every slash command: parse the arguments, call storage or a plain function, reply.

The registry at the bottom is the one ordered list that /help, Telegram's command menu
(setMyCommands) and the dispatcher all read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from bot.assistant.bibtex import to_bibtex
from bot.assistant.frontend import Chat
from bot.assistant.library import import_command, learned_command, library_command
from bot.assistant.why import why_command
from bot.delivery.outbox import describe_counts
from bot.digests.schedule import PreferenceError, local_day, parse_time, parse_timezone
from bot.llm import start_of_utc_day
from bot.messages.callbacks import encode
from bot.messages.html import echo, visible
from bot.messages.replies import Button, Document, Reply
from bot.weekly.chart import draw
from bot.weekly.days import WEEKDAYS, WeekdayError, parse_weekday
from bot.weekly.recap import reader_week
from bot.weekly.text import caption, thin_text, top_lines
from storage.deliveries import recent_errors, status_counts
from storage.feedback import saved_paper_ids
from storage.groups import group_counts
from storage.interests import list_interests, remove_interest
from storage.library import list_library
from storage.llm_calls import usage_since
from storage.papers import all_papers, count_papers, search_papers
from storage.users import update_user, user_counts
from storage.weekly import set_weekly, weekly_day

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


# Languages typed as a code or in English; any other name is passed to the LLM as written.
LANGUAGES = {"en": "en", "english": "en"}


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


async def time_(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    if not args:
        return [Reply(f"{conv.schedule_line(user)} Change it with e.g. <code>/time 07:30</code>.")]
    try:
        value = parse_time(args)
    except PreferenceError as exc:
        return [Reply(echo(str(exc), 400))]
    update_user(conv.db, chat.id, digest_time=value)
    return [Reply("⏰ " + conv.schedule_line(conv.user(chat)))]


async def timezone(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    if not args:
        return [
            Reply(
                f"Your time zone is {escape(user.timezone)}. Change it with e.g. "
                "<code>/timezone Europe/Berlin</code> (a city name works too)."
            )
        ]
    try:
        zone = parse_timezone(args)
    except PreferenceError as exc:
        return [Reply(echo(str(exc), 400))]
    update_user(conv.db, chat.id, timezone=zone)
    return [Reply("🌍 " + conv.schedule_line(conv.user(chat)))]


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


async def weekly(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/weekly on [DAY] | off: the week's picture pushed on that day at the digest time."""
    user = conv.user(chat)
    words = args.lower().split()
    if not words:
        day = weekly_day(conv.db, chat.id)
        state = "off" if day is None else f"on, {WEEKDAYS[day].title()}s at {user.digest_time}"
        return [
            Reply(
                f"📊 Weekly picture: {state}. <code>/weekly on sunday</code> or "
                "<code>/weekly off</code>."
            )
        ]
    if words[0] == "off":
        set_weekly(conv.db, chat.id, None)
        return [Reply("📊 Weekly picture off. /week still draws it whenever you ask.")]
    if words[0] != "on":
        return [
            Reply(
                "Send <code>/weekly on</code> (Sundays), <code>/weekly on friday</code>, "
                "or <code>/weekly off</code>."
            )
        ]
    try:
        day = parse_weekday(" ".join(words[1:])) if words[1:] else WEEKDAYS.index("sunday")
    except WeekdayError as exc:
        return [Reply(f"📊 {escape(str(exc))}")]
    set_weekly(conv.db, chat.id, day)
    return [
        Reply(
            f"📊 Weekly picture on: {WEEKDAYS[day].title()}s at {user.digest_time} "
            f"({escape(user.timezone)}), with your digest time (/time changes both)."
        )
    ]


async def pause(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    update_user(conv.db, chat.id, paused=1)
    return [Reply("⏸ Daily digests paused. /resume brings them back; questions still work.")]


async def resume(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    update_user(conv.db, chat.id, paused=0)
    return [Reply("▶️ " + conv.schedule_line(conv.user(chat)))]


async def saved(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    ids = saved_paper_ids(conv.db, chat.id)
    if not ids:
        return [Reply("Nothing saved yet: tap ⭐ under a paper in your digest.")]
    papers = {p.id: p for p in all_papers(conv.db, ids)}
    lines = [f"<b>Saved papers</b> ({len(ids)}; /export for BibTeX):"]
    for n, pid in enumerate(ids[:30], 1):
        paper = papers.get(pid)
        if paper:
            lines.append(
                f'{n}. <a href="{escape(paper.links.arxiv or paper.links.hf or "")}">'
                f"{escape(paper.title)}</a>"
            )
    return [Reply("\n".join(lines))]


async def search(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    query = visible(args).strip()  # what the reader sees is what is searched and echoed
    if not query:
        return [Reply("Search all stored papers, e.g. <code>/search speculative decoding</code>.")]
    found = search_papers(conv.db, query, limit=8)
    if not found:
        return [Reply(f"No stored paper mentions all of “{echo(query)}”. Try fewer words.")]
    lines = [f"<b>{len(found)} paper(s) for “{echo(query)}”</b>:"]
    lines += [
        f'{n}. <a href="{escape(p.links.arxiv or p.links.hf or "")}">{escape(p.title)}</a>'
        for n, p in enumerate(found, 1)
    ]
    return [Reply("\n".join(lines))]


async def ask(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    if not args:
        return [
            Reply(
                "Ask about the papers, e.g. <code>/ask which paper speeds up MoE "
                "inference?</code> (or just type the question)."
            )
        ]
    return await conv.question(chat, args)


async def settings(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    user = conv.user(chat)
    key, _, value = args.partition(" ")
    key, value = key.lower(), value.strip()
    if key in ("papers", "threshold", "language") and value:
        problem = _apply_setting(conv, chat, key, value)
        if problem:
            return [Reply(problem)]
        user = conv.user(chat)
    threshold = "automatic" if user.threshold is None else f"{user.threshold:.2f}"
    text = (
        "<b>Your settings</b>\n"
        f"papers per digest: {user.papers_per_digest}\n"
        f"relevance threshold: {threshold}\n"
        f"summary language: {escape(user.language or 'en')}\n"
        f"{conv.schedule_line(user)}\n\n"
        "Change with <code>/settings papers 7</code> (1-10), "
        "<code>/settings threshold 0.4</code> (0-1, or auto), "
        "<code>/settings language German</code>."
    )
    return [Reply(text)]


def _apply_setting(conv: Conversation, chat: Chat, key: str, value: str) -> str | None:
    if key == "papers":
        if not value.isdigit() or not 1 <= int(value) <= 10:
            return "Papers per digest must be a whole number from 1 to 10."
        update_user(conv.db, chat.id, papers_per_digest=int(value))
    elif key == "threshold":
        if value.lower() in ("auto", "default"):
            update_user(conv.db, chat.id, threshold=None)
            return None
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number <= 1:
            return (
                "The threshold is a number from 0 (show anything) to 1 (only sure hits), or auto."
            )
        update_user(conv.db, chat.id, threshold=number)
    else:
        if len(value) > 30 or not all(ch.isalpha() or ch in " -" for ch in value):
            return "Give a language name, e.g. <code>/settings language German</code>."
        update_user(conv.db, chat.id, language=LANGUAGES.get(value.lower(), value.title()))
    return None


async def export(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    ids = saved_paper_ids(conv.db, chat.id)
    library = [p.as_paper() for p in list_library(conv.db, chat.id)]
    if not ids and not library:
        return [Reply("Nothing saved yet: tap ⭐ under a paper (or /import yours), then /export.")]
    stored = {p.id: p for p in all_papers(conv.db, ids)}
    saved = [stored[pid] for pid in ids if pid in stored]
    mine = [p for p in library if p.id not in stored]
    content = to_bibtex(saved + mine).encode()
    caption = f"{len(saved)} saved, {len(mine)} imported paper(s)"
    return [Reply("", document=Document("paperboy-papers.bib", content, caption))]


async def forget(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    buttons = (
        (
            Button("🗑 Yes, delete everything", encode("forget", "yes")),
            Button("Cancel", encode("forget", "no")),
        ),
    )
    return [
        Reply(
            "This deletes your interests, settings, saved papers, feedback and chat "
            "history. It cannot be undone. Are you sure?",
            buttons,
        )
    ]


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
        Command("pause", pause, "stop daily digests"),
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
        Command("forget", forget, "delete all my data about you"),
        Command("stats", stats, "usage and delivery numbers (admins)", admin_only=True),
    ]
}
COMMANDS["subscribe"] = Command("subscribe", add, "same as /add", "TOPIC")
COMMANDS["unsubscribe"] = Command("unsubscribe", remove, "same as /remove", "N")
MENU = [
    c for c in COMMANDS.values() if not c.admin_only and c.name not in ("subscribe", "unsubscribe")
]
