"""The library aggregate: papers a reader brought (their own bibliography), one row each."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlite_utils

from storage.papers import Paper, utc_now
from storage.sql import StorageFull, full_disk, write_transaction

MAX_LIBRARY = 2000  # papers one reader may keep; an import past it is refused whole


@dataclass(frozen=True)
class LibraryPaper:
    key: str  # arXiv id without version, 'doi:10.…', or 'title:<normalised title>'
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = field(default_factory=tuple)
    year: str | None = None

    def as_paper(self) -> Paper:
        """As the ranker sees papers (the key stands in for the id)."""
        return Paper(id=self.key, title=self.title, abstract=self.abstract, authors=self.authors)


class LibraryFull(ValueError):
    """The import would take the reader's library past MAX_LIBRARY; nothing was stored."""


def add_to_library(
    db: sqlite_utils.Database, chat_id: int, papers: Sequence[LibraryPaper]
) -> tuple[int, int]:
    """Store `papers` for `chat_id` in one transaction; returns (added, already there)."""
    have = set(library_keys(db, chat_id))
    new = list({p.key: p for p in papers if p.key not in have}.values())
    if len(have) + len(new) > MAX_LIBRARY:
        raise LibraryFull(f"a library holds at most {MAX_LIBRARY} papers")
    now = utc_now()
    try:
        with write_transaction(db):
            db.conn.executemany(
                """INSERT INTO library (chat_id, key, title, abstract, authors, year, added_utc)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [
                    (chat_id, p.key, p.title, p.abstract, json.dumps(list(p.authors)), p.year, now)
                    for p in new
                ],
            )
    except sqlite3.OperationalError as exc:
        if full_disk(exc):
            raise StorageFull("the database's disk is full; nothing was stored") from exc
        raise
    return len(new), len(papers) - len(new)


def library_keys(db: sqlite_utils.Database, chat_id: int) -> list[str]:
    rows = db.execute("SELECT key FROM library WHERE chat_id = ? ORDER BY added_utc", [chat_id])
    return [row[0] for row in rows]


def list_library(
    db: sqlite_utils.Database, chat_id: int, limit: int = MAX_LIBRARY
) -> list[LibraryPaper]:
    """The reader's library, most recently added first."""
    rows = db.execute(
        """SELECT key, title, abstract, authors, year FROM library WHERE chat_id = ?
           ORDER BY added_utc DESC, rowid DESC LIMIT ?""",
        [chat_id, limit],
    )
    return [
        LibraryPaper(key, title, abstract, tuple(json.loads(authors)), year)
        for key, title, abstract, authors, year in rows
    ]


def remove_from_library(db: sqlite_utils.Database, chat_id: int, key: str) -> bool:
    cursor = db.execute("DELETE FROM library WHERE chat_id = ? AND key = ?", [chat_id, key])
    return cursor.rowcount > 0


def clear_library(db: sqlite_utils.Database, chat_id: int) -> int:
    return db.execute("DELETE FROM library WHERE chat_id = ?", [chat_id]).rowcount
