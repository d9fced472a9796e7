"""The full-text aggregate: which papers were read (from where, or why not) and their
passages, searchable with FTS5."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.papers import fts_query, utc_now
from storage.sql import in_chunks, write_transaction


@dataclass(frozen=True)
class Passage:
    paper_id: str
    n: int
    section: str
    anchor: str | None
    page: int | None
    text: str


@dataclass(frozen=True)
class FullText:
    paper_id: str
    source: str  # 'html', 'pdf', or 'none' (could not be read: see error)
    url: str | None
    passages: int
    error: str | None
    read_utc: str


def store_full_text(
    db: sqlite_utils.Database,
    paper_id: str,
    source: str,
    passages: Sequence[Passage],
    *,
    url: str | None = None,
    error: str | None = None,
    read_by: int | None = None,
) -> None:
    """Replace what is stored for `paper_id` by this reading, in one transaction."""
    with write_transaction(db):
        db.execute("DELETE FROM passages WHERE paper_id = ?", [paper_id])
        key = paper_key(paper_id)
        db.conn.executemany(
            "INSERT INTO passages (paper_id, n, section, anchor, page, text, paper_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(paper_id, p.n, p.section, p.anchor, p.page, p.text, key) for p in passages],
        )
        db.execute(
            """INSERT OR REPLACE INTO fulltexts
               (paper_id, source, url, passages, error, read_by, read_utc)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [paper_id, source, url, len(passages), error, read_by, utc_now()],
        )


def paper_key(paper_id: str) -> str:
    """'2501.11120' -> 'k2501x11120': one token for the FTS5 tokenizer, which splits on
    punctuation."""
    return "k" + "".join(ch if ch.isalnum() else "x" for ch in paper_id)


def forget_full_text(db: sqlite_utils.Database, paper_id: str) -> None:
    """Drop what is stored of a paper's full text, so the next question reads it again."""
    with write_transaction(db):
        db.execute("DELETE FROM passages WHERE paper_id = ?", [paper_id])
        db.execute("DELETE FROM fulltexts WHERE paper_id = ?", [paper_id])


def full_text_status(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, FullText]:
    found: dict[str, FullText] = {}
    for chunk, marks in in_chunks(list(ids)):
        rows = db.execute(
            f"""SELECT paper_id, source, url, passages, error, read_utc FROM fulltexts
                WHERE paper_id IN ({marks})""",
            chunk,
        )
        found.update({row[0]: FullText(*row) for row in rows})
    return found


def reads_since(db: sqlite_utils.Database, chat_id: int, since_utc: str) -> int:
    """Papers this chat's questions caused to be read (fetched) since `since_utc`."""
    row = db.execute(
        "SELECT count(*) FROM fulltexts WHERE read_by = ? AND read_utc >= ?", [chat_id, since_utc]
    ).fetchone()
    return int(row[0])


def best_passages(
    db: sqlite_utils.Database, paper_id: str, words: str, *, limit: int = 3
) -> list[Passage]:
    """The paper's passages that match `words` best (BM25 over section + text; any word may
    match, more matches rank higher). Callers leave out the words every passage has."""
    query = fts_query(words, any_term=True)
    if query is None:
        return []
    rows = db.execute(
        """SELECT p.paper_id, p.n, p.section, p.anchor, p.page, p.text
           FROM passages_fts f JOIN passages p ON p.rowid = f.rowid
           WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts, 0.0, 3.0, 1.0) LIMIT ?""",
        [f"paper_key : {paper_key(paper_id)} AND ({query})", limit],
    )
    return [Passage(*row) for row in rows]


def passages_of(db: sqlite_utils.Database, paper_id: str) -> list[Passage]:
    rows = db.execute(
        "SELECT paper_id, n, section, anchor, page, text FROM passages WHERE paper_id = ? "
        "ORDER BY n",
        [paper_id],
    )
    return [Passage(*row) for row in rows]
