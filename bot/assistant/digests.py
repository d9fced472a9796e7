"""Digests for one chat: build, write to the outbox, render; re-send today's if it exists."""

from __future__ import annotations

import sqlite_utils

from bot.assistant.replies import Reply
from bot.digest import Digest, DigestItem, build_digest, render_html
from bot.llm import LLMClient
from bot.profiles import load_profile
from bot.ranking.semantic import Embedder
from bot.summaries import summaries_for
from storage.deliveries import (
    OutboxItem,
    create_delivery,
    delivery_for_day,
    delivery_items,
    sent_paper_ids,
)
from storage.papers import all_papers, latest_day, sources_for_day
from storage.users import User


async def prepare_digest(
    db: sqlite_utils.Database,
    llm: LLMClient,
    user: User,
    local_day: str,
    *,
    embedder: Embedder | None = None,
    use_rerank: bool = False,
) -> tuple[int | None, list[Reply]]:
    """Today's digest for `user` as messages to send, written to the outbox first (pending)
    when it has papers. Returns (delivery id or None, replies)."""
    day = latest_day(db)
    if day is None:
        empty = Digest(local_day, (), 0, (), "no_papers")
        return None, [Reply(message.text) for message in render_html(empty)]
    digest = await build_digest(
        db,
        day,
        load_profile(db, user.chat_id),
        llm,
        limit=user.papers_per_digest,
        embedder=embedder,
        language=user.language or "en",
        exclude_ids=set(sent_paper_ids(db, user.chat_id, limit=100_000)),
        use_rerank=use_rerank,
    )
    messages = render_html(digest)
    if digest.status != "ok":
        return None, [Reply(m.text) for m in messages]
    items = [
        OutboxItem(pid, item.score, item.reason, index)
        for index, message in enumerate(messages)
        for pid, item in zip(message.paper_ids, _items_of(digest, message.paper_ids), strict=True)
    ]
    delivery_id = create_delivery(db, user.chat_id, local_day, items)
    return delivery_id, [
        Reply(m.text, m.keyboard, delivery_id=delivery_id, paper_ids=m.paper_ids) for m in messages
    ]


def _items_of(digest: Digest, paper_ids: tuple[str, ...]) -> list[DigestItem]:
    by_id = {item.paper.id: item for item in digest.items}
    return [by_id[pid] for pid in paper_ids]


def stored_digest(
    db: sqlite_utils.Database, delivery_id: int, local_day: str, model: str, language: str
) -> list[Reply]:
    """A digest already in the outbox, rendered again (same papers, same order)."""
    stored = delivery_items(db, delivery_id)
    papers = {p.id: p for p in all_papers(db, [i.paper_id for i in stored])}
    present = [i for i in stored if i.paper_id in papers]
    summaries = summaries_for(
        db, [papers[i.paper_id] for i in present], model=model, language=language
    )
    items = tuple(
        DigestItem(n, papers[i.paper_id], summaries[i.paper_id], i.reason, i.score)
        for n, i in enumerate(present, 1)
    )
    day = latest_day(db) or local_day
    digest = Digest(local_day, tuple(sources_for_day(db, day)), len(items), items, "ok")
    return [
        Reply(m.text, m.keyboard, delivery_id=delivery_id, paper_ids=m.paper_ids)
        for m in render_html(digest)
    ]


def todays_delivery(db: sqlite_utils.Database, chat_id: int, local_day: str) -> int | None:
    existing = delivery_for_day(db, chat_id, local_day)
    return existing.id if existing is not None else None
