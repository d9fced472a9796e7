"""`paperboy run`: the bot, scheduled ingest and the delivery sweep in one asyncio loop,
stopped cleanly by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlite_utils
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.assistant import Conversation
from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.sweep import Deliverer, SweepReport
from bot.llm import LLMClient
from bot.ranking.embedders import make_embedder
from bot.service.scheduler import build_scheduler, ingest_job, sweep_job
from bot.service.status import serve_health
from bot.telegram.app import StartFailed, TokenMissing, build_application, make_bot
from bot.telegram.app import start as start_bot
from bot.telegram.app import stop as stop_bot
from bot.weekly.push import WeeklyPush, WeeklyReport
from storage import open_db
from storage.db import exclusive_use

log = logging.getLogger(__name__)


async def _catch_up(
    db: sqlite_utils.Database, settings: Settings, deliverer: Deliverer, weekly: WeeklyPush
) -> None:
    await ingest_job(db, settings)
    await sweep_job(deliverer, weekly)


# How often Python hands the GIL from a busy worker thread (ranking, PDF parsing) back to the
# event loop. At the default 5 ms, every await of a reply waits a full slice behind the
# worker; 1 ms took /help during a 2,000-reader sweep from 391 ms to tens of ms
# (bench/loop_latency.py), at no measurable cost to the sweep.
SWITCH_INTERVAL_S = 0.0005


def share_the_interpreter() -> None:
    """Let the event loop answer users while worker threads do CPU work."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


async def run_forever(settings: Settings) -> None:
    share_the_interpreter()
    with exclusive_use(settings.db_path):
        await _run(settings)


async def _run(settings: Settings) -> None:
    db = open_db(settings.db_path)
    llm = LLMClient(settings, db)
    health = None
    try:
        embedder = make_embedder(settings.embeddings, llm, settings.embeddings_model)
        desk = DigestDesk(db, settings, llm, embedder)  # the one owner of digests
        desk.resume()  # one service per database: a dead process's claims are void
        conv = Conversation(db, settings, llm, desk=desk)
        throttle = Throttle()  # one budget for replies and digests alike
        app = build_application(settings, conv, throttle)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if settings.health_port is not None:  # first: a bad host or port stops nothing else
            health = await _health(db, settings.health_host, settings.health_port, settings.db_path)
        await start_bot(app)
        transport = TelegramTransport(app.bot, throttle, db)  # one way out, one budget
        deliverer = Deliverer(desk, transport)
        weekly = WeeklyPush(db, transport, embedder=embedder)
        scheduler = build_scheduler(db, settings, deliverer, weekly)
        end_quietly_when_cancelled(scheduler)
        scheduler.start()
        log.info("paperboy running as @%s; Ctrl-C to stop", app.bot.username)
        # Catch up at once: today's list, and digests left pending by a crash or downtime.
        catch_up = asyncio.create_task(_catch_up(db, settings, deliverer, weekly))
        try:
            await stop.wait()
        finally:
            catch_up.cancel()
            scheduler.shutdown(wait=False)
            await stop_bot(app)
    finally:
        if health is not None:
            health.close()
        await llm.aclose()
        db.close()
        log.info("paperboy stopped")


def end_quietly_when_cancelled(scheduler: AsyncIOScheduler) -> None:
    """Have each job end with one INFO line when the shutdown cancels it. APScheduler 3
    catches BaseException around a coroutine job and logs it at ERROR with a traceback, so
    a sweep stopped by SIGTERM (routine: the outbox sends the rest at the next start) read
    as a crash. The cancellation ends here, at the top of the job's task, as it would have
    inside APScheduler."""
    for job in scheduler.get_jobs():
        job.modify(func=_quiet_when_cancelled(job.func, job.id))


def _quiet_when_cancelled(
    func: Callable[..., Awaitable[object]], name: str
) -> Callable[..., Awaitable[object]]:
    @functools.wraps(func)
    async def job(*args: object, **kwargs: object) -> object:
        try:
            return await func(*args, **kwargs)
        except asyncio.CancelledError:
            log.info("%s stopped by the shutdown; the next start carries on", name)
            return None

    return job


async def _health(db: sqlite_utils.Database, host: str, port: int, db_path: Path) -> asyncio.Server:
    try:
        return await serve_health(db, host, port, db_path=db_path)
    except OSError as exc:
        raise StartFailed(
            f"cannot serve the health check on PAPERBOY_HEALTH_HOST={host!r} "
            f"PAPERBOY_HEALTH_PORT={port}: {exc.strerror or exc}"
        ) from None


async def sweep_once(settings: Settings) -> tuple[SweepReport, WeeklyReport]:
    """One delivery sweep and one weekly sweep with a bare Bot (no polling), for cron-style
    deployments: the same outbox sender as `paperboy run`, over one throttle."""
    if not settings.telegram_bot_token:
        raise TokenMissing("TELEGRAM_BOT_TOKEN is not set: send-due needs it to send digests.")
    with exclusive_use(settings.db_path):
        return await _sweep_once(settings)


async def _sweep_once(settings: Settings) -> tuple[SweepReport, WeeklyReport]:
    db = open_db(settings.db_path)
    llm = LLMClient(settings, db)
    bot = make_bot(settings)
    try:
        async with bot:
            embedder = make_embedder(settings.embeddings, llm, settings.embeddings_model)
            desk = DigestDesk(db, settings, llm, embedder)
            desk.resume()
            transport = TelegramTransport(bot, Throttle(), db)
            digests = await Deliverer(desk, transport).sweep()
            weekly = await WeeklyPush(db, transport, embedder=embedder).sweep()
            return digests, weekly
    finally:
        await llm.aclose()
        db.close()
