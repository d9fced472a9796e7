"""The papers aggregate: paper records, which day/source listed them, and full-text search."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from storage.sql import in_chunks, write_transaction


@dataclass(frozen=True)
class Links:
    arxiv: str | None = None
    pdf: str | None = None
    hf: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Paper:
    """One paper, normalised from whichever source listed it."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    published_utc: str | None = None
    upvotes: int = 0
    links: Links = field(default_factory=Links)
    keywords: tuple[str, ...] = ()
    version: str | None = None
    ai_summary: str | None = None
    categories: tuple[str, ...] = ()  # arXiv categories, the primary one first
    comments: str | None = None  # arXiv's comments field ("12 pages, accepted at …")


@dataclass(frozen=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


# Columns compared to decide whether a re-listed paper changed.
_CONTENT_COLUMNS = (
    "version",
    "title",
    "abstract",
    "authors",
    "keywords",
    "published_utc",
    "upvotes",
    "arxiv_url",
    "pdf_url",
    "hf_url",
    "code_url",
    "ai_summary",
    "categories",
    "comments",
)
# The paper's own text: taken only from a version at least as new as the stored one.
_VERSIONED_COLUMNS = ("version", "title", "abstract", "authors", "published_utc")


def version_number(version: str | None) -> int:
    """'v3' -> 3; no version (or an odd one) -> 0, which any real version supersedes."""
    if version and version[:1] in "vV" and version[1:].isdigit():
        return int(version[1:])
    return 0


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_row(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": json.dumps(list(paper.authors), ensure_ascii=False),
        "keywords": json.dumps(list(paper.keywords), ensure_ascii=False),
        "published_utc": paper.published_utc,
        "upvotes": paper.upvotes,
        "arxiv_url": paper.links.arxiv,
        "pdf_url": paper.links.pdf,
        "hf_url": paper.links.hf,
        "code_url": paper.links.code,
        "ai_summary": paper.ai_summary,
        "categories": json.dumps(list(paper.categories)),
        "comments": paper.comments,
    }


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """One paper as two sources describe it. Each source fills what it knows (HF: upvotes,
    ai_summary, keywords; arXiv: categories, comments); a value a source leaves empty never
    erases what another stored, and an older version never replaces a newer text."""
    newer = version_number(new["version"]) >= version_number(old["version"])
    merged = {}
    for column in _CONTENT_COLUMNS:
        value = new[column]
        if value in (None, "", "[]", 0) or (column in _VERSIONED_COLUMNS and not newer):
            value = old[column]
        merged[column] = value
    return merged


def _from_row(row: dict[str, Any]) -> Paper:
    return Paper(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        keywords=tuple(json.loads(row["keywords"])),
        published_utc=row["published_utc"],
        upvotes=row["upvotes"],
        links=Links(row["arxiv_url"], row["pdf_url"], row["hf_url"], row["code_url"]),
        ai_summary=row["ai_summary"],
        categories=tuple(json.loads(row["categories"])),
        comments=row["comments"],
    )


def upsert_papers(
    db: sqlite_utils.Database,
    papers: Sequence[Paper],
    *,
    day: str,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> UpsertCounts:
    """Insert or refresh `papers` and record them as listed by `source` on `day`, atomically."""
    now = utc_now()
    new = updated = unchanged = 0
    ids = [p.id for p in papers]
    with write_transaction(db):
        existing = _rows_by_id(db, ids)  # read inside the transaction: no other writer between
        for position, paper in enumerate(papers):
            row = _to_row(paper)
            old = existing.get(paper.id)
            if old is None:
                db.table("papers").insert({**row, "first_seen_utc": now, "updated_utc": now})
                new += 1
            elif _refresh(db, old, row, now):
                updated += 1
            else:
                unchanged += 1
            db.execute(
                """INSERT INTO listings (day, source, paper_id, position, seen_utc)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (day, source, paper_id) DO UPDATE SET
                     position = excluded.position, seen_utc = excluded.seen_utc""",
                [day, source, paper.id, position, now],
            )
            if progress is not None:
                progress(1)
    return UpsertCounts(new=new, updated=updated, unchanged=unchanged)


def refresh_papers(db: sqlite_utils.Database, papers: Sequence[Paper]) -> UpsertCounts:
    """Update papers already stored (e.g. arXiv's replacements: a new version) without
    listing them for any day; papers not stored are left out (`new` stays 0)."""
    now = utc_now()
    updated = unchanged = 0
    with write_transaction(db):
        existing = _rows_by_id(db, [p.id for p in papers])
        for paper in papers:
            old = existing.get(paper.id)
            if old is None:
                continue
            if _refresh(db, old, _to_row(paper), now):
                updated += 1
            else:
                unchanged += 1
    return UpsertCounts(updated=updated, unchanged=unchanged)


def _refresh(db: sqlite_utils.Database, old: dict[str, Any], row: dict[str, Any], now: str) -> bool:
    merged = _merge(old, row)
    if all(old[column] == merged[column] for column in _CONTENT_COLUMNS):
        return False
    db.table("papers").update(old["id"], {**merged, "updated_utc": now})
    return True


def _rows_by_id(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for chunk, marks in in_chunks(ids):
        for row in db.query(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
            rows[row["id"]] = row
    return rows


def get_paper(db: sqlite_utils.Database, paper_id: str) -> Paper | None:
    rows = list(db.query("SELECT * FROM papers WHERE id = ?", [paper_id]))
    return _from_row(rows[0]) if rows else None


def latest_day(db: sqlite_utils.Database) -> str | None:
    row = next(iter(db.query("SELECT max(day) AS day FROM listings")), None)
    return row["day"] if row else None


def papers_for_day(db: sqlite_utils.Database, day: str) -> list[Paper]:
    """Papers listed on `day` by any source, most upvoted first."""
    rows = db.query(
        """SELECT p.* FROM papers p
           JOIN (SELECT paper_id, min(position) AS position FROM listings
                 WHERE day = ? GROUP BY paper_id) l ON l.paper_id = p.id
           ORDER BY p.upvotes DESC, l.position""",
        [day],
    )
    return [_from_row(row) for row in rows]


def day_stamp(db: sqlite_utils.Database, day: str) -> tuple[int, str | None, str | None]:
    """What changes when a day's candidates change: its listings (count, last seen) and
    the last update of any paper (a new version arrives without a new listing)."""
    count, seen = db.execute(
        "SELECT count(*), max(seen_utc) FROM listings WHERE day = ?", [day]
    ).fetchone()
    (updated,) = db.execute("SELECT max(updated_utc) FROM papers").fetchone()
    return count, seen, updated


def sources_for_day(db: sqlite_utils.Database, day: str) -> list[str]:
    rows = db.execute("SELECT DISTINCT source FROM listings WHERE day = ? ORDER BY source", [day])
    return [row[0] for row in rows]


def listing_sources(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, list[str]]:
    """Every source that has listed each paper (any day), e.g. {'2501.00001': ['arxiv', 'hf']}."""
    found: dict[str, list[str]] = {}
    for chunk, marks in in_chunks(list(ids)):
        rows = db.execute(
            f"""SELECT DISTINCT paper_id, source FROM listings WHERE paper_id IN ({marks})
                ORDER BY paper_id, source""",
            chunk,
        )
        for paper_id, source in rows:
            found.setdefault(paper_id, []).append(source)
    return found


def count_papers(db: sqlite_utils.Database) -> int:
    return db.table("papers").count


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, *, any_term: bool = False) -> str | None:
    """Turn user text into a safe FTS5 query: every word quoted, so operators and punctuation
    in what people type are searched for, never interpreted. None when nothing searchable."""
    words = _WORD.findall(text)
    if not words:
        return None
    joiner = " OR " if any_term else " "
    return joiner.join(f'"{word}"' for word in words)


def search_papers(
    db: sqlite_utils.Database, query: str, *, limit: int = 20, any_term: bool = False
) -> list[Paper]:
    """Full-text search over title, abstract, authors and keywords, best BM25 match first.
    All words must match unless `any_term` (then papers matching more words rank higher)."""
    match = fts_query(query, any_term=any_term)
    if match is None:
        return []
    rows = db.query(
        """SELECT p.* FROM papers_fts f JOIN papers p ON p.rowid = f.rowid
           WHERE papers_fts MATCH ? ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0, 3.0) LIMIT ?""",
        [match, limit],
    )
    return [_from_row(row) for row in rows]


def all_papers(db: sqlite_utils.Database, ids: Iterable[str] | None = None) -> list[Paper]:
    if ids is None:
        return [_from_row(row) for row in db.query("SELECT * FROM papers ORDER BY id")]
    found = _rows_by_id(db, list(ids))
    return [_from_row(row) for row in found.values()]


def last_ingests(db: sqlite_utils.Database) -> list[tuple[str, str, int, str]]:
    """Per source: (source, its latest listed day, papers listed that day, last seen UTC)."""
    rows = db.execute(
        """SELECT source, day, count(*), max(seen_utc) FROM listings
           WHERE (source, day) IN (SELECT source, max(day) FROM listings GROUP BY source)
           GROUP BY source, day ORDER BY source"""
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def listing_days(db: sqlite_utils.Database, until: str, count: int) -> list[str]:
    """The last `count` days with listings up to `until` (inclusive), oldest first."""
    rows = db.execute(
        "SELECT DISTINCT day FROM listings WHERE day <= ? ORDER BY day DESC LIMIT ?",
        [until, count],
    )
    return sorted(row[0] for row in rows)
