"""What the reader brings and what Paperboy learned from it: /import (a file or arXiv ids),
/library, the interests proposed from it, and /learned. Imported papers teach the ranking
like 👍 does."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.replies import Chat
from bot.messages.callbacks import CALLBACK_LIMIT, encode
from bot.messages.html import echo
from bot.messages.replies import Button, Reply
from bot.ranking.interests import propose_interests
from bot.ranking.preference import PRIOR
from bot.ranking.profiles import load_profile
from bot.sources.arxiv import fetch_papers
from bot.sources.bibliography import BibliographyError, Parsed, parse_file, parse_ids
from bot.sources.http import FetchError
from storage.feedback import clear_feedback, feedback_counts
from storage.interests import list_interests
from storage.library import (
    LibraryFull,
    LibraryPaper,
    add_to_library,
    list_library,
    remove_from_library,
)
from storage.papers import Paper

if TYPE_CHECKING:
    from bot.assistant.core import Conversation

MAX_IDS = 200  # arXiv ids in one message
NOTHING = "Nothing was imported."
UNREACHABLE = "⚠️ arXiv could not be reached just now; nothing was imported. Try again soon."
HOW = (
    "Send me your papers and I'll learn from them: a BibTeX (.bib), RIS (.ris) or CSL-JSON "
    "file exported from Zotero, Mendeley or Google Scholar, or arXiv ids or links, e.g. "
    "<code>/import 1706.03762 https://arxiv.org/abs/2401.04088</code>."
)


async def import_command(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/import IDS…: arXiv ids or links; without them, how to import."""
    ids = parse_ids(args)
    if not ids:
        return [Reply(HOW if not args else f"I found no arXiv id in “{echo(args)}”. {HOW}")]
    if len(ids) > MAX_IDS:
        return [Reply(f"That is {len(ids)} ids; send at most {MAX_IDS} at a time.")]
    return await _import(conv, chat, Parsed(arxiv_only=ids))


async def import_file(conv: Conversation, chat: Chat, filename: str, payload: bytes) -> list[Reply]:
    """A file the reader sent: their bibliography."""
    conv.user(chat)
    try:
        parsed = parse_file(filename, payload)
    except BibliographyError as exc:
        return [Reply(f"⚠️ {escape(str(exc))}. {NOTHING}")]
    return await _import(conv, chat, parsed)


async def _import(conv: Conversation, chat: Chat, parsed: Parsed) -> list[Reply]:
    """Complete what needs the arXiv API, then store everything in one go (or nothing)."""
    papers = list(parsed.papers)
    missing: list[str] = []
    if parsed.arxiv_only:
        try:
            found = await fetch_papers(parsed.arxiv_only, conv.settings.arxiv_options())
        except FetchError:
            return [Reply(UNREACHABLE)]
        missing = [i for i in parsed.arxiv_only if i not in found]
        papers += [
            LibraryPaper(p.id, p.title, p.abstract, p.authors, (p.published_utc or "")[:4] or None)
            for i in parsed.arxiv_only
            if (p := found.get(i)) is not None
        ]
    if not papers:
        return [Reply(f"⚠️ {_nothing_found(parsed, missing)} {NOTHING}")]
    try:
        added, already = add_to_library(conv.db, chat.id, papers)
    except LibraryFull as exc:
        return [
            Reply(f"⚠️ {escape(str(exc))}: remove some with /library first. Nothing was imported.")
        ]
    lines = [
        f"📚 Added {added} paper(s) to your library"
        + (f" ({already} you already had)" if already else "")
        + "."
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        lines.append(f"Not found on arXiv: {escape(shown)}.")
    if parsed.skipped:
        lines.append(f"Skipped {parsed.skipped} entries with neither a title nor an arXiv id.")
    lines.append("They now teach your ranking like 👍 does. /library lists them.")
    return [Reply("\n".join(lines)), *_proposals(conv, chat)]


def _nothing_found(parsed: Parsed, missing: list[str]) -> str:
    if missing:
        return f"None of those ids is on arXiv ({escape(', '.join(missing[:5]))})."
    return "I found no paper with a title or an arXiv id in that file."


def _proposals(conv: Conversation, chat: Chat) -> list[Reply]:
    """3-5 interests drawn from the library that the reader does not follow yet."""
    followed = {i.text.lower() for i in list_interests(conv.db, chat.id)}
    library = [p.as_paper() for p in list_library(conv.db, chat.id)]
    ideas = [
        t
        for t in propose_interests(library)
        if t.lower() not in followed and len(f"addi|{t}".encode()) <= CALLBACK_LIMIT
    ][:5]
    if not ideas:
        return []
    buttons = tuple((Button(f"➕ {t}", encode("addi", t)),) for t in ideas)
    return [Reply("Topics from your library: tap to follow.", buttons)]


async def library_command(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/library: what the reader imported; /library remove N drops one."""
    papers = list_library(conv.db, chat.id)
    verb, _, rest = args.partition(" ")
    if verb.lower() == "remove":
        if not rest.strip().isdigit() or not 1 <= int(rest) <= len(papers):
            return [Reply(f"Give the number of a paper from /library (1-{len(papers) or 1}).")]
        gone = papers[int(rest) - 1]
        remove_from_library(conv.db, chat.id, gone.key)
        return [Reply(f"Removed “{escape(gone.title)}” from your library.")]
    if not papers:
        return [Reply("Your library is empty. " + HOW)]
    lines = [
        f"<b>Your library</b> ({len(papers)} papers; <code>/library remove N</code> drops one):"
    ]
    lines += [f"{n}. {escape(p.title)}" for n, p in enumerate(papers[:30], 1)]
    if len(papers) > 30:
        lines.append(f"… and {len(papers) - 30} more (all in /export).")
    return [Reply("\n".join(lines))]


async def learned_command(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/learned: what the ranking learned from this reader; /learned reset forgets the 👍/👎."""
    if args.strip().lower() == "reset":
        gone = clear_feedback(conv.db, chat.id)
        return [
            Reply(
                f"Forgot {gone} rating(s): your ranking is back to your interests"
                " (saved papers and your /library still count)."
            )
        ]
    up, down, saved = feedback_counts(conv.db, chat.id)
    profile = load_profile(conv.db, chat.id)
    evidence = len(profile.positives) + len(profile.disliked)
    weight = evidence / (evidence + PRIOR)
    if not (up or down or saved or profile.library):
        return [Reply("Nothing learned yet: tap 👍 or 👎 under papers, or /import your own.")]
    lines = [
        "<b>What I learned from you</b>",
        f"👍 {up} · ⭐ {saved} · 👎 {down} · 📚 {len(profile.library)} imported",
        f"Their weight beside your interests: {weight:.2f} of 1 (it grows with each rating).",
    ]
    if profile.liked:
        lines.append("More like: " + "; ".join(f"“{escape(p.title)}”" for p in profile.liked[:3]))
    if profile.disliked:
        lines.append(
            "Less like: " + "; ".join(f"“{escape(p.title)}”" for p in profile.disliked[:3])
        )
    lines.append("<code>/learned reset</code> forgets the 👍/👎.")
    return [Reply("\n".join(lines))]


def _titles(papers: tuple[Paper, ...]) -> str:
    return "; ".join(f"“{escape(p.title)}”" for p in papers[:3])
