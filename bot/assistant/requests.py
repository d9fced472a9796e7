"""Requests typed in words, carried out as their commands would be: "save paper 1", "also
follow X", "stop following the serving one", "send it at 7:30", "pausiere bitte". What
the words mean is bot/assistant/intents.py; here, which paper or topic they name, and the
doing. When a message could mean two things, the reader is asked with buttons."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from bot.answers.retrieve import digest_numbering
from bot.assistant.following import interests_reply
from bot.assistant.frontend import Chat
from bot.assistant.intents import LAST, Intent
from bot.assistant.library import import_command
from bot.assistant.pausing import pause_until
from bot.assistant.preferences import settings, time_, timezone
from bot.assistant.why import why_command
from bot.messages.callbacks import CALLBACK_LIMIT, encode
from bot.messages.html import echo
from bot.messages.replies import Button, Reply
from bot.text import content_stems
from storage.deliveries import papers_in_message
from storage.feedback import (
    record_feedback,
    remove_feedback,
    save_paper,
    saved_paper_ids,
    unsave_paper,
)
from storage.interests import StoredInterest, list_interests, remove_interest
from storage.papers import Paper, all_papers
from storage.turns import recent_turns

if TYPE_CHECKING:
    from bot.assistant.core import Conversation

NO_DIGEST = "You have no digest yet, so there is no paper {n}: send /digest to get today's."
WHICH_PAPER = "Which paper? Say e.g. “save paper 2” (the numbers of your latest digest)."


async def carry_out(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None = None
) -> list[Reply] | None:
    """The replies to a request, or None when `intent` is a question (to be answered)."""
    doer = _DOERS.get(intent.kind)
    return await doer(conv, chat, intent, reply_to) if doer is not None else None


async def _save(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    found = _papers(conv, chat, intent, reply_to)
    if isinstance(found, str):
        return [Reply(found)]
    lines = []
    for paper in found:
        fresh = save_paper(conv.db, chat.id, paper.id)
        lines.append(f"⭐ {'Saved' if fresh else 'Already saved'}: “{escape(paper.title)}”.")
    return [Reply("\n".join([*lines, "/saved lists them, /export gives BibTeX."]))]


async def _unsave(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    found = _papers(conv, chat, intent, reply_to)
    if isinstance(found, str):
        return [Reply(found)]
    lines = [
        f"{'Removed from' if unsave_paper(conv.db, chat.id, p.id) else 'Was not in'} your "
        f"saved papers: “{escape(p.title)}”."
        for p in found
    ]
    return [Reply("\n".join(lines))]


async def _rate(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    """As 👍/👎 under the paper: the reader model learns from it at the next ranking."""
    found = _papers(conv, chat, intent, reply_to)
    if isinstance(found, str):
        return [Reply(found)]
    return [Reply(rated(conv, chat, found, up=intent.slot == "up"))]


def rated(conv: Conversation, chat: Chat, papers: list[Paper], *, up: bool) -> str:
    for paper in papers:
        record_feedback(conv.db, chat.id, paper.id, 1 if up else -1)
    titles = ", ".join(f"“{escape(p.title)}”" for p in papers)
    more = "more" if up else "fewer"
    return f"{'👍' if up else '👎'} Noted for {titles}: {more} papers like it from now on."


async def _unrate(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    found = _papers(conv, chat, intent, reply_to)
    if isinstance(found, str):
        return [Reply(found)]
    lines = [
        f"{'Took back your' if remove_feedback(conv.db, chat.id, p.id) else 'There was no'} "
        f"rating of “{escape(p.title)}”."
        for p in found
    ]
    return [Reply("\n".join(lines))]


async def _follow(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    if intent.options[:1] == ("instead_of",):  # "replace X with Y": Y in, then X out
        added = conv.add_interests(chat, intent.slot)
        gone = await _unfollow(conv, chat, replace(intent, slot=intent.options[1]), reply_to)
        return [*added, *gone]
    return conv.add_interests(chat, intent.slot)


async def _not_interested(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    (added,) = conv.add_interests(chat, f"not: {intent.slot}")
    if not added.html.startswith("✅"):
        return [added]
    return [Reply(f"{added.html}\nPapers about it are left out of your digests from now on.")]


async def _unfollow(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    stored = list_interests(conv.db, chat.id)
    if not stored:
        return [Reply("You follow nothing yet. /add a topic, e.g. <code>/add LLM agents</code>.")]
    target = _interest_named(stored, intent.slot, intent.raw)
    if target is None:
        listing = interests_reply(conv, chat)
        return [Reply("Which one should I stop following? Tap ✖ beside it."), listing]
    remove_interest(conv.db, chat.id, target.id)
    return [Reply(f"✖ Stopped following “{escape(target.text)}”. /interests shows the rest.")]


async def _set_time(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    return await time_(conv, chat, intent.slot)


async def _set_papers(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    if not intent.slot:  # "fewer papers": how many is the reader's to say
        now = conv.user(chat).papers_per_digest
        return [
            Reply(
                f"Your digest has up to {now} papers. How many would you like? Say e.g. "
                "“3 papers a day”, or <code>/settings papers 3</code> (1-10)."
            )
        ]
    return await settings(conv, chat, f"papers {intent.slot}")


async def _set_timezone(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    if not intent.slot:
        return await timezone(conv, chat, "")
    return await timezone(conv, chat, intent.slot)


async def _why(conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None) -> list[Reply]:
    found = _papers(conv, chat, intent, reply_to, numbered=True)
    if isinstance(found, str):
        return [Reply(found)]
    numbering = digest_numbering(conv.db, chat.id, reply_to)
    positions = [n for n, p in numbering if p.id in {f.id for f in found}]
    return await why_command(conv, chat, str(positions[0]) if positions else "")


async def _more_like(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    found = _papers(conv, chat, intent, reply_to)
    if isinstance(found, str):
        return [Reply(found)]
    for paper in found:
        record_feedback(conv.db, chat.id, paper.id, 1)
    titles = "; ".join(f"“{escape(p.title)}”" for p in found)
    return [Reply(f"👍 Noted: more papers like {titles} in your digests. /learned shows it.")]


async def _import(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    return await import_command(conv, chat, " ".join(intent.ids))


async def _command(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    name = {"pause": "pause", "resume": "resume", "digest": "digest"}.get(intent.kind, intent.slot)
    # "pause for a week pls": the message says how long ("for a while" does not: until /resume)
    says_how_long = name == "pause" and pause_until(intent.raw, date.today()) is not None
    return await conv.command(chat, name, intent.raw if says_how_long else "")


async def _smalltalk(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply]:
    if re.search(r"\b(?:thank|thanks|thx|danke|gracias|merci|good|great|nice|cool)", intent.raw):
        return [Reply("Glad to help! Ask me anything about your papers, or /help.")]
    return [
        Reply(
            "Hello! I'm Paperboy: I send you new papers matched to your interests each "
            "morning and answer questions about them. Try “what's the main result of paper "
            "1?”, “save paper 2”, “also follow LLM agents” or /help."
        )
    ]


async def _ambiguous(
    conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None
) -> list[Reply] | None:
    """Ask rather than guess: a bare phrase (follow it, or look it up?), "remove 3" (a topic
    or a saved paper?), "stop" (pause, or stop following something?)."""
    if intent.options == ("question",):
        return None  # "paper 5" alone: what it is about
    if intent.options == ("rate",):
        return [_rate_unnamed(conv, chat, intent, reply_to)]
    if "follow" in intent.options and intent.slot:
        return [_follow_or_search(intent.slot)]
    if "unsave" in intent.options:
        return [_topic_or_saved(conv, chat, intent.slot)]
    if "undo" in intent.options:
        return [Reply("There is nothing of yours I can undo just now: /help lists what I can do.")]
    confirm = [o for o in intent.options if o in _CONFIRMABLE]
    if confirm and "question" in intent.options:
        label = _CONFIRMABLE[confirm[0]]
        return [
            Reply(
                f"Did you mean: {label.lower()}? If it was a question about a paper, ask it "
                "with the paper's number, e.g. “what does paper 2 do?”",
                ((Button(f"✅ {label}", encode("req", confirm[0])),),),
            )
        ]
    if "pause" in intent.options:
        return [
            Reply(
                "Stop what? /pause stops your daily digests; /interests lists your topics "
                "with a ✖ to stop following one.",
                ((Button("⏸ Pause my digests", encode("req", "pause")),),),
            )
        ]
    return [Reply("Which paper? Say e.g. “more like paper 2”, or tap 👍 under it.")]


def _rate_unnamed(conv: Conversation, chat: Chat, intent: Intent, reply_to: int | None) -> Reply:
    """ "nah, not this one 👎" with no paper named: the one paper of the message replied
    to, else the one paper the last answer was about, else ask which."""
    replied = papers_in_message(conv.db, chat.id, reply_to) if reply_to is not None else []
    papers = all_papers(conv.db, replied) if len(replied) == 1 else []
    papers = papers or _last_turn_papers(conv, chat)
    if len(papers) == 1:
        return Reply(rated(conv, chat, papers, up=intent.slot == "up"))
    emoji = "👍" if intent.slot == "up" else "👎"
    return Reply(f"Which paper? Tap {emoji} under it, or say e.g. “paper 2 {emoji}”.")


_CONFIRMABLE = {
    "pause": "Pause my daily digests",
    "resume": "Resume my daily digests",
    "digest": "Send today's digest",
}


def _follow_or_search(phrase: str) -> Reply:
    rows: list[tuple[Button, ...]] = []
    if _fits("addi", phrase):
        rows.append((Button(f"➕ Follow “{phrase}”", encode("addi", phrase)),))
    if _fits("srch", phrase):
        rows.append((Button("🔎 No, search the papers for it", encode("srch", phrase)),))
    return Reply(
        f"Do you want to follow “{echo(phrase)}” (new papers about it in your digest), or "
        "did you mean a question?",
        tuple(rows),
    )


def _topic_or_saved(conv: Conversation, chat: Chat, number: str) -> Reply:
    n = int(number) if number.isdigit() else 0
    rows: list[tuple[Button, ...]] = []
    stored = list_interests(conv.db, chat.id)
    if 1 <= n <= len(stored):
        topic = stored[n - 1]
        rows.append((Button(f"✖ Stop following “{topic.text[:30]}”", encode("rm", str(topic.id))),))
    numbering = dict(digest_numbering(conv.db, chat.id, None))
    if n in numbering and numbering[n].id in saved_paper_ids(conv.db, chat.id):
        rows.append((Button(f"☆ Unsave paper {n}", encode("unsv", numbering[n].id)),))
    if not rows:
        return Reply(f"There is no topic or paper {n} to remove: /interests and /saved list them.")
    return Reply(f"Remove which {n}?", tuple(rows))


def _fits(action: str, value: str) -> bool:
    return len(f"{action}|{value}".encode()) <= CALLBACK_LIMIT


_DOERS = {
    "save": _save,
    "unsave": _unsave,
    "rate": _rate,
    "unrate": _unrate,
    "follow": _follow,
    "not_interested": _not_interested,
    "unfollow": _unfollow,
    "set_time": _set_time,
    "set_timezone": _set_timezone,
    "set_papers": _set_papers,
    "why": _why,
    "more_like": _more_like,
    "import": _import,
    "pause": _command,
    "resume": _command,
    "digest": _command,
    "command": _command,
    "smalltalk": _smalltalk,
    "ambiguous": _ambiguous,
}


def _papers(
    conv: Conversation,
    chat: Chat,
    intent: Intent,
    reply_to: int | None,
    *,
    numbered: bool = False,
) -> list[Paper] | str:
    """The papers a request names: by number in the digest (replied to, else the latest),
    by a word of the title ("the splitwise one"), or "it" (the paper the last turn was
    about); a string says why none could be found."""
    numbering = digest_numbering(conv.db, chat.id, reply_to)
    if intent.papers:
        if not numbering:
            return NO_DIGEST.format(n=intent.papers[0] if intent.papers[0] != LAST else "")
        wanted = [len(numbering) if n == LAST else n for n in intent.papers]
        beyond = [n for n in wanted if not 1 <= n <= len(numbering)]
        if beyond:
            return f"Your latest digest has {len(numbering)} papers; there is no paper {beyond[0]}."
        by_number = dict(numbering)
        return [by_number[n] for n in wanted]
    unknown = WHICH_PAPER if numbering else NO_DIGEST.format(n="").replace("paper ", "paper")
    if intent.slot:
        named = [p for _, p in numbering if intent.slot.lower() in p.title.lower()]
        if len(named) == 1:
            return named
        if not (intent.refers_back and not intent.papers):  # a name no paper has: ask
            return unknown
    last = [] if numbered else _last_turn_papers(conv, chat)
    if len(last) == 1:
        return last
    if reply_to is not None and len(numbering) == 1:
        return [numbering[0][1]]
    return unknown


def _last_turn_papers(conv: Conversation, chat: Chat) -> list[Paper]:
    """The papers the latest answer was about (its citations)."""
    for turn in reversed(recent_turns(conv.db, chat.id, 4)):
        if turn.role == "assistant" and turn.cited:
            return all_papers(conv.db, list(dict.fromkeys(turn.cited)))
    return []


def _interest_named(stored: list[StoredInterest], slot: str, message: str) -> StoredInterest | None:
    """The followed interest a reader means: named in `slot` (words, stems, or its
    initials, "moe" for "mixture of experts inference"), else the one the whole message
    names, unless it names several."""
    for text in (slot, message):
        if not text:
            continue
        hits = [i for i in stored if _names(text, i.text)]
        if len(hits) == 1:
            return hits[0]
        exact = [i for i in hits if i.text.lower() in text.lower()]
        if len(exact) == 1:
            return exact[0]
    return None


def _names(text: str, interest: str) -> bool:
    """Does `text` name `interest` other than in a "keep …" clause ("drop that topic and
    keep the moe one")?"""
    keep = re.search(r"\bkeep\b[^.,;]*", text.lower())
    if keep is not None and _mentions(keep.group(0), interest):
        return False
    return _mentions(text, interest)


def _mentions(text: str, interest: str) -> bool:
    """A word stem in common, or its initials typed ("moe": mixture of experts inference)."""
    if set(content_stems(text)) & set(content_stems(interest)):
        return True
    initials = "".join(w[0] for w in re.findall(r"[a-z0-9]+", interest.lower()))
    typed = re.findall(r"[a-z0-9]+", text.lower())
    return any(len(t) >= 3 and initials.startswith(t) for t in typed)
