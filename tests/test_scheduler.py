"""The scheduled ingest job, and `paperboy run` starting and stopping cleanly."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.config import Settings
from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import Throttle
from bot.digests.desk import DigestDesk
from bot.digests.sweep import Deliverer
from bot.llm import LLMClient
from bot.service.scheduler import build_scheduler, ingest_job
from bot.telegram.app import make_bot
from storage.interests import add_interest
from storage.papers import Paper, upsert_papers
from storage.service_state import LAST_BACKUP, get_state
from storage.users import ensure_user, update_user
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
    deliverer = Deliverer(
        DigestDesk(db, settings, llm), TelegramTransport(Bot(TOKEN), Throttle(), db)
    )
    scheduler = build_scheduler(db, settings, deliverer)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert str(jobs["ingest"].trigger) == "cron[hour='5,17']"
    assert jobs["ingest"].coalesce and jobs["ingest"].misfire_grace_time == 3600
    sweep = jobs["delivery-sweep"]
    assert str(sweep.trigger) == "interval[0:01:00]"
    assert sweep.coalesce and sweep.max_instances == 1


async def _fire(scheduler: AsyncIOScheduler, job_id: str, done: Callable[[], bool]) -> None:
    """Run one job the way `paperboy run` does: the scheduler's own executor picks it up
    at its next run time (moved to now), not a direct call on the test's thread."""
    scheduler.start()
    try:
        job = scheduler.get_job(job_id)
        assert job is not None
        job.modify(next_run_time=datetime.now(UTC))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if done():
                return
        raise AssertionError(f"job {job_id} had no effect within 10 s")
    finally:
        scheduler.shutdown(wait=False)


async def test_backup_job_through_the_scheduler_writes_a_checked_copy(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    upsert_papers(db, [Paper(id="2503.00001", title="One")], day="2025-03-03", source="hf")
    folder = tmp_path / "backups"
    settings = Settings(db_path=db_path, backup_dir=folder)
    scheduler = build_scheduler(db, settings)
    await _fire(scheduler, "backup", lambda: get_state(db, LAST_BACKUP) is not None)
    assert "backup failed" not in caplog.text
    (copy,) = folder.glob("paperboy-*.db")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 1


async def test_ingest_job_through_the_scheduler(db: sqlite_utils.Database) -> None:
    body = payload(api_item("2503.00001", "One"))
    with FakeServer(scripted(Reply(200, body))) as papers:
        scheduler = build_scheduler(db, Settings(papers_url=papers.url))
        await _fire(scheduler, "ingest", lambda: db.table("papers").count == 1)


async def test_sweep_job_through_the_scheduler_sends_a_due_digest(
    db: sqlite_utils.Database,
) -> None:
    upsert_papers(
        db, [Paper(id="2503.00001", title="Mixture of experts inference")], day="d", source="hf"
    )
    ensure_user(db, 7)
    update_user(db, 7, digest_time="00:00")
    add_interest(db, 7, "topic", "mixture of experts")
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=TOKEN, telegram_api_url=tg.api_url)
        llm = LLMClient(settings, db)
        async with make_bot(settings) as bot:
            deliverer = Deliverer(
                DigestDesk(db, settings, llm), TelegramTransport(bot, Throttle(), db)
            )
            scheduler = build_scheduler(db, settings, deliverer)
            await _fire(scheduler, "delivery-sweep", lambda: bool(tg.messages_to(7)))
        await llm.aclose()
    assert "Mixture of experts inference" in tg.messages_to(7)[0].text


def start_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`paperboy run` as a process of its own, its log on a pipe."""
    script = Path(sys.executable).parent / "paperboy"
    return subprocess.Popen(
        [str(script), "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )


def log_until(proc: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """The process's log lines up to the first containing `marker` (or its end)."""
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if marker in line or not line:
            break
    return lines


LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)


@pytest.mark.skipif(LIBFAKETIME is None, reason="needs libfaketime (.ci/run installs it)")
@pytest.mark.slow
def test_run_writes_the_nightly_backup_at_three_utc(tmp_path: Path) -> None:
    """From the outside: `paperboy run` under a clock set a few seconds before 03:00 UTC.
    On a busy machine the process may start and ingest the day only after 03:00 (its log
    says when, in its own clock): that run tested nothing, and is repeated with the clock
    set further back, rather than failing or always waiting a minute."""
    three = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    for lead_s in (10, 30, 90):
        attempt = tmp_path / f"lead{lead_s}"
        attempt.mkdir()
        folder = attempt / "backups"
        with FakeTelegram() as tg:
            env = {
                "PATH": "/usr/bin:/bin",
                "PAPERBOY_SOURCE": "sample",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": tg.api_url,
                "PAPERBOY_DB_PATH": str(attempt / "run.db"),
                "PAPERBOY_BACKUP_DIR": str(folder),
                "LD_PRELOAD": str(LIBFAKETIME),
                # Starts there, then runs at normal speed.
                "FAKETIME": f"@{three - timedelta(seconds=lead_s):%Y-%m-%d %H:%M:%S}",
                "TZ": "UTC",
            }
            proc = start_run(attempt, env)
            lines = log_until(proc, "scheduled ingest", 120)
            ingested = [line for line in lines if "scheduled ingest" in line]
            # Log lines start with the process's time: "2026-12-04 02:59:53,123 INFO ...".
            in_time = bool(ingested) and ingested[0][:19] < f"{three:%Y-%m-%d %H:%M:%S}"
            if in_time:
                lines += log_until(proc, "daily backup", 90)
            proc.send_signal(signal.SIGTERM)
            rest = proc.communicate(timeout=30)[1]
        log = "".join(lines) + rest
        assert ingested, log  # the day was never ingested: a failure, not a slow start
        if in_time:
            break
    else:
        pytest.fail(f"paperboy run had not ingested by 03:00 even {lead_s} s before it")
    assert "daily backup written" in log, log
    copy = folder / "paperboy-2026-12-04.db"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 99


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
    with FakeTelegram() as tg:
        env = {
            "PATH": "/usr/bin:/bin",
            "PAPERBOY_SOURCE": "sample",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.api_url,
            "PAPERBOY_DB_PATH": str(tmp_path / "run.db"),
        }
        proc = start_run(tmp_path, env)
        lines = log_until(proc, "scheduled ingest:", 60)
        tg.user_says(42, "/start")
        tg.wait_for(lambda: tg.messages_to(42), timeout=20)
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    log = "".join(lines) + rest
    assert proc.returncode == 0, log
    assert "99 new" in log and "paperboy stopped" in log
    assert TOKEN not in log
    assert "What are you interested in?" in tg.messages_to(42)[0].text


def test_sigterm_stops_run_while_a_question_waits_on_a_slow_server(tmp_path: Path) -> None:
    """A question reading from a server that answers in 120 s must not keep `paperboy run`
    alive after SIGTERM (before: only SIGKILL stopped it)."""
    from storage import open_db
    from storage.papers import Paper, upsert_papers
    from tests.fakes.http_server import FakeServer, Reply

    asked = threading.Event()

    def stalled(_request: object) -> Reply:
        asked.set()
        time.sleep(120)
        return Reply(404, "gone", {"content-type": "text/plain"})

    paper = Paper(
        id="2501.10120",
        title="PaSa: An LLM Agent for Comprehensive Academic Paper Search",
        abstract="PaSa is a paper search agent trained with reinforcement learning.",
    )
    upsert_papers(open_db(tmp_path / "run.db"), [paper], day="2026-12-03", source="arxiv")
    with FakeTelegram() as tg, FakeServer(stalled) as slow:
        env = {
            "PATH": "/usr/bin:/bin",
            "PAPERBOY_SOURCE": "sample",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.api_url,
            "PAPERBOY_DB_PATH": str(tmp_path / "run.db"),
            "PAPERBOY_ARXIV_HTML_URL": f"{slow.url}/html",
            "PAPERBOY_ARXIV_PDF_URL": f"{slow.url}/pdf",
        }
        proc = start_run(tmp_path, env)
        try:
            lines = log_until(proc, "scheduled ingest:", 60)
            tg.user_says(43, "/ask how is the PaSa paper search agent trained?")
            assert asked.wait(timeout=30), "the question never reached the full-text server"
            stopping = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rest = proc.communicate(timeout=60)[1]
        finally:
            proc.kill()
        took = time.monotonic() - stopping
    log = "".join(lines) + rest
    assert proc.returncode == 0 and "paperboy stopped" in log, log
    # Not a speed test: without stopping the handlers it waits out the 30 s read deadline
    # (30.6 s measured), with it about half a second.
    assert took < 20, f"stopped {took:.1f} s after SIGTERM"
    assert "will be handled" in log or "resume at the next start" in log
