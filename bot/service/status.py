"""How the deployment is doing: `paperboy status`, and the health check (an HTTP endpoint
for Docker or a supervisor) that turns unhealthy when the delivery sweep stops running."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.llm import start_of_utc_day
from storage.deliveries import status_counts
from storage.llm_calls import usage_since
from storage.papers import last_ingests
from storage.service_state import LAST_BACKUP, LAST_SWEEP, get_state

log = logging.getLogger(__name__)

SWEEP_STALE = timedelta(minutes=5)  # the sweep runs every minute


@dataclass(frozen=True)
class Status:
    ingests: list[dict[str, object]]
    last_sweep_utc: str | None
    deliveries: dict[str, int]
    llm_calls_today: int
    llm_tokens_today: int
    llm_tokens_left_today: int
    last_backup: str | None
    database_bytes: int
    healthy: bool
    problem: str | None


def collect_status(db: sqlite_utils.Database, settings: Settings, now: datetime) -> Status:
    usage = usage_since(db, start_of_utc_day())
    used = usage.tokens_in + usage.tokens_out
    healthy, problem = health(db, now)
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
        healthy=healthy,
        problem=problem,
    )


def health(db: sqlite_utils.Database, now: datetime) -> tuple[bool, str | None]:
    """Healthy while the delivery sweep ran within the last 5 minutes."""
    last = get_state(db, LAST_SWEEP)
    if last is None:
        return False, "the delivery sweep has not run yet"
    age = now - datetime.fromisoformat(last)
    if age > SWEEP_STALE:
        return False, f"the delivery sweep last ran {int(age.total_seconds() // 60)} min ago"
    return True, None


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
    counts = ", ".join(f"{n} {s}" for s, n in sorted(status.deliveries.items())) or "none yet"
    lines.append(f"deliveries: {counts}")
    lines.append(
        f"LLM today: {status.llm_calls_today} calls, {status.llm_tokens_today} tokens, "
        f"{status.llm_tokens_left_today} left in the daily budget"
    )
    lines.append(f"last backup: {status.last_backup or 'never'}")
    lines.append(f"database: {status.database_bytes / 1e6:.1f} MB")
    return "\n".join(lines)


def status_json(status: Status) -> str:
    return json.dumps(asdict(status), indent=1)


def _database_bytes(path: Path) -> int:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return sum(p.stat().st_size for p in files if p.exists())


READ_DEADLINE_S = 5.0
MAX_HEADER_LINES = 100


async def serve_health(db: sqlite_utils.Database, host: str, port: int) -> asyncio.Server:
    """A minimal HTTP endpoint: GET /health → 200 or 503 with a JSON body. Runs on the
    bot's loop and reads the same connection (sqlite3 connections are single-thread)."""

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
                healthy, problem = health(db, datetime.now(UTC))
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
