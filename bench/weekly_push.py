"""The weekly push's cost per reader and its memory as readers grow: N readers with the
weekly picture on, three recorded Daily Papers days plus the sample day stored, one weekly
sweep against the fake Bot API (no rate limits, so the time is Paperboy's own: ranking the
week, drawing the chart on one core, sending). Peak memory is measured at each size: if
it stays flat from the smallest to the largest run, a 10,000-reader sweep needs the same.

Run: python -m bench.weekly_push [--readers 50 200 800]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.sources import load_day
from bot.sources.hf_json import parse_daily_papers
from bot.sources.ingest import store_day
from bot.telegram.app import make_bot
from bot.weekly.push import WeeklyPush
from storage import open_db
from storage.interests import add_interest
from storage.papers import upsert_papers
from storage.users import ensure_user, update_user
from storage.weekly import set_weekly
from tests.fakes.telegram_api import TOKEN, FakeTelegram

DAYS = Path(__file__).resolve().parent.parent / "tests" / "data" / "hf_api"
TOPICS = ["LLM agents", "video generation", "reinforcement learning for reasoning", "3D"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(readers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        store_day(db, await load_day("sample", None, papers_url=""))
        # The recorded days, stored as consecutive days of one week (a week is 7 calendar
        # days: weeks apart, they would make a text-only recap).
        for n, path in enumerate(sorted(DAYS.glob("2026-*.json"))):
            papers = parse_daily_papers(path.read_bytes()).papers
            upsert_papers(db, papers, day=f"2026-07-{27 + n:02d}", source="hf")
        weekday = datetime.now(UTC).weekday()
        for chat in range(1, readers + 1):
            ensure_user(db, chat)
            update_user(db, chat, digest_time="00:00")
            add_interest(db, chat, "topic", TOPICS[chat % len(TOPICS)])
            add_interest(db, chat, "topic", TOPICS[(chat + 1) % len(TOPICS)])
            set_weekly(db, chat, weekday)
        with FakeTelegram() as tg:
            settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
            async with make_bot(settings) as bot:
                push = WeeklyPush(db, TelegramTransport(bot, Throttle(per_chat_interval_s=0.0), db))
                started = time.perf_counter()
                report = await push.sweep()
                took = time.perf_counter() - started
            pictures = tg.calls("sendPhoto")
            # The fake keeps every picture it received, in this process: not Paperboy's.
            held = sum(len(c.params["photo"]["content"]) for c in pictures) / 2**20
    print(
        f"{readers:>6} readers: {report.sent} recaps sent ({len(pictures)} pictures) in "
        f"{took:.1f} s = {took / readers * 1000:.0f} ms per reader; peak RSS so far "
        f"{_peak_mb():.0f} MB, of which the fake Telegram's copies of the pictures {held:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, nargs="+", default=[50, 200, 800])
    for n in parser.parse_args().readers:
        asyncio.run(run(n))


if __name__ == "__main__":
    main()
