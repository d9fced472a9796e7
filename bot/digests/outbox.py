"""One user's digest in the outbox: write it (ranked, pending) with everything a faithful
re-render needs, and render the messages of it that have not gone out yet."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from bot.digests.choose import DayContext, Digest, DigestItem, digest_for
from bot.digests.render import render_html
from bot.llm import LLMClient
from bot.messages.replies import Reply
from bot.ranking import Match
from bot.ranking.profiles import load_profile
from bot.writing.personal import NoteWriter
from bot.writing.summaries import summaries_for
from storage.deliveries import (
    Delivery,
    OutboxItem,
    create_delivery,
    delivery_items,
    last_listing_day,
    sent_paper_ids,
)
from storage.feedback import rated_paper_ids
from storage.papers import all_papers, latest_day, papers_for_day, sources_for_day
from storage.users import User


async def write_digest(
    db: sqlite_utils.Database,
    llm: LLMClient,
    ctx: DayContext | None,
    user: User,
    local_day: str,
    *,
    use_rerank: bool = False,
    empty_status: Mapping[str, str | None] | None = None,
    summarize: bool = True,
    writer: NoteWriter | None = None,
    claimed_until_utc: str | None = None,
) -> tuple[int | None, Digest]:
    """Rank the day's unsent papers for `user` and write the digest to the outbox (pending)
    in one transaction. An empty digest ("nothing_matched", "no_papers") is recorded with
    the status `empty_status` gives it (default pending, so its message is sent; None: not
    recorded, e.g. on demand, so the user can adjust and try again). With a `writer`, the
    LLM's personal note (order, why-lines, opening) is used when it passes the checks.
    Raises DigestExists when another sender wrote this reader's digest for `local_day`."""
    if ctx is None:
        digest = Digest(local_day, (), 0, (), "no_papers")
    else:
        seen_list = last_listing_day(db, user.chat_id) == ctx.day
        profile = load_profile(db, user.chat_id)
        # Papers the reader ever rated (e.g. in "rate a few") were seen, as were those sent.
        seen = rated_paper_ids(db, user.chat_id)
        digest = await digest_for(
            ctx,
            db,
            profile,
            llm,
            limit=user.papers_per_digest,
            language=user.language or "en",
            use_rerank=use_rerank,
            exclude_ids=seen | set(sent_paper_ids(db, user.chat_id, limit=1_000_000)),
            summarize=summarize,
            writer=writer,
        )
        if digest.status == "nothing_matched" and seen_list:
            # No source has published since this user's last digest (arXiv's weekends and
            # holidays) and nothing is left of that list for them: say so, rather than
            # "nothing matched among N new papers" about papers that are not new.
            digest = Digest(local_day, ctx.sources, 0, (), "no_papers", listing_day=ctx.day)
    if digest.status == "ok":
        items = [OutboxItem(i.paper.id, i.score, i.reason, why=i.why or None) for i in digest.items]
        status: str | None = "pending"
    else:
        # The closest papers are kept with an empty digest, so a re-send shows the same ones.
        items = [OutboxItem(m.paper.id, m.score, m.reason) for m in digest.closest]
        status = (empty_status or {}).get(digest.status, "pending")
    if status is None:
        return None, digest
    delivery_id = create_delivery(
        db,
        user.chat_id,
        local_day,
        items,
        status=status,
        empty_reason=None if digest.status == "ok" else digest.status,
        listing_day=ctx.day if ctx is not None else None,
        opening=digest.opening or None,
        sources=digest.sources,
        total_papers=digest.total_papers,
        claimed_until_utc=claimed_until_utc,
    )
    return delivery_id, digest


def unsent_replies(
    db: sqlite_utils.Database, delivery: Delivery, model: str, language: str, *, all_: bool = False
) -> list[Reply]:
    """The digest's messages still to send (all of them with `all_`, for a re-send)."""
    if delivery.empty_reason is not None:
        return [Reply(m.text, part="notice") for m in render_html(empty_digest(db, delivery))]
    stored = delivery_items(db, delivery.id)
    papers = {p.id: p for p in all_papers(db, [i.paper_id for i in stored])}
    present = [i for i in stored if i.paper_id in papers]
    summaries = summaries_for(
        db, [papers[i.paper_id] for i in present], model=model, language=language
    )
    items = tuple(
        DigestItem(n, papers[i.paper_id], summaries[i.paper_id], i.reason, i.score, i.why or "")
        for n, i in enumerate(present, 1)
    )
    day, sources, total = _day_facts(db, delivery)
    digest = Digest(
        delivery.local_day,
        sources,
        max(len(items), total),
        items,
        "ok",
        listing_day=day,
        opening=delivery.opening or "",
    )
    done = {i.paper_id for i in present if i.telegram_message_id is not None}
    return [
        Reply(
            m.text,
            m.keyboard,
            delivery_id=delivery.id,
            paper_ids=m.paper_ids,
            part=",".join(m.paper_ids) or "notice",
        )
        for m in render_html(digest)
        if all_ or not set(m.paper_ids) <= done
    ]


def empty_digest(db: sqlite_utils.Database, delivery: Delivery) -> Digest:
    """What an empty digest says: nothing matched (with each interest's closest papers, as
    stored with it), or no new papers."""
    day, _, total = _day_facts(db, delivery)
    if delivery.empty_reason != "nothing_matched" or not day:
        return Digest(delivery.local_day, (), 0, (), "no_papers")
    stored = delivery_items(db, delivery.id)
    papers = {p.id: p for p in all_papers(db, [i.paper_id for i in stored])}
    closest = tuple(
        Match(papers[i.paper_id], i.score, i.reason) for i in stored if i.paper_id in papers
    )
    return Digest(delivery.local_day, (), total, (), "nothing_matched", closest=closest)


def _day_facts(db: sqlite_utils.Database, delivery: Delivery) -> tuple[str, tuple[str, ...], int]:
    """The listing day, its sources and its paper count as the digest was written. Rows
    from before these were kept (m013) fall back to their listing day, else the latest."""
    day = delivery.listing_day or latest_day(db) or delivery.local_day
    sources = delivery.sources
    if sources is None:
        sources = tuple(sources_for_day(db, day))
    total = delivery.total_papers
    if total is None:
        total = len(papers_for_day(db, day))
    return day, sources, total
