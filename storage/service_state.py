"""What the running service last did, as key → value (ISO times): the health check and
`paperboy status` read it."""

from __future__ import annotations

import sqlite_utils

from storage.papers import utc_now

LAST_SWEEP = "last_sweep_utc"
LAST_BACKUP = "last_backup"


def set_state(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO service_state (key, value, updated_utc) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET "
        "value = excluded.value, updated_utc = excluded.updated_utc",
        [key, value, utc_now()],
    )


def get_state(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM service_state WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None
