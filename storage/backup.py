"""Consistent copies of the database while it is in use, checked before they count."""

from __future__ import annotations

import sqlite3
from contextlib import closing
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
    _check_target(source, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    _remove(partial)
    try:
        with closing(sqlite3.connect(partial)) as copy:
            if isinstance(source, Path):
                with closing(sqlite3.connect(source)) as reader:
                    reader.backup(copy)
            else:
                source.conn.backup(copy)
            # The copy inherits WAL mode; as one self-contained file it needs no -wal/-shm.
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        _remove(partial)
        raise BackupFailed(f"could not write {target}: {exc}") from None
    if verdict != "ok":
        _remove(partial)
        raise BackupFailed(f"the copy failed its integrity check: {verdict}")
    partial.replace(target)
    return Backup(target, target.stat().st_size)


def _check_target(source: sqlite_utils.Database | Path, target: Path) -> None:
    """A backup replaces a regular file or nothing: never a device, a folder, or the
    database it copies."""
    if target.exists() and not target.is_file():
        raise BackupFailed(f"{target} exists and is not a regular file; choose a file path")
    live = (
        source
        if isinstance(source, Path)
        else Path(
            source.conn.execute(
                "SELECT file FROM pragma_database_list WHERE name = 'main'"
            ).fetchone()[0]
            or ""
        )
    )
    if str(live) and target.exists() and live.exists() and target.samefile(live):
        raise BackupFailed(f"{target} is the database itself; choose another path")


def _remove(partial: Path) -> None:
    for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)


def prune_backups(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` files matching `pattern` (names sort by date)."""
    found = sorted(folder.glob(pattern))
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
