"""What the reader brings and what Paperboy learned from it: /import (a file or arXiv ids),
/library, the interests proposed from it, and /learned. Imported papers teach the ranking
like 👍 does."""

from __future__ import annotations

import asyncio
from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.callbacks import CALLBACK_LIMIT, encode
from bot.messages.html import echo
from bot.messages.replies import Button, Reply
from bot.ranking.interests import propose_interests
from bot.ranking.preference import PRIOR
from bot.ranking.profiles import load_profile
from bot.sources.arxiv import arxiv_options, fetch_papers
from bot.sources.bibliography import BibliographyError, Parsed, Skipped, parse_file, parse_ids
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
from storage.sql import StorageFull

if TYPE_CHECKING:
    from bot.assistant.core import Conversation

MAX_IDS = 200  # arXiv ids in one message
MAX_ID_TEXT = 20_000  # characters of a message searched for them (Telegram sends 4,096)
# Reading a file runs in a worker thread with this deadline, so no file holds up the loop.
PARSE_DEADLINE_S = 10.0
NOTHING = "Nothing was imported."
DISK_FULL = (
    "⚠️ The server's disk is full, so nothing was imported. Please tell the operator "
    "(whoever runs this bot); your file is fine."
)
UNREACHABLE = "⚠️ arXiv could not be reached just now; nothing was imported. Try again soon."
HOW = (
    "Send me your papers and I'll learn from them: a BibTeX (.bib), RIS (.ris) or CSL-JSON "
    "file exported from Zotero, Mendeley or Google Scholar, or arXiv ids or links, e.g. "
    "<code>/import 1706.03762 https://arxiv.org/abs/2401.04088</code>."
)


async def import_command(conv: Conversation, chat: Chat, args: str) -> list[Reply]:
    """/import IDS…: arXiv ids or links; without them, how to import."""
    if len(args) > MAX_ID_TEXT:
        return [Reply(f"That message is too long: send at most {MAX_IDS} ids, or a file.")]
    ids = parse_ids(args)
    if not ids:
        return [Reply(HOW if not args else f"I found no arXiv id in “{echo(args)}”. {HOW}")]
    if len(ids) > MAX_IDS:
        return [Reply(f"That is {len(ids)} ids; send at most {MAX_IDS} at a time.")]
    return await _import(conv, chat, Parsed(arxiv_only=ids))


async def import_file(
    conv: Conversation,
    chat: Chat,
    filename: str,
    payload: bytes,
    *,
    deadline_s: float = PARSE_DEADLINE_S,
) -> list[Reply]:
    """A file the reader sent: their bibliography, read off the event loop."""
    conv.user(chat)
    try:
        parsed = await asyncio.wait_for(
            asyncio.to_thread(parse_file, filename, payload), timeout=deadline_s
        )
    except BibliographyError as exc:
        return [Reply(f"⚠️ {escape(str(exc))}. {NOTHING}")]
    except TimeoutError:
        # The thread cannot be stopped; it finishes on its own (every parser here is
        # linear in a file of at most MAX_FILE_BYTES) and its result is dropped.
        return [Reply(f"⚠️ That file took too long to read. {NOTHING}")]
    return await _import(conv, chat, parsed)


async def _import(conv: Conversation, chat: Chat, parsed: Parsed) -> list[Reply]:
    """Complete what needs the arXiv API, then store everything in one go (or nothing)."""
    papers = list(parsed.papers)
    missing: list[str] = []
    if parsed.arxiv_only:
        try:
            found = await fetch_papers(parsed.arxiv_only, arxiv_options(conv.settings))
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
        added, _ = add_to_library(conv.db, chat.id, papers)
    except LibraryFull as exc:
        return [
            Reply(f"⚠️ {escape(str(exc))}: remove some with /library first. Nothing was imported.")
        ]
    except StorageFull:
        return [Reply(DISK_FULL)]
    already = len({p.key for p in papers}) - added
    if added:
        had = f" ({already} you already had)" if already else ""
        lines = [f"📚 Added {added} paper(s) to your library{had}."]
    else:
        lines = [f"📚 Nothing new: all {already} paper(s) were already in your library."]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        lines.append(f"Not found on arXiv: {escape(shown)}.")
    if parsed.skipped:
        lines.append(f"Skipped {parsed.skipped} entries with neither a title nor an arXiv id.")
    if parsed.refused:
        count = f"{len(parsed.refused)} entries" if len(parsed.refused) > 1 else "1 entry"
        lines.append(f"Skipped {count} that could not be read: {_refused(parsed.refused)}.")
    if not added:
        return [Reply("\n".join(lines))]
    lines.append("They now teach your ranking like 👍 does. /library lists them.")
    return [Reply("\n".join(lines)), *_proposals(conv, chat)]


def _nothing_found(parsed: Parsed, missing: list[str]) -> str:
    if missing:
        return f"None of those ids is on arXiv ({escape(', '.join(missing[:5]))})."
    if parsed.refused:
        return f"No entry could be read: {_refused(parsed.refused)}."
    return "I found no paper with a title or an arXiv id in that file."


def _refused(refused: list[Skipped]) -> str:
    """Which entries could not be read and why: 'entry 1 (“T”): its …; the entry at line 9 …'"""
    shown = "; ".join(f"{s.entry}: {s.reason}" for s in refused[:3])
    return escape(shown) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")


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
    """/learned: what the ranking learned from this reader, in words (their facets, each with
    its strongest papers); /learned reset forgets the 👍/👎 and the model fitted on them."""
    from bot.ranking.embedders import EmbeddingsUnavailable
    from bot.ranking.reader_model import HISTORY_MIN
    from bot.ranking.semantic import VectorStore, paper_text
    from storage.reader_models import forget_model

    if args.strip().lower() == "reset":
        gone = clear_feedback(conv.db, chat.id)
        forget_model(conv.db, chat.id)
        return [
            Reply(
                f"Forgot {gone} rating(s) and what I learned from them: your ranking is back to"
                " your interests (saved papers and your /library still count)."
            )
        ]
    up, down, saved = feedback_counts(conv.db, chat.id)
    profile = load_profile(conv.db, chat.id)
    if not (up or down or saved or profile.library):
        return [Reply("Nothing learned yet: tap 👍 or 👎 under papers, or /import your own.")]
    if profile.model is None and conv.embedder is not None:  # vectors not stored yet
        try:
            rated = [*profile.positives, *profile.disliked]
            await VectorStore(conv.embedder, conv.db).ensure([paper_text(p) for p in rated])
            profile = load_profile(conv.db, chat.id)
        except EmbeddingsUnavailable:
            pass
    evidence = len(profile.positives) + len(profile.disliked)
    model = profile.model
    lines = [
        "<b>What I learned from you</b>",
        f"👍 {up} · ⭐ {saved} · 👎 {down} · 📚 {len(profile.library)} imported",
        f"Their weight beside your interests: {evidence / (evidence + PRIOR):.2f} of 1"
        " (it grows with each rating).",
    ]
    if (
        model is not None
        and model.cutoff is not None
        and model.accepted + model.rejected >= HISTORY_MIN
    ):
        lines.append(
            f"Your own bar, from your {model.accepted + model.rejected} ratings: a paper no"
            f" interest matched is sent when it scores {model.cutoff:.2f} or more."
        )
    elif up + saved + down < HISTORY_MIN:
        lines.append(f"After {HISTORY_MIN} ratings your own 👍/👎 set the bar for what is sent.")
    facets = model.facets if model is not None else ()
    if facets:
        lines.append(
            f"\n<b>{len(facets)} facet{'s' if len(facets) > 1 else ''} of what you keep</b>"
        )
    for n, facet in enumerate(facets, 1):
        words = ", ".join(facet.words) or "—"
        papers = "; ".join(f"“{escape(t)}”" for t in facet.titles[:3])
        more = f" and {len(facet.papers) - 3} more" if len(facet.papers) > 3 else ""
        lines.append(f"{n}. <i>{escape(words)}</i> ({len(facet.papers)}): {papers}{more}")
        if facet.rejected:
            lines.append(
                f"   {facet.rejected} of your 👎 were near it: its papers now count"
                f" {facet.weight:.2f} as much."
            )
    if profile.disliked:
        lines.append("\nLess like: " + _titles(profile.disliked))
    lines.append("<code>/learned reset</code> forgets the 👍/👎.")
    return [Reply("\n".join(lines))]


def _titles(papers: tuple[Paper, ...]) -> str:
    return "; ".join(f"“{escape(p.title)}”" for p in papers[:3])
