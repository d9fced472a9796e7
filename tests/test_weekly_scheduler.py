"""The weekly push is a scheduler job of its own: while it works through many readers, a
daily digest that falls due still goes out (issue 29: inside the delivery sweep, with
max_instances=1, 150 weekly readers held a due digest back for about two minutes)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import sqlite_utils
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.sweep import Deliverer
from bot.llm import LLMClient
from bot.service.scheduler import build_scheduler
from bot.telegram.app import make_bot
from bot.weekly.push import WeeklyPush
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.users import ensure_user, update_user
from storage.weekly import set_weekly
from tests.fakes.embedder import HashingEmbedder
from tests.fakes.telegram_api import TOKEN, FakeTelegram

WEEKLY_READERS = 150
LATECOMER = 7_000  # a reader whose first digest falls due while the weekly push runs


class HeldEmbedder(HashingEmbedder):
    """The weekly push's embedder, held at a gate: a weekly sweep that is still running,
    for as long as the test likes, without timing anything."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.gate = asyncio.Event(), asyncio.Event()

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.entered.set()
        await self.gate.wait()
        return self.embed_now(texts)


def readers(db: sqlite_utils.Database) -> None:
    today = datetime.now(UTC)
    paper = Paper(id="2503.00001", title="Mixture of experts inference")
    upsert_papers(db, [paper], day=today.date().isoformat(), source="hf")
    for chat in range(1, WEEKLY_READERS + 1):
        ensure_user(db, chat)
        update_user(db, chat, digest_time="00:00")
        add_interest(db, chat, "topic", "mixture of experts")
        set_weekly(db, chat, today.weekday())


WEEKLY = "FROM deliveries WHERE kind = 'weekly'"


def weekly_status(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute(f"SELECT status, count(*) {WEEKLY} GROUP BY 1")
    return dict(rows.fetchall())


async def run_now(scheduler: AsyncIOScheduler, job_id: str) -> None:
    job = scheduler.get_job(job_id)
    assert job is not None, job_id
    job.modify(next_run_time=datetime.now(UTC))


async def test_a_due_digest_goes_out_while_the_weekly_push_is_still_running(
    db: sqlite_utils.Database,
) -> None:
    readers(db)
    embedder = HeldEmbedder()
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
        llm = LLMClient(settings, db)
        async with make_bot(settings) as bot:
            throttle = Throttle(per_second=1000, per_chat_interval_s=0.0)
            deliverer = Deliverer(
                DigestDesk(db, settings, llm), TelegramTransport(bot, throttle, db)
            )
            await deliverer.sweep()  # today's digests of the weekly readers: out of the way
            weekly = WeeklyPush(db, TelegramTransport(bot, throttle, db), embedder=embedder)
            scheduler = build_scheduler(db, settings, deliverer, weekly)
            scheduler.start()
            try:
                await run_now(scheduler, "weekly-push")
                await asyncio.wait_for(embedder.entered.wait(), 10)  # mid-sweep, held
                ensure_user(db, LATECOMER)
                update_user(db, LATECOMER, digest_time="00:00")
                add_interest(db, LATECOMER, "topic", "mixture of experts")
                await run_now(scheduler, "delivery-sweep")
                (digest,) = await tg.until(lambda: tg.messages_to(LATECOMER), timeout=10)
                # The digest went out while the weekly push had sent nothing yet.
                assert weekly_status(db) == {"pending": WEEKLY_READERS}
                embedder.gate.set()
                await tg.until(lambda: weekly_status(db) == {"sent": WEEKLY_READERS}, 30)
            finally:
                scheduler.shutdown(wait=False)
        await llm.aclose()
    assert "Mixture of experts inference" in digest.text
    assert all(len(tg.messages_to(chat)) == 2 for chat in range(1, WEEKLY_READERS + 1))


def test_the_weekly_push_is_its_own_job_every_minute(db: sqlite_utils.Database) -> None:
    settings = Settings()
    bot = Bot(TOKEN)
    deliverer = Deliverer(
        DigestDesk(db, settings, LLMClient(settings, db)), TelegramTransport(bot, Throttle(), db)
    )
    push = WeeklyPush(db, TelegramTransport(bot, Throttle(), db))
    jobs = {job.id: job for job in build_scheduler(db, settings, deliverer, push).get_jobs()}
    weekly, sweep = jobs["weekly-push"], jobs["delivery-sweep"]
    assert str(weekly.trigger) == "interval[0:01:00]"
    assert weekly.coalesce and weekly.max_instances == 1
    assert tuple(weekly.args) == (push,) and tuple(sweep.args) == (deliverer,)
