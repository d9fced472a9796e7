"""Does one slow server stall the bot for everyone? The real Application and the fake Bot
API; 5 readers ask questions about arXiv papers whose full text comes from a server that
takes 30 s per request, and whose answers come from an LLM that takes 10 s; meanwhile 20
other readers send /help, one after another, for the whole run. Prints /help reply time
p50 / p95 / max (idle first, for comparison) and when the slow questions were answered.

Run: python -m bench.slow_servers [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from storage import open_db
from storage.papers import Paper, upsert_papers
from tests.fakes.http_server import FakeServer, Reply
from tests.fakes.openai_server import FakeLLM
from tests.telegram_harness import Harness, running_bot

ASKERS = range(100, 105)
HELPERS = range(200, 220)
PAPERS = [
    Paper(id=f"2501.{10200 + n:05d}", title=f"Slow paper {n}", abstract="Routing tokens.")
    for n in range(5)
]


def slow_full_text(_request: Any) -> Reply:
    time.sleep(30)
    return Reply(404, "not found", {"content-type": "text/plain"})


def slow_model(_payload: dict[str, Any]) -> None:
    time.sleep(10)
    return None  # then the well-behaved answer


async def help_times(h: Harness, seconds: float) -> list[float]:
    """/help from each helper in turn until `seconds` pass; each reply's wait."""
    waits: list[float] = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        for chat in HELPERS:
            before = len(h.tg.messages_to(chat))
            started = time.monotonic()
            h.tg.user_says(chat, "/help")
            await h.tg.until(lambda c=chat, b=before: len(h.tg.messages_to(c)) > b, timeout=120)
            waits.append(time.monotonic() - started)
    return waits


def summary(name: str, waits: list[float]) -> str:
    ms = sorted(w * 1000 for w in waits)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (
        f"{name}: {len(ms)} /help replies, p50 {statistics.median(ms):.0f} ms, "
        f"p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
    )


async def run(seconds: float) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeServer(slow_full_text) as slow,
        FakeLLM(script=slow_model) as llm,
    ):
        db = open_db(Path(tmp) / "bench.db")
        upsert_papers(db, PAPERS, day="2026-12-03", source="arxiv")
        async with running_bot(
            db,
            openai_base_url=llm.base_url,
            expand_interests=False,
            arxiv_html_url=f"{slow.url}/html",
            arxiv_pdf_url=f"{slow.url}/pdf",
        ) as h:
            print(summary("idle", await help_times(h, 5)))
            asked = time.monotonic()
            for chat, paper in zip(ASKERS, PAPERS, strict=True):
                h.tg.user_says(chat, f"/ask how does {paper.title} route tokens?")
            print(
                summary("while 5 questions wait on the slow servers", await help_times(h, seconds))
            )
            for chat in ASKERS:
                await h.tg.until(lambda c=chat: h.tg.messages_to(c), timeout=180)
            answered = [m.at - asked for c in ASKERS for m in h.tg.messages_to(c)[-1:]]
            print(
                f"the 5 slow questions answered after {min(answered):.0f}-{max(answered):.0f} s "
                "(deadlines: full text 30 s, answer 45 s; fallbacks named in the answer)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=40.0)
    asyncio.run(run(parser.parse_args().seconds))


if __name__ == "__main__":
    main()
