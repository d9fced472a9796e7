"""Opening the SQLite database: pragmas that every connection needs, then pending migrations."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations

BUSY_TIMEOUT_MS = 5000  # the service: its loop must not wait long on another writer
# Command-line runs are their own process: waiting for another writer (ten `paperboy
# ingest` of 3,000 papers at once) is better than failing with "database is locked".
CLI_BUSY_TIMEOUT_MS = 120_000
# What a failing database raises, named here so callers outside storage need no sqlite3.
DatabaseError = sqlite3.DatabaseError


def open_db(
    path: Path | str, *, migrate: bool = True, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with WAL, foreign keys and a busy timeout.

    `path` may be ":memory:" for tests. Pending migrations are applied unless `migrate` is False,
    one process at a time (two first runs on a new file must not both create its tables).
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(Path(path))
        # WAL lets the CLI read while the bot writes; it persists in the file once set.
        db.execute("PRAGMA journal_mode=WAL")
    else:
        db = sqlite_utils.Database(memory=True)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # NORMAL is durable across application crashes in WAL mode; only power loss can drop a commit.
    db.execute("PRAGMA synchronous=NORMAL")
    if migrate and str(path) != ":memory:":
        with _held(Path(f"{path}.migrate.lock")):
            migrations.apply(db)
    elif migrate:
        migrations.apply(db)
    return db


@contextmanager
def _held(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `lock_path`, waiting for it."""
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def schema_version(db: sqlite_utils.Database) -> list[str]:
    """Names of the applied migrations, oldest first."""
    return [m.name for m in migrations.applied(db)]


class DatabaseInUse(RuntimeError):
    """Another `paperboy run` (or `send-due`) already works on this database."""


@contextmanager
def exclusive_use(path: Path | str) -> Iterator[None]:
    """Hold an advisory lock beside the database for as long as the service runs, so two
    services never send from one outbox. Released by the OS if the process dies."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise DatabaseInUse(
                f"another paperboy process is already running on {path} (pid {holder}); "
                "stop it first, or point PAPERBOY_DB_PATH elsewhere"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
