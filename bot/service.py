"""`paperboy run`: the bot and the scheduler in one asyncio loop, stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.assistant import Conversation
from bot.config import Settings
from bot.llm import LLMClient
from bot.ranking.semantic import load_local_embedder
from bot.scheduler import build_scheduler, ingest_job
from bot.telegram.app import build_application
from bot.telegram.app import start as start_bot
from bot.telegram.app import stop as stop_bot
from storage import open_db

log = logging.getLogger(__name__)


async def run_forever(settings: Settings) -> None:
    db = open_db(settings.db_path)
    llm = LLMClient(settings, db)
    try:
        conv = Conversation(db, settings, llm, embedder=load_local_embedder())
        app = build_application(settings, conv)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await start_bot(app)
        scheduler = build_scheduler(db, settings, llm)
        scheduler.start()
        log.info("paperboy running as @%s; Ctrl-C to stop", app.bot.username)
        try:
            await ingest_job(db, settings, llm)
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await stop_bot(app)
    finally:
        await llm.aclose()
        db.close()
        log.info("paperboy stopped")
