"""Full text for a question: read its top papers (once, for everyone) and pick the passages
that best match it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from bot.fulltext import ReadOptions, read_papers
from bot.fulltext.best_passages import best_passages_for, embed_passages
from bot.ranking.semantic import VectorStore
from bot.sources.arxiv_ids import is_arxiv_id
from storage.papers import Paper
from storage.passages import FullText, Passage, passages_of

READ_TOP = 2  # the papers read in full for one question: the ones it is most about
PASSAGES_PER_PAPER = 3


@dataclass(frozen=True)
class FullTextContext:
    passages: tuple[tuple[Passage, ...], ...] = ()  # per source: the best for the question
    read: tuple[FullText | None, ...] = ()
    note: str = ""
    texts: tuple[tuple[Passage, ...], ...] = ()  # per source: every passage of what was read


async def full_text_context(
    db: sqlite_utils.Database,
    question: str,
    sources: Sequence[Paper],
    read: ReadOptions | None,
    chat_id: int | None,
    vectors: VectorStore | None = None,
) -> FullTextContext:
    """The best passages of the top sources for the question, reading them first if no one
    has; a note names the papers that could not be read."""
    if read is None or not sources:
        return FullTextContext()
    # Only arXiv papers have a full text to read (the sample day's papers have none).
    top = [p for p in sources[:READ_TOP] if is_arxiv_id(p.id)]
    if not top:
        return FullTextContext()
    status = await read_papers(db, top, read, read_by=chat_id)
    readable = [p.id for p in top if (got := status.get(p.id)) and got.source != "none"]
    if vectors is not None and not await embed_passages(vectors, db, readable, question):
        vectors = None
    passages = []
    unread = []
    texts = tuple(tuple(passages_of(db, p.id)) if p.id in readable else () for p in sources)
    for n, paper in enumerate(sources, 1):
        got = status.get(paper.id)
        found = (
            best_passages_for(db, paper.id, question, limit=PASSAGES_PER_PAPER, vectors=vectors)
            if got
            else []
        )
        passages.append(tuple(found))
        if paper in top and (got is None or got.source == "none"):
            unread.append(f"[{n}]")
    note = (
        f"(Could not read the full text of {', '.join(unread)}; answered from the abstract.)"
        if unread
        else ""
    )
    read_status = tuple(status.get(p.id) for p in sources)
    return FullTextContext(tuple(passages), read_status, note, texts)
