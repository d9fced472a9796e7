"""Papers a reader keeps and looks for: /saved (starred), /search (every stored paper),
/ask (a question about them) and /export (saved and imported papers as BibTeX)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bot.assistant.frontend import Chat
from bot.messages.html import echo, visible
from bot.messages.replies import Document, Reply
from bot.sources.bibtex import to_bibtex
from storage.feedback import saved_paper_ids
from storage.library import list_library
from storage.papers import all_papers, search_papers

if TYPE_CHECKING:
    from bot.assistant.core import Conversation


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
