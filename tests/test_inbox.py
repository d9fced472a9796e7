"""Incoming updates are handled at least once: stored before Telegram hears they arrived,
handled after a crash, never handled twice when Telegram re-delivers them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from bot.sources import SourceDay, sample_bytes
from bot.sources.hf_json import parse_daily_papers
from bot.sources.ingest import store_day
from storage import open_db
from storage.inbox import store_update
from storage.users import get_user
from tests.fakes.telegram_api import TOKEN, FakeTelegram, message_update
from tests.telegram_harness import running_bot
from tests.test_webhook import SECRET, free_port

CHATS = 200


def start_service(
    tmp_path: Path, tg: FakeTelegram, db_path: Path, **env: str
) -> subprocess.Popen[bytes]:
    """`paperboy run` in a subprocess against the fake Bot API, logging to run.log."""
    script = Path(sys.executable).parent / "paperboy"
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": tg.api_url,
        "PAPERBOY_DB_PATH": str(db_path),
        "PAPERBOY_SOURCE": "sample",
        "PAPERBOY_EMBEDDINGS": "off",
        **env,
    }
    return subprocess.Popen(
        [str(script), "run"],
        cwd=tmp_path,
        env=full_env,
        stderr=(tmp_path / "run.log").open("ab"),
        stdout=subprocess.DEVNULL,
    )


async def test_updates_left_by_a_crash_are_handled_at_start(db: sqlite_utils.Database) -> None:
    store_update(
        db, 900, json.dumps(message_update(900, 42, "/time 06:45"))
    )  # fetched, then the process died
    async with running_bot(db) as bot:
        await bot.tg.until(lambda: bot.tg.messages_to(42))
        assert "06:45" in bot.tg.messages_to(42)[0].text
        await bot.handled(900)  # the reply goes out just before the update is marked
    user = get_user(db, 42)
    assert user is not None and user.digest_time == "06:45"
    assert db.execute("SELECT count(*) FROM inbox WHERE handled_utc IS NULL").fetchone()[0] == 0


async def test_an_update_telegram_delivers_again_is_not_handled_twice(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        first = await bot.say(7, "what is mixture of experts?")
        assert first
    # Telegram sends the same update again (it was never confirmed before a crash):
    async with running_bot(db) as bot:
        bot.tg.redeliver(update_id=1, chat_id=7, text="what is mixture of experts?")
        await bot.settle()
        assert bot.tg.messages_to(7) == []
    rows = db.execute("SELECT count(*), count(handled_utc) FROM inbox").fetchone()
    assert rows[0] == rows[1] >= 1


@pytest.mark.slow
def test_sigkill_while_users_talk_loses_no_command(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    db = open_db(db_path)
    store_day(db, SourceDay("sample", "2025-02-18", parse_daily_papers(sample_bytes())))
    db.close()
    with FakeTelegram() as tg:
        for chat in range(1, CHATS + 1):
            tg.user_says(chat, f"/time {6 + chat % 4}:{chat % 60:02d}")
        first = start_service(tmp_path, tg, db_path)
        tg.wait_for(lambda: len(tg.calls("sendMessage")) >= 20, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        answered_before = {m.chat_id for m in tg.calls("sendMessage")}
        assert len(answered_before) < CHATS, "the kill came too late to test anything"
        second = start_service(tmp_path, tg, db_path)
        tg.wait_for(
            lambda: {m.chat_id for m in tg.calls("sendMessage")} >= set(range(1, CHATS + 1)),
            timeout=180,
        )
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
        replies = Counter(m.chat_id for m in tg.calls("sendMessage"))
    assert max(replies.values()) <= 2, "a reply was sent more than twice"
    db = open_db(db_path)
    for chat in range(1, CHATS + 1):
        user = get_user(db, chat)
        assert user is not None and user.digest_time == f"{6 + chat % 4:02d}:{chat % 60:02d}"
    assert db.execute("SELECT count(*) FROM inbox WHERE handled_utc IS NULL").fetchone()[0] == 0


async def test_a_question_handled_again_after_a_crash_is_not_answered_twice(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        first = await bot.say(9, "how do mixture of experts models route tokens?")
        assert first
    # The crash came after the answer went out but before the update was marked handled:
    db.execute("UPDATE inbox SET handled_utc = NULL")
    async with running_bot(db) as bot:
        await bot.settle()
        await bot.tg.until(
            lambda: (
                db.execute("SELECT count(*) FROM inbox WHERE handled_utc IS NULL").fetchone()[0]
                == 0
            )
        )
        assert bot.tg.messages_to(9) == []  # recognised by its message: no second answer
    asked = db.execute("SELECT count(*) FROM messages WHERE role = 'user'").fetchone()[0]
    assert asked == 1


@pytest.mark.slow
def test_sigkill_in_webhook_mode_loses_nothing_telegram_delivered(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    open_db(db_path).close()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    chats = range(1, 101)
    acknowledged: set[int] = set()
    webhook = {
        "PAPERBOY_WEBHOOK_URL": url,
        "PAPERBOY_WEBHOOK_SECRET": SECRET,
        "PAPERBOY_WEBHOOK_LISTEN": "127.0.0.1",
        "PAPERBOY_WEBHOOK_PORT": str(port),
    }
    with FakeTelegram() as tg:

        def telegram_posts(stop: threading.Event) -> None:
            """Telegram's side: POST each update until it is acknowledged with a 200."""
            with httpx.Client(timeout=10) as http:
                while not stop.is_set() and len(acknowledged) < len(chats):
                    for chat in chats:
                        if chat in acknowledged or stop.is_set():
                            continue
                        body = message_update(chat, chat, f"/time 7:{chat % 60:02d}")
                        try:
                            answer = http.post(
                                url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                            )
                        except httpx.HTTPError:
                            time.sleep(0.2)  # the bot is down: Telegram retries later
                            continue
                        if answer.status_code == 200:
                            acknowledged.add(chat)

        first = start_service(tmp_path, tg, db_path, **webhook)
        tg.wait_for(lambda: bool(tg.calls("setWebhook")), timeout=120)
        stop = threading.Event()
        poster = threading.Thread(target=telegram_posts, args=(stop,))
        poster.start()
        tg.wait_for(lambda: len(tg.calls("sendMessage")) >= 10, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert len({m.chat_id for m in tg.calls("sendMessage")}) < len(chats)
        second = start_service(tmp_path, tg, db_path, **webhook)
        tg.wait_for(lambda: {m.chat_id for m in tg.calls("sendMessage")} >= set(chats), timeout=180)
        stop.set()
        poster.join(timeout=30)
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
        replies = Counter(m.chat_id for m in tg.calls("sendMessage"))
    assert max(replies.values()) <= 2
    db = open_db(db_path)
    for chat in chats:
        user = get_user(db, chat)
        assert user is not None and user.digest_time == f"07:{chat % 60:02d}"
