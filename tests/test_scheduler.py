"""The scheduled ingest job, and `paperboy run` starting and stopping cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils
from telegram import Bot

from bot.config import Settings
from bot.delivery import Deliverer
from bot.llm import LLMClient
from bot.scheduler import build_scheduler, ingest_job
from bot.telegram.throttle import Throttle
from tests.fakes.http_server import FakeServer, Reply, scripted
from tests.fakes.openai_server import FakeLLM
from tests.fakes.papers_api import api_item, payload
from tests.fakes.telegram_api import TOKEN, FakeTelegram


async def test_ingest_job_stores_and_leaves_summaries_to_delivery(
    db: sqlite_utils.Database,
) -> None:
    body = payload(api_item("2503.00001", "One"), api_item("2503.00002", "Two"))
    with FakeServer(scripted(Reply(200, body))) as papers, FakeLLM() as fake:
        settings = Settings(papers_url=papers.url, openai_base_url=fake.base_url)
        await ingest_job(db, settings)
    assert db.table("papers").count == 2
    # Summaries are written when a digest is prepared, only for papers someone receives.
    assert db.table("summaries").count == 0 and fake.payloads == []


async def test_ingest_job_survives_a_failing_source(db: sqlite_utils.Database) -> None:
    with FakeServer(scripted(Reply(404, "gone"))) as papers:
        settings = Settings(papers_url=papers.url)
        await ingest_job(db, settings)
    assert db.table("papers").count == 0


def test_jobs_ingest_at_the_configured_hours_and_sweep_every_minute(
    db: sqlite_utils.Database,
) -> None:
    settings = Settings(ingest_hours_utc=(5, 17))
    llm = LLMClient(settings, db)
    deliverer = Deliverer(db, llm, Bot(TOKEN), Throttle())
    scheduler = build_scheduler(db, settings, llm, deliverer)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert str(jobs["ingest"].trigger) == "cron[hour='5,17']"
    assert jobs["ingest"].coalesce and jobs["ingest"].misfire_grace_time == 3600
    sweep = jobs["delivery-sweep"]
    assert str(sweep.trigger) == "interval[0:01:00]"
    assert sweep.coalesce and sweep.max_instances == 1


def test_run_without_a_token_explains_what_to_do(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "paperboy"
    result = subprocess.run(
        [str(script), "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr and "paperboy chat" in result.stderr


def test_run_starts_the_bot_ingests_and_stops_on_sigterm(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "paperboy"
    with FakeTelegram() as tg:
        env = {
            "PATH": "/usr/bin:/bin",
            "PAPERBOY_SOURCE": "sample",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.api_url,
            "PAPERBOY_DB_PATH": str(tmp_path / "run.db"),
        }
        proc = subprocess.Popen(
            [str(script), "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
        )
        lines = []
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "scheduled ingest:" in line or not line:
                break
        tg.user_says(42, "/start")
        tg.wait_for(lambda: tg.messages_to(42), timeout=20)
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    log = "".join(lines) + rest
    assert proc.returncode == 0, log
    assert "99 new" in log and "paperboy stopped" in log
    assert TOKEN not in log
    assert "What are you interested in?" in tg.messages_to(42)[0].text
