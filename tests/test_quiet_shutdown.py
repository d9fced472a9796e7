"""SIGTERM in the middle of a scheduled delivery sweep: `paperboy run` stops with one INFO
line about the sweep, not an ERROR with a CancelledError traceback (APScheduler 3 logs a
cancelled coroutine job as a crash); the outbox sends the rest at the next start."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.sources import load_day
from bot.sources.ingest import store_day
from storage import open_db
from storage.interests import add_interest
from storage.service_state import LAST_SWEEP, get_state
from storage.users import ensure_user, update_user
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.test_crash_safety import TOPICS, USERS, _digest_messages, _start


def _until(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    raise AssertionError(f"not done within {seconds} s")


@pytest.mark.slow
def test_sigterm_during_a_scheduled_sweep_logs_no_traceback(tmp_path: Path) -> None:
    db_path = tmp_path / "quiet.db"
    db = open_db(db_path)
    store_day(db, asyncio.run(load_day("sample", None, papers_url="")))
    log = tmp_path / "run.log"
    with FakeTelegram(enforce_limits=True) as tg:
        env = {
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.api_url,
            "PAPERBOY_DB_PATH": str(db_path),
            "PAPERBOY_SOURCE": "sample",
        }
        proc = _start(env, tmp_path, log)
        try:
            # The catch-up sweep at start finds nobody (it is not an APScheduler job);
            # the readers arrive after it, for the scheduled sweep a minute after start.
            _until(lambda: get_state(db, LAST_SWEEP) is not None, 60)
            for chat in range(1, USERS + 1):
                ensure_user(db, chat)
                update_user(db, chat, digest_time="00:00")  # due at once
                add_interest(db, chat, "topic", TOPICS[chat % len(TOPICS)])
            tg.wait_for(lambda: len(_digest_messages(tg)) >= 10, timeout=150)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            proc.kill()
        sent = len({chat for chat, _ in _digest_messages(tg)})
    db.close()
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert sent < USERS, "the signal came after the sweep: nothing was tested"
    assert "Traceback" not in text and "CancelledError" not in text, text[-3000:]
    assert " ERROR " not in text, text[-3000:]
    stopped = [line for line in text.splitlines() if "stopped by the shutdown" in line]
    assert len(stopped) == 1 and " INFO " in stopped[0], stopped
    assert "paperboy stopped" in text
