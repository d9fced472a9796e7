"""The offline tour behind `paperboy demo`: ingest → digest → a follow-up answer with citations."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from bot.answers import answer, answer_text
from bot.config import Settings
from bot.digests.desk import DigestDesk
from bot.digests.render import render_text
from bot.llm import LLMClient
from bot.ranking.embedders import Embedder
from bot.ranking.interests import parse_interest
from bot.sources import load_day
from bot.sources.ingest import store_day
from storage.interests import add_interest
from storage.users import ensure_user

DEMO_CHAT = 1
DEMO_INTERESTS = ("mixture of experts inference", "LLMs for HPC code", "not: survey")
DEMO_QUESTION = "How does ExpertFlow reduce the cost of moving experts between devices?"


async def run_demo(
    db: sqlite_utils.Database,
    settings: Settings,
    echo: Callable[[str], None],
    embedder: Embedder | None = None,
) -> None:
    loaded = await load_day("sample", None, papers_url=settings.papers_url)
    report = store_day(db, loaded)
    echo(f"1. Ingested the bundled sample day: {report.summary()}")
    user = ensure_user(db, DEMO_CHAT, "Demo")
    for typed in DEMO_INTERESTS:
        interest = parse_interest(typed)
        add_interest(db, DEMO_CHAT, interest.kind, interest.text)
    echo(f"2. Demo user's interests: {'; '.join(DEMO_INTERESTS)}")
    llm = LLMClient(settings, db)
    desk = DigestDesk(db, settings, llm, embedder)
    try:
        if not llm.enabled:
            echo("   No LLM configured: extractive summaries, retrieval-only answers.")
        ctx = await desk.today([i for i in DEMO_INTERESTS if ":" not in i])
        # Through the outbox like a delivered digest (summaries only for what it chose), so
        # the follow-up question knows what this reader was sent.
        writer = desk.note_writer()
        try:
            delivery_id, digest = await desk.write(
                ctx, user, report.day, writer=writer, on_demand=False
            )
        finally:
            if writer is not None:
                await writer.aclose()
        if delivery_id is not None:
            desk.finished(delivery_id)
        echo("3. The digest:\n")
        echo(render_text(digest))
        echo(f"\n4. A follow-up question: {DEMO_QUESTION}\n")
        result = await answer(db, llm, DEMO_CHAT, DEMO_QUESTION)
        echo(answer_text(result))
    finally:
        await llm.aclose()
