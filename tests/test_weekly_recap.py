"""A reader's week: seven calendar days whatever was stored (empty days count 0), "first
week" when nothing was stored the week before, what /week says with no papers, and the
counting and drawing done off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlite_utils

from bot.assistant import Conversation
from bot.assistant.frontend import Chat
from bot.ranking import DayRanker
from bot.sources.hf_json import parse_daily_papers
from bot.weekly.chart import draw
from bot.weekly.recap import reader_week
from bot.weekly.text import NO_PAPERS, caption
from storage.interests import add_interest
from storage.papers import upsert_papers
from storage.users import ensure_user
from tests.test_week import INTERESTS, PNG_SIGNATURE

HF_DAYS = Path(__file__).resolve().parent / "data" / "hf_api"
CHAT = 77


def store(db: sqlite_utils.Database, recorded: str, as_day: str) -> None:
    papers = parse_daily_papers((HF_DAYS / f"{recorded}.json").read_bytes()).papers
    upsert_papers(db, papers, day=as_day, source="hf")


def follow(db: sqlite_utils.Database, *interests: str) -> None:
    ensure_user(db, CHAT)
    for text in interests:
        add_interest(db, CHAT, "topic", text)


async def test_a_week_with_gaps_spans_seven_calendar_days(db: sqlite_utils.Database) -> None:
    """Lists stored on Mon 27, Wed 29 and Fri 31 July only: the week is Sat 25 to Fri 31,
    the other days 0; nothing stored the week before, so nothing to compare with."""
    store(db, "2026-06-12", "2026-07-27")
    store(db, "2026-07-13", "2026-07-29")
    store(db, "2026-07-31", "2026-07-31")
    follow(db, *INTERESTS)
    week = await reader_week(db, CHAT)
    assert week is not None
    assert week.days == [f"2026-07-{d}" for d in range(25, 32)]
    assert week.listed == {"2026-07-27", "2026-07-29", "2026-07-31"}
    empty = [n for n, day in enumerate(week.days) if day not in week.listed]
    assert all(row[n] == 0 for row in week.counts for n in empty)
    assert week.total > 0 and not week.thin
    assert week.previous_total is None
    assert "first week stored, nothing to compare with" in caption(week)
    assert "on the week before" not in caption(week)


async def test_the_week_before_counts_only_when_something_was_stored(
    db: sqlite_utils.Database,
) -> None:
    store(db, "2026-07-13", "2026-07-29")
    store(db, "2026-07-31", "2026-07-31")
    store(db, "2026-06-12", "2026-07-20")  # in the week before (18 to 24 July)
    store(db, "2026-06-12", "2026-07-10")  # two weeks before: not counted
    follow(db, *INTERESTS)
    week = await reader_week(db, CHAT)
    assert week is not None and week.previous_total is not None
    assert week.previous_total > 0 and week.listed == {"2026-07-29", "2026-07-31"}
    change = week.total - week.previous_total
    assert f"({change:+d} on the week before)" in caption(week)


async def test_week_without_stored_papers_says_so(
    conv: Conversation, db: sqlite_utils.Database
) -> None:
    (no_topic,) = await conv.command(Chat(CHAT), "week", "")
    assert "Follow a topic first" in no_topic.html
    follow(db, "LLM agents")
    (no_papers,) = await conv.command(Chat(CHAT), "week", "")
    assert no_papers.html == NO_PAPERS and "Follow a topic" not in no_papers.html


async def test_counting_and_drawing_a_week_leave_the_loop_free(db: sqlite_utils.Database) -> None:
    """Both hand the loop back while they work: a task started just before runs before they
    finish. (Done on the loop, with the days' rankers already built, neither awaited
    anything, so the task ran only after them.)"""
    store(db, "2026-07-13", "2026-07-30")
    store(db, "2026-07-31", "2026-07-31")
    follow(db, *INTERESTS)
    rankers: dict[str, DayRanker] = {}
    assert await reader_week(db, CHAT, rankers=rankers) is not None  # indexes the days

    order: list[str] = []

    async def meanwhile() -> None:
        order.append("loop")

    task = asyncio.create_task(meanwhile())
    week = await reader_week(db, CHAT, rankers=rankers)
    order.append("counted")
    await task
    assert order == ["loop", "counted"]

    assert week is not None
    order.clear()
    task = asyncio.create_task(meanwhile())
    png = await draw(week)
    order.append("drawn")
    await task
    assert order == ["loop", "drawn"] and png.startswith(PNG_SIGNATURE)
