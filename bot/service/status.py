"""How the deployment is doing: `paperboy status`, and the health check (an HTTP endpoint
for Docker or a supervisor) that turns unhealthy when the delivery sweep stops running or
the database's disk is (nearly) full."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.delivery.outbox import describe_counts
from bot.llm import start_of_utc_day
from storage.deliveries import status_counts
from storage.llm_calls import usage_since
from storage.papers import last_ingests
from storage.service_state import LAST_BACKUP, LAST_SWEEP, get_state

log = logging.getLogger(__name__)

SWEEP_STALE = timedelta(minutes=5)  # the sweep runs every minute
# Below this much free space on the database's filesystem, SQLite's next transaction (its
# journal, the WAL growing) may fail with "database or disk is full": a fixed margin, not a
# share of the disk (1 % of a 2 TB disk is 20 GB, plenty; of a 1 GB volume, nothing).
DISK_MIN_FREE = 50_000_000

# shutil.disk_usage's shape: (total, used, free) in bytes. Tests pass a stand-in.
DiskUsage = Callable[[Path], tuple[int, int, int]]


@dataclass(frozen=True)
class Status:
    ingests: list[dict[str, object]]
    last_sweep_utc: str | None
    deliveries: dict[str, dict[str, int]]  # the outbox: {kind: {status: count}}
    llm_calls_today: int
    llm_tokens_today: int
    llm_tokens_left_today: int
    last_backup: str | None
    database_bytes: int
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    healthy: bool
    problem: str | None


def collect_status(
    db: sqlite_utils.Database,
    settings: Settings,
    now: datetime,
    *,
    disk_usage: DiskUsage = shutil.disk_usage,
) -> Status:
    usage = usage_since(db, start_of_utc_day())
    used = usage.tokens_in + usage.tokens_out
    healthy, problem = health(db, now, db_path=settings.db_path, disk_usage=disk_usage)
    disk = _disk_space(settings.db_path, disk_usage)
    return Status(
        ingests=[
            {"source": s, "day": d, "papers": n, "last_seen_utc": seen}
            for s, d, n, seen in last_ingests(db)
        ],
        last_sweep_utc=get_state(db, LAST_SWEEP),
        deliveries=status_counts(db),
        llm_calls_today=usage.calls,
        llm_tokens_today=used,
        llm_tokens_left_today=max(0, settings.llm_daily_tokens - used),
        last_backup=get_state(db, LAST_BACKUP),
        database_bytes=_database_bytes(settings.db_path),
        disk_free_bytes=disk[1] if isinstance(disk, tuple) else None,
        disk_total_bytes=disk[0] if isinstance(disk, tuple) else None,
        healthy=healthy,
        problem=problem,
    )


def health(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    db_path: Path | None = None,
    disk_usage: DiskUsage = shutil.disk_usage,
) -> tuple[bool, str | None]:
    """Healthy while the delivery sweep ran within the last 5 minutes and (given the
    database's path) its filesystem has DISK_MIN_FREE bytes free."""
    problems = [p for p in (_sweep_problem(db, now), _disk_problem(db_path, disk_usage)) if p]
    return not problems, "; ".join(problems) or None


def _sweep_problem(db: sqlite_utils.Database, now: datetime) -> str | None:
    last = get_state(db, LAST_SWEEP)
    if last is None:
        return "the delivery sweep has not run yet"
    age = now - datetime.fromisoformat(last)
    if age > SWEEP_STALE:
        return f"the delivery sweep last ran {int(age.total_seconds() // 60)} min ago"
    return None


def _disk_problem(db_path: Path | None, disk_usage: DiskUsage) -> str | None:
    if db_path is None:
        return None
    disk = _disk_space(db_path, disk_usage)
    if isinstance(disk, str):
        return disk
    total, free = disk
    if free < DISK_MIN_FREE:
        return (
            f"the disk of {_folder(db_path)} is full: {free / 1e6:.1f} MB free of "
            f"{total / 1e9:.1f} GB (at least {DISK_MIN_FREE / 1e6:.0f} MB needed)"
        )
    return None


def _disk_space(db_path: Path, disk_usage: DiskUsage) -> tuple[int, int] | str:
    """(total, free) bytes of the filesystem holding the database, or why it is unknown."""
    folder = _folder(db_path)
    try:
        total, _, free = disk_usage(folder)
    except OSError as exc:
        return f"cannot see the free space of {folder}: {exc.strerror or exc}"
    return total, free


def _folder(db_path: Path) -> Path:
    return Path(db_path).resolve().parent


def render_status(status: Status) -> str:
    lines = [f"health: {'ok' if status.healthy else 'UNHEALTHY: ' + str(status.problem)}"]
    if not status.ingests:
        lines.append("ingest: nothing stored yet (paperboy ingest)")
    for i in status.ingests:
        lines.append(
            f"ingest {i['source']}: day {i['day']}, {i['papers']} papers, "
            f"last seen {i['last_seen_utc']}"
        )
    lines.append(f"last delivery sweep: {status.last_sweep_utc or 'never'}")
    lines.append(f"outbox: {describe_counts(status.deliveries) or 'none yet'}")
    lines.append(
        f"LLM today: {status.llm_calls_today} calls, {status.llm_tokens_today} tokens, "
        f"{status.llm_tokens_left_today} left in the daily budget"
    )
    lines.append(f"last backup: {status.last_backup or 'never'}")
    lines.append(f"database: {status.database_bytes / 1e6:.1f} MB")
    free, total = status.disk_free_bytes, status.disk_total_bytes
    if free is None or not total:
        lines.append("disk: free space unknown")
    else:
        lines.append(f"disk: {free / 1e9:.2f} GB free of {total / 1e9:.1f} GB ({free / total:.0%})")
    return "\n".join(lines)


def status_json(status: Status) -> str:
    return json.dumps(asdict(status), indent=1)


def _database_bytes(path: Path) -> int:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return sum(p.stat().st_size for p in files if p.exists())


READ_DEADLINE_S = 5.0
MAX_HEADER_LINES = 100


async def serve_health(
    db: sqlite_utils.Database,
    host: str,
    port: int,
    *,
    db_path: Path | None = None,
    disk_usage: DiskUsage = shutil.disk_usage,
) -> asyncio.Server:
    """A minimal HTTP endpoint: GET /health → 200 or 503 with a JSON body. Runs on the
    bot's loop and reads the same connection (sqlite3 connections are single-thread).
    With `db_path`, a (nearly) full disk under the database is unhealthy too."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                # One deadline for the whole request: headers trickled a few seconds apart
                # must not hold a connection open for ever.
                async with asyncio.timeout(READ_DEADLINE_S):
                    request = await reader.readline()
                    for _ in range(MAX_HEADER_LINES):
                        if not (await reader.readline()).strip():
                            break  # headers: nothing in them matters here
            except ValueError:  # a line past the stream's 64 KB limit
                request = b""
            parts = request.decode("latin-1").split()
            body: dict[str, object]
            if not parts:
                code, body = 400, {"error": "a request line of at most 64 KB, please"}
            elif (
                len(parts) < 2
                or parts[0] not in ("GET", "HEAD")
                or parts[1].split("?")[0] != "/health"
            ):
                code, body = 404, {"error": "GET /health"}
            else:
                healthy, problem = health(
                    db, datetime.now(UTC), db_path=db_path, disk_usage=disk_usage
                )
                code, body = (200 if healthy else 503), {"healthy": healthy, "problem": problem}
            payload = json.dumps(body).encode()
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}[
                code
            ]
            writer.write(
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError) as exc:
            log.debug("health check connection: %s", exc)
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
