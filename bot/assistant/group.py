"""A Telegram group as a reader of its own (keyed by the group's chat id): its commands,
where only admins change settings; its members' votes (one each, tallied on the digest)
and reading list; questions asked by replying to the bot or mentioning it. Nothing here
reads or writes a member's private data."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.assistant.buttons import STALE, mark_choice, press
from bot.assistant.core import Conversation
from bot.assistant.frontend import ButtonOutcome, Chat
from bot.messages.callbacks import decode, encode
from bot.messages.html import echo
from bot.messages.replies import Button, Keyboard, Reply
from storage.deliveries import sent_paper_ids
from storage.feedback import save_paper, saved_paper_ids, unsave_paper
from storage.groups import cast_vote, get_group, most_voted, place_digests, vote_tallies
from storage.papers import all_papers, get_paper
from storage.turns import add_turn, answered
from storage.users import delete_user, get_user

# Asks Telegram (cached) whether the member who wrote or pressed is one of the group's admins.
Admin = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Place:
    """Where a group message came from: the group, and its forum topic."""

    chat: Chat  # the group: its chat id and title
    thread_id: int | None = None  # the topic (None: General, or a group without topics)
    forum: bool = False


ADMINS_ONLY = (
    "🔒 Only the group's admins can change my settings here; /help lists what everyone can do."
)
ADMINS_ONLY_TOAST = "Only the group's admins can do that."
# Settings: admins only. Those in ADMIN_TO_CHANGE only show something without arguments.
ADMIN_ALWAYS = frozenset(
    {"add", "subscribe", "remove", "unsubscribe", "pause", "resume", "here", "forget"}
)
ADMIN_TO_CHANGE = frozenset({"time", "timezone", "settings", "weekly", "learned"})
PRIVATE_ONLY = frozenset({"import", "library", "stats"})


def setup_text(bot_name: str) -> str:
    """The one message posted when the bot is added to a group (and /start there)."""
    at = f"@{html.escape(bot_name)}" if bot_name else "me"
    return (
        "👋 Hi! I'm <b>Paperboy</b>: every day I can post this group a digest of the new "
        "papers on its topics.\n"
        "<b>An admin sets me up</b>: <code>/add TOPIC</code> (e.g. <code>/add speculative "
        "decoding</code>, <code>author: NAME</code>), then <code>/time 09:00</code> and "
        "<code>/timezone Europe/Berlin</code>. In a forum, send /here in the topic where "
        "digests should go.\n"
        f"<b>Everyone</b>: 👍/👎 under a paper (the group's ranking learns from them), ⭐ puts "
        f"it on the /list, and a reply to a digest (or a message mentioning {at}) asks "
        "about its papers. /help for more."
    )


def group_help() -> str:
    return "\n".join(
        [
            "<b>Paperboy in this group</b>: a daily digest of new papers on the group's "
            "topics, for everyone here.",
            "",
            "<b>Everyone</b>",
            "👍 / 👎 under a paper: one vote each (press again to withdraw); the group's "
            "ranking learns from the votes, your private one does not",
            "⭐ puts a paper on the group's reading list; ❓ asks about it",
            "reply to a digest, or mention me, to ask about its papers",
            "/list — the reading list (/export as BibTeX)",
            "/digest — today's digest now; /interests — what the group follows",
            "/week — the group's week in a picture; /why N — why paper N was picked",
            "/search WORDS, /ask QUESTION",
            "",
            "<b>Admins</b>",
            "/add TOPIC, /remove N — the group's topics (<code>author:</code>, "
            "<code>not:</code>, <code>cat:</code> work)",
            "/time HH:MM, /timezone Area/City, /settings (papers, threshold, language), "
            "/weekly on|off, /pause, /resume",
            "/here — digests to this forum topic; /list remove N; /forget — delete the "
            "group's data",
            "",
            "Commands work as /cmd@botname too. Your own digest: a private chat with me.",
        ]
    )


async def group_command(
    conv: Conversation,
    place: Place,
    name: str,
    args: str,
    *,
    admin: Admin,
    addressed: bool,
    bot_name: str = "",
) -> list[Reply] | None:
    """`/name args` sent in a group. None: not ours to answer (an unknown command not
    addressed to this bot by name, as in `/cmd@OtherBot`, may be another bot's)."""
    name, args, chat = name.lower(), args.strip(), place.chat
    conv.user(chat)
    if name == "start":
        return [Reply(setup_text(bot_name))]
    if name == "help":
        return [Reply(group_help())]
    if name in PRIVATE_ONLY:
        return [Reply(f"/{name} works in a private chat with me, not in a group.")]
    if name in ("list", "saved"):
        return await reading_list(conv, chat, args, admin)
    command = conv.commands.get(name)
    if name != "here" and (command is None or command.admin_only):
        return (
            [Reply(f"I don't know /{echo(name, 40)}. /help lists what I do here.")]
            if (addressed)
            else None
        )
    if name in ADMIN_ALWAYS or (name in ADMIN_TO_CHANGE and args):
        if not await admin():
            return [Reply(ADMINS_ONLY)]
        if name == "here":
            return here(conv, place)
        if name == "forget":
            return [forget_question()]
        assert command is not None
        return [*await command.handler(conv, chat, args), *_placed_here(conv, place)]
    assert command is not None
    replies = await command.handler(conv, chat, args)
    if name == "week":
        replies += _most_voted(conv, chat)
    return replies


def _most_voted(conv: Conversation, chat: Chat) -> list[Reply]:
    """What the group's members voted on most in the last 7 days (none: nothing to add)."""
    since = (conv.clock() - timedelta(days=7)).isoformat(timespec="seconds")
    voted = most_voted(conv.db, chat.id, since)
    papers = {p.id: p for p in all_papers(conv.db, [pid for pid, _, _ in voted])}
    lines = ["🗳 <b>The week's most voted</b>"]
    for n, (pid, up, down) in enumerate(voted, 1):
        if pid in papers:
            lines.append(f"{n}. {html.escape(papers[pid].title)} — 👍 {up} · 👎 {down}")
    return [Reply("\n".join(lines))] if len(lines) > 1 else []


def here(conv: Conversation, place: Place) -> list[Reply]:
    """/here: the group's digests go to this forum topic from now on."""
    if not place.forum:
        return [Reply("This group has no topics: digests come to the chat itself.")]
    place_digests(conv.db, place.chat.id, place.thread_id)
    where = "this topic" if place.thread_id is not None else "the General topic"
    return [Reply(f"📍 The group's digests will come to {where}.")]


def _placed_here(conv: Conversation, place: Place) -> list[Reply]:
    """The first time an admin sets the bot up in a forum topic, digests go there."""
    group = get_group(conv.db, place.chat.id)
    if not place.forum or group is None or group.placed:
        return []
    place_digests(conv.db, place.chat.id, place.thread_id)
    where = "this topic" if place.thread_id is not None else "the General topic"
    return [Reply(f"📍 Digests will come to {where}; /here in another topic moves them.")]


def forget_question() -> Reply:
    buttons = (
        (
            Button("🗑 Yes, delete the group's data", encode("forget", "yes")),
            Button("Cancel", encode("forget", "no")),
        ),
    )
    return Reply(
        "This deletes the group's topics, settings, votes, reading list and history. "
        "It cannot be undone. Are you sure?",
        buttons,
    )


async def reading_list(conv: Conversation, chat: Chat, args: str, admin: Admin) -> list[Reply]:
    """/list: the group's reading list (⭐), with its votes; `/list remove N` (admins)."""
    ids = saved_paper_ids(conv.db, chat.id)
    words = args.lower().split()
    if words and words[0] in ("remove", "done"):
        if not await admin():
            return [Reply(ADMINS_ONLY)]
        if len(words) < 2 or not words[1].isdigit() or not 1 <= int(words[1]) <= len(ids):
            return [Reply("Send <code>/list remove N</code>, N a number from /list.")]
        paper_id = ids[int(words[1]) - 1]
        unsave_paper(conv.db, chat.id, paper_id)
        paper = get_paper(conv.db, paper_id)
        title = html.escape(paper.title) if paper else paper_id
        return [Reply(f"✔️ Took “{title}” off the reading list.")]
    if not ids:
        return [Reply("📚 The reading list is empty: tap ⭐ under a paper of a digest.")]
    papers = {p.id: p for p in all_papers(conv.db, ids)}
    tallies = vote_tallies(conv.db, chat.id, ids)
    lines = [f"📚 <b>The group's reading list</b> ({len(ids)}; /export for BibTeX):"]
    for n, pid in enumerate(ids[:30], 1):
        paper = papers.get(pid)
        if paper is None:
            continue
        link = html.escape(paper.links.arxiv or paper.links.hf or "")
        up, down = tallies[pid]
        votes = f" — 👍 {up} · 👎 {down}" if up or down else ""
        lines.append(f'{n}. <a href="{link}">{html.escape(paper.title)}</a>{votes}')
    return [Reply("\n".join(lines))]


async def group_question(
    conv: Conversation, chat: Chat, text: str, reply_to: int | None, message_id: int | None
) -> list[Reply]:
    """A reply to the bot, or a message mentioning it: a question about the papers, as in
    a private chat (a reply to a digest asks about that digest's papers). Requests in
    words ("pause", "follow X") are not read here: settings take an admin's command."""
    if message_id is not None and answered(conv.db, chat.id, message_id):
        return []  # handled before a restart, and answered
    conv.user(chat)
    if not text.strip():
        return [Reply("Ask me about the papers: reply to a digest, or mention me with a question.")]
    return await conv.question(chat, text.strip(), reply_to, message_id)


async def group_press(
    conv: Conversation,
    chat: Chat,
    member_id: int,
    data: str | None,
    keyboard: Keyboard,
    *,
    admin: Admin,
) -> ButtonOutcome:
    """A member pressed a button in the group: 👍/👎 vote (one per member), ⭐ the reading
    list, ❓ ask; ✖ and /forget's confirmation are for admins."""
    decoded = decode(data)
    if decoded is None or data is None:
        return ButtonOutcome(STALE)
    action, value = decoded
    if action in ("rm", "forget"):
        if not await admin():
            return ButtonOutcome(ADMINS_ONLY_TOAST)
        return (
            _forget(conv, chat, value)
            if action == "forget"
            else await press(conv, chat, data, keyboard)
        )
    if action not in ("up", "down", "save", "ask"):
        return ButtonOutcome(STALE)  # onboarding and requests in words are private-only
    paper = get_paper(conv.db, value)
    if paper is None:
        return ButtonOutcome("I no longer have that paper.")
    shown = any(b.data == data for row in keyboard for b in row)
    if not shown and paper.id not in set(sent_paper_ids(conv.db, chat.id, limit=1_000_000)):
        return ButtonOutcome(STALE)
    if action in ("up", "down"):
        now = cast_vote(conv.db, chat.id, paper.id, member_id, 1 if action == "up" else -1)
        tallies = vote_tallies(conv.db, chat.id, [paper.id, *_voted_papers(keyboard)])
        up, down = tallies[paper.id]
        said = {1: "👍 Your vote counts", -1: "👎 Your vote counts", 0: "Vote withdrawn"}[now]
        return ButtonOutcome(f"{said}: 👍 {up} · 👎 {down}", keyboard=tallied(keyboard, tallies))
    if action == "save":
        fresh = save_paper(conv.db, chat.id, paper.id)
        toast = "⭐ On the group's reading list (/list)." if fresh else "Already on the list."
        return ButtonOutcome(toast, keyboard=mark_choice(keyboard, data))
    prompt = (
        f"❓ What would you like to know about “{html.escape(paper.title)}”? Reply to this "
        "message with your question."
    )
    turn = add_turn(conv.db, chat.id, "assistant", prompt, cited=[paper.id])
    return ButtonOutcome("Ask away!", replies=(Reply(prompt, turn_id=turn),))


def _voted_papers(keyboard: Keyboard) -> list[str]:
    return [
        b.data.partition("|")[2]
        for row in keyboard
        for b in row
        if b.data.startswith(("up|", "down|"))
    ]


VOTE_EMOJI = {"up": "👍", "down": "👎"}


def tallied(keyboard: Keyboard, tallies: dict[str, tuple[int, int]]) -> Keyboard | None:
    """The digest's buttons with each paper's votes on them ("1 👍 3", "1 👎 1"): the
    group's tally, the same for everyone (no member's own choice is marked)."""
    if not keyboard:
        return None
    rows = []
    for row in keyboard:
        new_row = []
        for button in row:
            action, _, paper_id = button.data.partition("|")
            if action not in VOTE_EMOJI or paper_id not in tallies:
                new_row.append(button)
                continue
            count = tallies[paper_id][0 if action == "up" else 1]
            first = button.text.removeprefix("✅").split(" ", 1)[0]
            number = first if first.isdigit() else ""
            label = " ".join(filter(None, [number, VOTE_EMOJI[action], str(count or "")]))
            new_row.append(Button(label, button.data))
        rows.append(tuple(new_row))
    return tuple(rows)


def _forget(conv: Conversation, chat: Chat, value: str) -> ButtonOutcome:
    if get_user(conv.db, chat.id) is None:
        return ButtonOutcome("Already deleted.", keyboard=())
    if value != "yes":
        return ButtonOutcome("Kept everything.", keyboard=(), edit_html="Nothing was deleted.")
    delete_user(conv.db, chat.id)
    return ButtonOutcome(
        "Deleted.",
        keyboard=(),
        edit_html=(
            "🗑 Everything I stored for this group is deleted: its topics, settings, votes, "
            "reading list and history. /start to set me up again."
        ),
    )
