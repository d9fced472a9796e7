"""A full disk under the database makes `paperboy status` and the health endpoint say
unhealthy. Tested with a stand-in for shutil.disk_usage passed where production passes the
real one, never by filling a disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlite_utils

from bot.config import Settings
from bot.service.status import (
    DISK_MIN_FREE,
    collect_status,
    health,
    render_status,
    serve_health,
    status_json,
)
from storage.service_state import LAST_SWEEP, set_state
from tests.test_secrets_and_bad_settings import paperboy

GB = 1_000_000_000


class Disk:
    """A shutil.disk_usage stand-in: `free` bytes free of `total`; records what it was asked."""

    def __init__(self, free: int, total: int = 20 * GB) -> None:
        self.free, self.total, self.asked = free, total, list[Path]()

    def __call__(self, path: Path) -> tuple[int, int, int]:
        self.asked.append(path)
        return self.total, self.total - self.free, self.free


def test_status_is_unhealthy_with_less_than_the_margin_free(
    db: sqlite_utils.Database, db_path: Path
) -> None:
    now = datetime.now(UTC)
    set_state(db, LAST_SWEEP, now.isoformat(timespec="seconds"))  # the sweep is fine
    settings = Settings(db_path=db_path)
    full = Disk(free=0)
    report = collect_status(db, settings, now, disk_usage=full)
    assert not report.healthy
    assert report.problem is not None and "is full: 0.0 MB free of 20.0 GB" in report.problem
    assert full.asked and {p for p in full.asked} == {db_path.resolve().parent}
    text = render_status(report)
    assert text.startswith("health: UNHEALTHY: the disk of ")
    assert "disk: 0.00 GB free of 20.0 GB (0%)" in text
    assert json.loads(status_json(report))["disk_free_bytes"] == 0

    almost = collect_status(db, settings, now, disk_usage=Disk(DISK_MIN_FREE - 1))
    assert not almost.healthy
    roomy = collect_status(db, settings, now, disk_usage=Disk(DISK_MIN_FREE))
    assert roomy.healthy and roomy.problem is None
    assert render_status(roomy).startswith("health: ok")


def test_a_stale_sweep_and_a_full_disk_are_both_named(
    db: sqlite_utils.Database, db_path: Path
) -> None:
    ok, problem = health(db, datetime.now(UTC), db_path=db_path, disk_usage=Disk(0))
    assert not ok and problem is not None
    assert "the delivery sweep has not run yet; the disk of" in problem


def test_an_unreadable_disk_is_unhealthy_not_a_crash(
    db: sqlite_utils.Database, db_path: Path
) -> None:
    def broken(path: Path) -> tuple[int, int, int]:
        raise PermissionError(13, "Permission denied")

    now = datetime.now(UTC)
    set_state(db, LAST_SWEEP, now.isoformat(timespec="seconds"))
    report = collect_status(db, Settings(db_path=db_path), now, disk_usage=broken)
    assert not report.healthy and "cannot see the free space" in str(report.problem)
    assert report.disk_free_bytes is None
    assert "disk: free space unknown" in render_status(report)


async def test_health_endpoint_turns_503_when_the_disk_fills(
    db: sqlite_utils.Database, db_path: Path
) -> None:
    usage = Disk(free=10 * GB)
    set_state(db, LAST_SWEEP, datetime.now(UTC).isoformat())
    server = await serve_health(db, "127.0.0.1", 0, db_path=db_path, disk_usage=usage)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200
            usage.free = 4_000_000  # the disk fills while the service runs
            full = await http.get(f"http://127.0.0.1:{port}/health")
    finally:
        server.close()
    assert full.status_code == 503
    assert full.json()["healthy"] is False and "4.0 MB free" in full.json()["problem"]


def test_status_command_shows_the_free_space(tmp_path: Path) -> None:
    """The real disk, through the command: the line is there (this disk is not full)."""
    result = paperboy("status", env={}, cwd=tmp_path)
    assert result.returncode == 1  # the sweep never ran here
    assert "GB free of" in result.stdout and "disk of" not in result.stdout
