"""APScheduler jobs on the service's event loop: ingest several times a day (UTC), then
summarise whatever is new."""

from __future__ import annotations

import logging

import sqlite_utils
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.ingest import store_day
from bot.llm import LLMClient
from bot.sources import SourceError, load_day
from bot.summaries import summarize_papers
from storage.papers import papers_for_day

log = logging.getLogger(__name__)

# A host that slept through a run still ingests once on waking (coalesced), within an hour.
MISFIRE_GRACE_S = 3600


async def ingest_job(db: sqlite_utils.Database, settings: Settings, llm: LLMClient) -> None:
    """One scheduled ingest of today's list, then summaries for its papers that lack one.
    Failures are logged and retried at the next run."""
    try:
        loaded = await load_day(
            settings.source, None, papers_url=settings.papers_url, timeout_s=settings.http_timeout
        )
    except SourceError as exc:
        log.error("scheduled ingest failed: %s", exc)
        return
    report = store_day(db, loaded)
    log.info("scheduled ingest: %s", report.summary())
    if llm.enabled:
        papers = papers_for_day(db, report.day)
        written = await summarize_papers(db, llm, papers, batch_size=settings.summary_batch)
        log.info("summaries written: %d for %d papers", written, len(papers))


def build_scheduler(
    db: sqlite_utils.Database, settings: Settings, llm: LLMClient
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        ingest_job,
        "cron",
        hour=",".join(str(h) for h in settings.ingest_hours_utc),
        args=[db, settings, llm],
        id="ingest",
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_S,
        max_instances=1,
    )
    return scheduler
