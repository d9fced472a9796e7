"""Operating Paperboy: online backups that are checked, restore that sends nothing twice,
one service per database, `paperboy status` and the health endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from bot.config import Settings
from bot.service.scheduler import backup_job
from bot.service.status import serve_health
from storage import open_db
from storage.backup import backup_database
from storage.db import DatabaseInUse, exclusive_use
from storage.deliveries import status_counts
from storage.papers import Paper, upsert_papers
from storage.service_state import LAST_BACKUP, LAST_SWEEP, get_state, set_state
from tests.fakes.telegram_api import TOKEN
from tests.test_delivery import at, world
from tests.test_secrets_and_bad_settings import paperboy


def test_backup_while_another_process_writes(db_path: Path, tmp_path: Path) -> None:
    open_db(db_path).close()
    stop = threading.Event()

    def writer() -> None:  # another connection, as the bot would be
        other = open_db(db_path)
        n = 0
        while not stop.is_set():
            upsert_papers(other, [Paper(id=f"w{n}", title=f"Paper {n}")], day="d", source="s")
            n += 1
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        made = backup_database(open_db(db_path), tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    with sqlite3.connect(made.path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        migrations = copy.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert made.size_bytes > 0 and migrations >= 7
    assert not (tmp_path / "copy.db.partial").exists()


def test_backup_command_and_daily_job(tmp_path: Path) -> None:
    assert paperboy("ingest", "--source", "sample", env={}, cwd=tmp_path).returncode == 0
    result = paperboy("db", "backup", str(tmp_path / "b" / "one.db"), env={}, cwd=tmp_path)
    assert result.returncode == 0 and "integrity check ok" in result.stdout
    db = open_db(tmp_path / "p.db")
    folder = tmp_path / "daily"
    folder.mkdir()
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        (folder / f"paperboy-{day}.db").write_bytes(b"old")
    asyncio.run(backup_job(db, tmp_path / "p.db", folder, keep=2))
    kept = sorted(p.name for p in folder.glob("paperboy-*.db"))
    assert len(kept) == 2 and kept[0] == "paperboy-2025-01-03.db"
    assert f"paperboy-{datetime.now(UTC):%Y-%m-%d}.db" in (get_state(db, LAST_BACKUP) or "")
    assert sorted(p.name for p in folder.iterdir()) == kept  # no -wal/-shm/.partial left
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["one.db"]


@pytest.mark.slow
def test_a_backup_never_replaces_a_device_a_folder_or_the_database(tmp_path: Path) -> None:
    assert paperboy("ingest", "--source", "sample", env={}, cwd=tmp_path).returncode == 0
    (tmp_path / "folder").mkdir()
    for target in ("/dev/null", str(tmp_path / "p.db")):
        result = paperboy("db", "backup", target, env={}, cwd=tmp_path)
        assert result.returncode == 1, (target, result.stdout)
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    folder = paperboy("db", "backup", str(tmp_path / "folder"), env={}, cwd=tmp_path)
    assert folder.returncode != 0 and "is a directory" in folder.stderr
    assert Path("/dev/null").is_char_device()
    assert open_db(tmp_path / "p.db").execute("SELECT count(*) FROM papers").fetchone()[0] > 0


async def test_restore_continues_and_sends_nothing_twice(db_path: Path, tmp_path: Path) -> None:
    db = open_db(db_path)
    async with world(db) as w:
        w.user(1)
        await w.deliverer.sweep(at("2025-03-03T08:00"))
        assert len(w.digests_to(1)) == 1
    backup = backup_database(db, tmp_path / "backup.db")
    db.close()
    # Restore: the service is stopped, the copy goes back in place (WAL files removed).
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup.path, db_path)
    restored = open_db(db_path)
    async with world(restored) as w:
        w.user(2)  # someone new since: the restored service still serves them
        await w.deliverer.sweep(at("2025-03-03T08:30"))
        assert w.digests_to(1) == [] and len(w.digests_to(2)) == 1
        await w.deliverer.sweep(at("2025-03-04T08:00"))  # and tomorrow goes on as usual
        assert len(w.digests_to(1)) == 1
    assert status_counts(restored) == {"digest": {"sent": 4}}


def test_one_service_per_database(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with exclusive_use(path):
        with pytest.raises(DatabaseInUse), exclusive_use(path):
            pass
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "PAPERBOY_DB_PATH": str(path)}
        for command in ("send-due", "run"):
            result = paperboy(command, env=env, cwd=tmp_path)
            assert result.returncode == 1
            assert "another paperboy process is already running" in result.stderr
            assert f"(pid {os.getpid()})" in result.stderr
    with exclusive_use(path):  # released when the holder stops
        pass


def test_status_says_what_the_service_did(tmp_path: Path) -> None:
    paperboy("ingest", "--source", "sample", env={}, cwd=tmp_path)
    before = paperboy("status", env={}, cwd=tmp_path)
    assert before.returncode == 1 and "UNHEALTHY: the delivery sweep has not run yet" in (
        before.stdout
    )
    assert "ingest sample: day 2025-02-18, 99 papers" in before.stdout
    db = open_db(tmp_path / "p.db")
    set_state(db, LAST_SWEEP, datetime.now(UTC).isoformat(timespec="seconds"))
    db.close()
    after = paperboy("status", "--json", env={}, cwd=tmp_path)
    assert after.returncode == 0 and '"healthy": true' in after.stdout


async def test_health_endpoint_follows_the_sweep(db: sqlite_utils.Database) -> None:
    server = await serve_health(db, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url}/health")).status_code == 503
            set_state(db, LAST_SWEEP, datetime.now(UTC).isoformat())
            ok = await http.get(f"{url}/health")
            assert ok.status_code == 200 and ok.json() == {"healthy": True, "problem": None}
            assert (await http.get(f"{url}/health?probe=1")).status_code == 200  # a query
            stale = datetime.now(UTC) - timedelta(minutes=6)
            set_state(db, LAST_SWEEP, stale.isoformat())
            late = await http.get(f"{url}/health")
            assert late.status_code == 503 and "6 min ago" in late.json()["problem"]
            assert (await http.get(f"{url}/other")).status_code == 404
    finally:
        server.close()


async def test_health_endpoint_refuses_huge_lines_and_trickled_headers(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve_health(db, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\n")
        started = asyncio.get_running_loop().time()
        closed = False
        for n in range(20):  # a header a second, for up to 20 s
            try:
                writer.write(f"X-Slow-{n}: 1\r\n".encode())
                await writer.drain()
            except ConnectionError:
                closed = True
                break
            if reader.at_eof() or await _peek_closed(reader):
                closed = True
                break
        took = asyncio.get_running_loop().time() - started
        writer.close()
        assert closed and took < 12
    finally:
        server.close()
    assert "Traceback" not in caplog.text and "exception" not in caplog.text.lower()


async def _peek_closed(reader: asyncio.StreamReader) -> bool:
    """Wait a second for the server to say something or hang up."""
    try:
        data = await asyncio.wait_for(reader.read(1024), timeout=1)
    except TimeoutError:
        return False
    return data == b"" or data.startswith(b"HTTP/")


def test_health_and_backup_settings_are_validated() -> None:
    from bot.config import SettingsError

    settings = Settings.from_env({"PAPERBOY_HEALTH_PORT": "8080", "PAPERBOY_BACKUP_DIR": "/b"})
    assert settings.health_port == 8080 and settings.backup_dir == Path("/b")
    with pytest.raises(SettingsError, match="PAPERBOY_HEALTH_PORT"):
        Settings.from_env({"PAPERBOY_HEALTH_PORT": "99999"})


def test_json_log_lines_for_collectors() -> None:
    from bot.cli.app import JsonLines

    record = logging.LogRecord(
        "bot.digests.sweep", logging.WARNING, "x", 1, "chat %d: %s", (7, "x"), None
    )
    entry = json.loads(JsonLines().format(record))
    assert entry["level"] == "WARNING" and entry["message"] == "chat 7: x"
    assert entry["logger"] == "bot.digests.sweep" and "time" in entry
    assert Settings.from_env({"PAPERBOY_LOG_FORMAT": "json"}).log_format == "json"


async def test_backup_during_a_delivery_wave_restores_without_duplicates(
    db_path: Path, tmp_path: Path
) -> None:
    import asyncio

    db = open_db(db_path)
    backups: list[Path] = []
    async with world(db) as w:
        for chat in range(1, 61):
            w.user(chat)
        sweep = asyncio.create_task(w.deliverer.sweep(at("2025-03-03T08:00")))
        await w.tg.until(lambda: len(w.tg.calls("sendMessage")) >= 10)
        # The backup runs on its own connection in another thread while digests go out.
        made = await asyncio.to_thread(
            lambda: backup_database(open_db(db_path), tmp_path / "mid-wave.db")
        )
        backups.append(made.path)
        await sweep
        sent_during_wave = {m.chat_id for m in w.tg.calls("sendMessage")}
    assert sent_during_wave == set(range(1, 61))
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        in_copy = dict(copy.execute("SELECT status, count(*) FROM deliveries GROUP BY 1"))
        # A pending digest whose messages all got their Telegram ids recorded went out just
        # before the copy was taken; only its status flip was still to come.
        unsent_in_copy = {
            chat
            for (chat,) in copy.execute(
                """SELECT chat_id FROM deliveries d WHERE status = 'pending' AND (
                       empty_reason IS NOT NULL
                       OR NOT EXISTS (SELECT 1 FROM delivery_items i WHERE i.delivery_id = d.id)
                       OR EXISTS (SELECT 1 FROM delivery_items i WHERE i.delivery_id = d.id
                                  AND i.telegram_message_id IS NULL))"""
            )
        }
    assert sum(in_copy.values()) == 60 and in_copy.get("sent", 0) < 60  # truly mid-wave
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.copy(backups[0], db_path)
    restored = open_db(db_path)
    async with world(restored) as w:
        await w.deliverer.sweep(at("2025-03-03T08:05"))
        resent = Counter(m.chat_id for m in w.tg.calls("sendMessage"))
    # Only digests with messages not yet sent in the copy go out again, each at most once;
    # digests marked sent (or whose messages were all recorded) in the copy never.
    assert all(n == 1 for n in resent.values())
    assert set(resent) == unsent_in_copy and unsent_in_copy
    assert status_counts(restored) == {"digest": {"sent": 60}}
