"""APScheduler jobs on the service's event loop: ingest several times a day (UTC); a
delivery sweep every minute (which also summarises what it is about to send); the weekly
push every minute, a job of its own; a daily backup when configured."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.digests.sweep import Deliverer
from bot.sources import SourceError
from bot.sources.ingest import load_source, store_day
from bot.weekly.push import WeeklyPush
from storage.backup import BackupFailed, backup_database, prune_backups
from storage.papers import utc_now
from storage.personal_notes import forget_old_notes
from storage.service_state import LAST_BACKUP, set_state

log = logging.getLogger(__name__)

# A host that slept through a run still ingests once on waking (coalesced), within an hour.
MISFIRE_GRACE_S = 3600
SWEEP_INTERVAL_S = 60
WEEKLY_INTERVAL_S = 60


async def ingest_job(db: sqlite_utils.Database, settings: Settings) -> None:
    """One scheduled ingest of today's list from each configured source. Failures are
    logged and retried at the next run; one failing source does not stop the others.
    Summaries are not written here: only for papers someone receives, when digests are
    prepared (bot/digests/sweep.py), so LLM cost follows what is read, not what is published."""
    for spec in settings.sources:
        try:
            loaded = await load_source(settings, spec, None)
        except SourceError as exc:
            log.error("scheduled ingest from %s failed: %s", spec, exc)
            continue
        report = store_day(db, loaded)
        log.info("scheduled ingest: %s", report.summary())
    forget_old_notes(db)  # personal notes are about one day's candidates


async def sweep_job(deliverer: Deliverer, weekly: WeeklyPush | None = None) -> None:
    """One delivery sweep of the digests. It works from the database's state, not the
    clock of the last run: a sweep missed while the host slept or the process was down
    loses nothing. `weekly` (the start-up catch-up's) then runs one weekly sweep; the
    scheduled one is a job of its own, so it never holds up the next digest sweep."""
    try:
        await deliverer.sweep()
    except Exception:  # one bad sweep must not stop the next one; the outbox keeps state
        log.exception("delivery sweep failed; the next sweep retries")
    if weekly is not None:
        await weekly_job(weekly)


async def weekly_job(weekly: WeeklyPush) -> None:
    """One weekly sweep: the recaps now due, written then sent. Its own job: 150 recaps
    take minutes of drawing and sending, and inside the delivery sweep (max_instances=1)
    they held back every digest that fell due meanwhile."""
    try:
        await weekly.sweep()
    except Exception:  # the outbox keeps state; the next run retries
        log.exception("weekly sweep failed; the next sweep retries")


BACKUP_HOUR_UTC = 3


async def backup_job(db: sqlite_utils.Database, db_path: Path, folder: Path, keep: int) -> None:
    """Today's checked copy of the database in `folder`, keeping the newest `keep`. The copy
    and its check run in a worker thread on a connection of their own (the loop's
    connection cannot cross threads, and a large copy must not hold up replies)."""
    name = f"paperboy-{datetime.now(UTC):%Y-%m-%d}.db"
    try:
        made = await asyncio.to_thread(backup_database, Path(db_path), folder / name)
    except BackupFailed as exc:
        log.error("daily backup failed: %s", exc)
        return
    await asyncio.to_thread(prune_backups, folder, "paperboy-*.db", keep)
    set_state(db, LAST_BACKUP, f"{made.path} ({made.size_bytes} bytes) at {utc_now()}")
    log.info("daily backup written: %s", made.path)


def build_scheduler(
    db: sqlite_utils.Database,
    settings: Settings,
    deliverer: Deliverer | None = None,
    weekly: WeeklyPush | None = None,
) -> AsyncIOScheduler:
    """The service's jobs; coroutine jobs run on the loop that calls `start()`."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        ingest_job,
        "cron",
        hour=",".join(str(h) for h in settings.ingest_hours_utc),
        args=[db, settings],
        id="ingest",
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_S,
        max_instances=1,
    )
    if deliverer is not None:
        scheduler.add_job(
            sweep_job,
            "interval",
            seconds=SWEEP_INTERVAL_S,
            args=[deliverer],
            id="delivery-sweep",
            coalesce=True,  # after a pause, one sweep, not a burst of them
            max_instances=1,  # a long sweep is never run twice at once
            misfire_grace_time=SWEEP_INTERVAL_S,
        )
    if weekly is not None:
        scheduler.add_job(
            weekly_job,
            "interval",
            seconds=WEEKLY_INTERVAL_S,
            args=[weekly],
            id="weekly-push",
            coalesce=True,
            max_instances=1,  # a long weekly sweep is not doubled; digests run beside it
            misfire_grace_time=WEEKLY_INTERVAL_S,
        )
    if settings.backup_dir is not None:
        scheduler.add_job(
            backup_job,
            "cron",
            hour=BACKUP_HOUR_UTC,
            args=[db, settings.db_path, settings.backup_dir, settings.backup_keep],
            id="backup",
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_S,
            max_instances=1,
        )
    return scheduler
