"""Delivery throughput: 2,000 digests against the fake Bot API enforcing Telegram's limits
(30 messages/s overall, 1/s per chat, 429 with retry_after when exceeded).

Run: python -m bench.delivery_throughput [--users 2000]
Prints messages/second achieved (target: at least 27, i.e. 90 % of the ceiling) and the
number of 429s, in all and in steady state (after the first second).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.sweep import Deliverer
from bot.llm import LLMClient
from bot.sources import load_day
from bot.sources.ingest import store_day
from bot.telegram.app import make_bot
from storage import open_db
from storage.interests import add_interest
from storage.users import ensure_user, update_user
from tests.fakes.telegram_api import TOKEN, FakeTelegram

TOPICS = [
    "mixture of experts",
    "LLMs for HPC code",
    "distributed training",
    "code generation",
    "GUI agents",
    "parameter-efficient fine-tuning",
    "KV cache",
    "data curation",
]


async def run(users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        store_day(db, await load_day("sample", None, papers_url=""))
        for chat in range(1, users + 1):
            ensure_user(db, chat)
            update_user(db, chat, digest_time="00:00")  # default 5 papers: often 2 messages
            add_interest(db, chat, "topic", TOPICS[chat % len(TOPICS)])
        with FakeTelegram(enforce_limits=True) as tg:
            settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
            llm = LLMClient(settings, db)
            async with make_bot(settings) as bot:
                deliverer = Deliverer(
                    DigestDesk(db, settings, llm), TelegramTransport(bot, Throttle(), db)
                )
                now = datetime.now(UTC)
                started = time.perf_counter()
                await deliverer.prepare_due(now, report := _report())
                prepared = time.perf_counter()
                await deliverer.send_pending(now, report)
                finished = time.perf_counter()
            sends = [s.at for s in tg.calls("sendMessage")]
            first = min(sends)
            steady_429 = sum(1 for t in tg.too_many if t - first > 1.0)
            total_429 = len(tg.too_many)
        db.close()
    elapsed = finished - prepared
    print(
        f"{users} digests, {len(sends)} messages, fake Bot API enforcing 30/s overall and "
        f"1/s per chat"
    )
    print(f"  outbox written (rank + write {report.prepared} digests): {prepared - started:.1f} s")
    print(
        f"  sending: {elapsed:.1f} s -> {len(sends) / elapsed:.1f} messages/s "
        f"(ceiling 30; target >= 27)"
    )
    print(
        f"  sent {report.sent}, failed {report.failed}; 429s: {total_429} in all, "
        f"{steady_429} in steady state (target 0)"
    )


def _report():  # type: ignore[no-untyped-def]
    from bot.digests.sweep import SweepReport

    return SweepReport()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.users))


if __name__ == "__main__":
    main()
