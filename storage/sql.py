"""Small SQL plumbing shared by the aggregate modules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlite_utils

# SQLite limits bound parameters per statement; 500 keys leave room for the others.
CHUNK = 500


class StorageFull(sqlite3.OperationalError):
    """SQLite could not grow the database: the disk (or its size limit) is full. The write
    was rolled back. Named here so callers outside storage can tell it without sqlite3."""


def full_disk(exc: sqlite3.Error) -> bool:
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL


def in_chunks(keys: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """`keys` in slices small enough for one `IN (...)`, each with its placeholders."""
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        yield chunk, ",".join("?" * len(chunk))


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock up front (BEGIN IMMEDIATE), so a concurrent
    writer waits on the busy timeout instead of failing at once with "database is locked"
    (which a deferred transaction does when it must upgrade from reading to writing).
    Inside another transaction it is a savepoint, like sqlite-utils' atomic()."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.commit()
