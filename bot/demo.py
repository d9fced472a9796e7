"""The offline tour behind `paperboy demo`: ingest → digest → a follow-up answer with citations."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from bot.config import Settings
from bot.digest import build_digest
from bot.digest_render import render_text
from bot.ingest import store_day
from bot.interests import parse_interest
from bot.llm import LLMClient
from bot.profiles import load_profile
from bot.qa import answer, answer_text
from bot.ranking.embedders import Embedder
from bot.sources import load_day
from bot.writing.summaries import summarize_papers
from storage.deliveries import OutboxItem, create_delivery, mark_sent
from storage.interests import add_interest
from storage.papers import papers_for_day
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
    ensure_user(db, DEMO_CHAT, "Demo")
    for typed in DEMO_INTERESTS:
        interest = parse_interest(typed)
        add_interest(db, DEMO_CHAT, interest.kind, interest.text)
    echo(f"2. Demo user's interests: {'; '.join(DEMO_INTERESTS)}")
    llm = LLMClient(settings, db)
    try:
        if llm.enabled:
            papers = papers_for_day(db, report.day)
            written = await summarize_papers(db, llm, papers, batch_size=settings.summary_batch)
            echo(f"   LLM summaries written: {written}")
        else:
            echo("   No LLM configured: extractive summaries, retrieval-only answers.")
        profile = load_profile(db, DEMO_CHAT)
        digest = await build_digest(
            db,
            report.day,
            profile,
            llm,
            embedder=embedder,
            use_rerank=settings.llm_rerank,
            personal_wait_s=settings.personal_wait_s,
        )
        items = [OutboxItem(i.paper.id, i.score, i.reason, why=i.why) for i in digest.items]
        delivery = create_delivery(db, DEMO_CHAT, report.day, items, opening=digest.opening)
        mark_sent(db, delivery, {0: 1})
        echo("3. The digest:\n")
        echo(render_text(digest))
        echo(f"\n4. A follow-up question: {DEMO_QUESTION}\n")
        result = await answer(db, llm, DEMO_CHAT, DEMO_QUESTION)
        echo(answer_text(result))
    finally:
        await llm.aclose()
