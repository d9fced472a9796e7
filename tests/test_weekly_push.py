"""The weekly push's sweep from the outside, against the fake Bot API: one reader's data
or one reader's failure never stops the others' recaps (issue 29), failures back off, and
a recap due just before local midnight is still written by the next sweep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest
import sqlite_utils

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.telegram.app import make_bot
from bot.weekly.chart import figure
from bot.weekly.push import WeeklyPush
from bot.weekly.recap import reader_week
from storage.interests import add_interest
from storage.users import ensure_user, update_user
from storage.weekly import set_weekly
from tests.fakes.http_server import Reply
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.test_week import INTERESTS, store_days

SUNDAY = 6
DOLLARS = "price of $x^$ tokens"  # mathtext to matplotlib: it raised, and the sweep stopped


def reader(db: sqlite_utils.Database, chat: int, *interests: str, **user: Any) -> None:
    ensure_user(db, chat)
    update_user(db, chat, **{"timezone": "UTC", "digest_time": "09:00", **user})
    for text in interests:
        add_interest(db, chat, "topic", text)
    set_weekly(db, chat, SUNDAY)


@asynccontextmanager
async def weekly_push(db: sqlite_utils.Database) -> AsyncIterator[tuple[FakeTelegram, WeeklyPush]]:
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
        async with make_bot(settings) as bot:
            yield tg, WeeklyPush(db, TelegramTransport(bot, Throttle(per_chat_interval_s=0.01), db))


def statuses(db: sqlite_utils.Database) -> dict[int, str]:
    rows = db.execute("SELECT chat_id, status FROM deliveries WHERE kind = 'weekly'")
    return dict(rows.fetchall())


async def test_a_dollar_interest_gets_its_recap_and_stops_nobody_elses(
    db: sqlite_utils.Database,
) -> None:
    """Four weekly readers; the first (swept first) follows "price of $x^$ tokens". Before,
    drawing their chart raised and the sweep ended there, every week, after every restart."""
    store_days(db)
    reader(db, 1, DOLLARS, INTERESTS[0])
    for chat in (2, 3, 4):
        reader(db, chat, *INTERESTS)
    async with weekly_push(db) as (tg, push):
        report = await push.sweep(datetime.fromisoformat("2026-12-06T09:30:00+00:00"))
    assert (report.written, report.sent, report.failed) == (4, 4, 0)
    for chat in (1, 2, 3, 4):
        assert len(tg.calls("sendPhoto", chat)) == 1 and len(tg.messages_to(chat)) == 1
    assert statuses(db) == {1: "sent", 2: "sent", 3: "sent", 4: "sent"}
    week = await reader_week(db, 1)
    assert week is not None
    (ax, _bar) = figure(week).axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert DOLLARS in labels  # drawn as typed, not as mathtext
    assert not any(t.get_parse_math() for t in ax.get_yticklabels())


async def test_one_readers_failure_is_retried_with_backoff_and_the_others_get_theirs(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram answers reader 1 with nonsense (a KeyError inside python-telegram-bot, not a
    TelegramError): their recap is pending with the error and a retry time, readers 2 and 3
    get theirs; the retry waits its minute, then goes out."""
    store_days(db)
    for chat in (1, 2, 3):
        reader(db, chat, *INTERESTS)
    async with weekly_push(db) as (tg, push):
        broken = '{"ok": true, "result": {}}'
        tg.fault = lambda _m, p: Reply(200, broken) if p.get("chat_id") == "1" else None
        await push.sweep(datetime.fromisoformat("2026-12-06T09:30:00+00:00"))
        assert statuses(db) == {1: "pending", 2: "sent", 3: "sent"}
        error, attempts, held = db.execute(
            "SELECT error, attempts, next_attempt_utc FROM deliveries "
            "WHERE kind = 'weekly' AND chat_id = 1"
        ).fetchone()
        assert error.startswith("KeyError") and attempts == 1
        assert held == "2026-12-06T09:31:00+00:00"  # 1 minute, then 2, 4, 8
        assert "weekly recap 1 to chat 1 failed" in caplog.text
        tg.fault = None
        early = await push.sweep(datetime.fromisoformat("2026-12-06T09:30:30+00:00"))
        assert early.sent == 0
        await push.sweep(datetime.fromisoformat("2026-12-06T09:31:05+00:00"))
    assert statuses(db) == {1: "sent", 2: "sent", 3: "sent"}
    assert len(tg.calls("sendPhoto", 1)) == 1


async def test_a_bad_reader_row_does_not_stop_the_others_being_written(
    db: sqlite_utils.Database,
) -> None:
    store_days(db)
    reader(db, 1, *INTERESTS)
    reader(db, 2, *INTERESTS)
    db.execute("UPDATE users SET digest_time = 'soon' WHERE chat_id = 1")  # not HH:MM
    async with weekly_push(db) as (_tg, push):
        report = await push.sweep(datetime.fromisoformat("2026-12-06T09:30:00+00:00"))
    assert report.sent == 1 and statuses(db) == {2: "sent"}


async def test_a_recap_due_at_2359_is_written_by_the_first_sweep_after_midnight(
    db: sqlite_utils.Database,
) -> None:
    """Digest time 23:59 in Berlin, weekly on Sunday, and no sweep in that minute: the
    first sweep after (Monday 00:05) writes Sunday's recap, once; a sweep more than a day
    late writes none (that week is gone)."""
    store_days(db)
    reader(db, 1, *INTERESTS, timezone="Europe/Berlin", digest_time="23:59")
    reader(db, 2, *INTERESTS, timezone="Europe/Berlin", digest_time="23:59")
    async with weekly_push(db) as (tg, push):

        async def sweep(when: str) -> int:
            return (await push.sweep(datetime.fromisoformat(when))).written

        assert await sweep("2026-12-06T22:58:00+00:00") == 0  # Sunday 23:58 in Berlin
        assert await sweep("2026-12-06T23:05:00+00:00") == 2  # Monday 00:05
        assert await sweep("2026-12-06T23:06:00+00:00") == 0
        assert await sweep("2026-12-07T22:00:00+00:00") == 0  # Monday 23:00: written
        db.execute(
            "DELETE FROM deliveries WHERE kind = 'weekly' AND chat_id = 2"
        )  # as if never written
        assert await sweep("2026-12-08T00:00:00+00:00") == 0  # Tuesday 01:00: too late
    rows = db.execute(
        "SELECT chat_id, local_day, status FROM deliveries WHERE kind = 'weekly'"
    ).fetchall()
    assert rows == [(1, "2026-12-06", "sent")]
    assert len(tg.calls("sendPhoto", 1)) == 1


async def test_status_and_stats_report_the_weekly_recaps_with_the_digests(
    db: sqlite_utils.Database,
) -> None:
    """The recaps are entries of the one outbox: `paperboy status` and /stats count them
    by kind, and a failing one shows its error like a digest's."""
    from bot.assistant import Chat, Conversation
    from bot.llm import LLMClient
    from bot.service.status import collect_status, render_status

    store_days(db)
    for chat in (1, 2):
        reader(db, chat, *INTERESTS)
    async with weekly_push(db) as (tg, push):
        tg.blocked_chats.add(2)
        await push.sweep(datetime.fromisoformat("2026-12-06T09:30:00+00:00"))
    settings = Settings(admin_ids=frozenset({99}))
    now = datetime.fromisoformat("2026-12-06T09:31:00+00:00")
    assert "outbox: weekly 1 failed, 1 sent" in render_status(collect_status(db, settings, now))
    conv = Conversation(db, settings, LLMClient(settings, db))
    (stats,) = await conv.command(Chat(99), "stats", "")
    assert "outbox: weekly 1 failed, 1 sent" in stats.html
    assert "weekly failed: blocked by the user" in stats.html
