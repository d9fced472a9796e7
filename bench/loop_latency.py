"""Does CPU work stall the bot? A user's /help, answered by the real Application through
the fake Bot API, timed while (a) a delivery sweep ranks digests for 2,000 readers and
(b) a question makes the bot read a 15-page PDF (Attention Is All You Need, 1706.03762).

Run: python -m bench.loop_latency [--readers 2000] [--probes 20]
Needs only the repository (the bundled sample day, tests/data/fulltext, tests/fakes).
Prints /help reply times (median and worst) idle, during the sweep's ranking, and during
the PDF read; compare runs of two versions to see what leaving the loop buys.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.sweep import Deliverer, SweepReport
from bot.fulltext import ReadOptions, read_paper
from bot.service.run import share_the_interpreter
from bot.telegram.app import make_bot
from storage import open_db
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.users import ensure_user, update_user
from tests.fakes.arxiv_server import FakeArxiv
from tests.telegram_harness import Harness, running_bot

TOPICS = ["mixture of experts", "LLMs for HPC code", "distributed training", "GUI agents"]
PROBE_CHAT = 999_999


async def help_reply_s(h: Harness) -> float:
    before = len(h.tg.messages_to(PROBE_CHAT))
    started = time.perf_counter()
    h.tg.user_says(PROBE_CHAT, "/help")
    await h.tg.until(lambda: len(h.tg.messages_to(PROBE_CHAT)) > before, timeout=120)
    return time.perf_counter() - started


async def probe_while(
    h: Harness, work: Callable[[], Awaitable[object]], probes: int
) -> tuple[list[float], float]:
    """/help reply times while `work` runs (probes back to back), and how long it ran."""
    started = time.perf_counter()
    task = asyncio.create_task(work())
    times = []
    while not task.done() and len(times) < probes:
        times.append(await help_reply_s(h))
    await task
    return times, time.perf_counter() - started


def line(label: str, times: list[float], took: float | None = None) -> str:
    if not times:
        return f"  {label}: no probe finished while it ran"
    ran = f" (work took {took:.1f} s)" if took is not None else ""
    return (
        f"  {label}: /help median {1000 * statistics.median(times):.0f} ms, "
        f"worst {1000 * max(times):.0f} ms over {len(times)} probes{ran}"
    )


async def run(readers: int, probes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        async with running_bot(db, expand_interests=False) as h:
            for chat in range(1, readers + 1):
                ensure_user(db, chat)
                update_user(db, chat, digest_time="00:00")
                add_interest(db, chat, "topic", TOPICS[chat % len(TOPICS)] + f" {chat % 50}")
            await help_reply_s(h)  # warm up
            idle = [await help_reply_s(h) for _ in range(probes)]
            print(line("idle", idle))
            async with make_bot(h.conv.settings) as bot:
                sweep = Deliverer(h.conv.desk, TelegramTransport(bot, Throttle(), h.conv.db))
                times, took = await probe_while(
                    h, lambda: sweep.prepare_due(datetime.now(UTC), SweepReport()), probes
                )
            print(line(f"sweep ranking {readers} readers", times, took))
            paper = Paper(id="1706.03762", title="Attention Is All You Need")
            upsert_papers(db, [paper], day="2017-06-12", source="arxiv")
            with FakeArxiv() as arxiv:
                options = ReadOptions(html_url=f"{arxiv.url}/html", pdf_url=f"{arxiv.url}/pdf")

                async def read() -> None:
                    async with httpx.AsyncClient() as client:
                        await read_paper(db, client, paper, options)

                times, took = await probe_while(h, read, probes)
            print(line("reading a 15-page PDF", times, took))
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument(
        "--default-switch-interval",
        action="store_true",
        help="keep Python's 5 ms GIL switch interval instead of the service's",
    )
    args = parser.parse_args()
    if not args.default_switch_interval:
        share_the_interpreter()  # as `paperboy run` does
    asyncio.run(run(args.readers, args.probes))


if __name__ == "__main__":
    main()
