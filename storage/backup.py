"""Consistent copies of the database while it is in use, checked before they count."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils


class BackupFailed(RuntimeError):
    """The copy could not be written or did not pass the integrity check; nothing kept."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int


def backup_database(source: sqlite_utils.Database | Path, target: Path) -> Backup:
    """Copy `source` to `target` with SQLite's online backup API (consistent even while the
    bot writes), run `PRAGMA integrity_check` on the copy, and only then move it into place.

    Given a path, the copy reads through a connection of its own, made in the calling
    thread: that is the form to use from a worker thread (a connection may only be used in
    the thread that made it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with sqlite3.connect(partial) as copy:
            if isinstance(source, Path):
                reader = sqlite3.connect(source)
                try:
                    reader.backup(copy)
                finally:
                    reader.close()
            else:
                source.conn.backup(copy)
        with sqlite3.connect(partial) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"could not write {target}: {exc}") from None
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"the copy failed its integrity check: {verdict}")
    partial.replace(target)
    return Backup(target, target.stat().st_size)


def prune_backups(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` files matching `pattern` (names sort by date)."""
    found = sorted(folder.glob(pattern))
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
