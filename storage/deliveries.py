"""The outbox (the deliveries table): every message that must arrive, one row per chat,
local day and kind (a digest, a weekly recap), with its claim, attempts, retry time and the
Telegram id of each part once accepted; for a digest, which papers went in which message."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now
from storage.sql import write_transaction

KINDS = ("digest", "weekly")


class DigestExists(RuntimeError):
    """This chat already has its digest for that local day (another sender wrote it)."""


@dataclass(frozen=True)
class OutboxItem:
    paper_id: str
    score: float
    reason: str
    message_index: int = 0
    why: str | None = None  # the LLM's "why this matters to you", when it wrote one


def create_delivery(
    db: sqlite_utils.Database,
    chat_id: int,
    local_day: str,
    items: Sequence[OutboxItem],
    *,
    empty_reason: str | None = None,
    status: str = "pending",
    listing_day: str | None = None,
    opening: str | None = None,
    sources: Sequence[str] = (),
    total_papers: int | None = None,
    claimed_until_utc: str | None = None,
) -> int:
    """Write a digest to the outbox with its items in one transaction; returns its id.
    The (chat, local day) pair is unique: a second digest for the same day raises
    DigestExists. `listing_day`, `sources` and `total_papers` describe the day it was chosen
    from (what a re-render shows); `opening` is the LLM's opening line for this reader;
    `claimed_until_utc` writes it already claimed by the sender that is about to send it."""
    try:
        with write_transaction(db):
            cursor = db.execute(
                "INSERT INTO deliveries (chat_id, local_day, status, empty_reason, created_utc, "
                "listing_day, opening, sources, total_papers, claimed_until_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    chat_id,
                    local_day,
                    status,
                    empty_reason,
                    utc_now(),
                    listing_day,
                    opening,
                    json.dumps(list(sources)),
                    total_papers,
                    claimed_until_utc,
                ],
            )
            _insert_items(db, int(cursor.lastrowid or 0), items)
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" not in str(exc):
            raise
        raise DigestExists(f"chat {chat_id} already has its digest for {local_day}") from None
    return int(cursor.lastrowid or 0)


def _insert_items(db: sqlite_utils.Database, delivery_id: int, items: Sequence[OutboxItem]) -> None:
    db.conn.executemany(
        """INSERT INTO delivery_items
           (delivery_id, position, paper_id, score, reason, message_index, why)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            (delivery_id, n, i.paper_id, i.score, i.reason, i.message_index, i.why)
            for n, i in enumerate(items, 1)
        ],
    )


def sent_paper_ids(db: sqlite_utils.Database, chat_id: int, limit: int = 200) -> list[str]:
    """Papers this chat was sent, most recent digest first."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND d.status = 'sent'
           ORDER BY d.local_day DESC, i.position LIMIT ?""",
        [chat_id, limit],
    )
    return [row[0] for row in rows]


def papers_in_message(
    db: sqlite_utils.Database, chat_id: int, telegram_message_id: int
) -> list[str]:
    """Papers of one digest message of this chat, in digest order ([] if not a digest)."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND i.telegram_message_id = ? ORDER BY i.position""",
        [chat_id, telegram_message_id],
    )
    return [row[0] for row in rows]


def digest_of_message(
    db: sqlite_utils.Database, chat_id: int, telegram_message_id: int
) -> list[str]:
    """All papers of the digest one of whose messages is `telegram_message_id`, in the
    digest's numbering (paper 1 first), whichever of its messages was replied to."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i WHERE i.delivery_id = (
               SELECT d.id FROM delivery_items j JOIN deliveries d ON d.id = j.delivery_id
               WHERE d.chat_id = ? AND j.telegram_message_id = ? LIMIT 1)
           ORDER BY i.position""",
        [chat_id, telegram_message_id],
    )
    return [row[0] for row in rows]


def latest_digest_papers(db: sqlite_utils.Database, chat_id: int) -> list[str]:
    """The papers of this chat's latest sent digest, in its numbering."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i WHERE i.delivery_id = (
               SELECT id FROM deliveries WHERE chat_id = ? AND status = 'sent'
               AND kind = 'digest' AND empty_reason IS NULL ORDER BY local_day DESC, id DESC
               LIMIT 1)
           ORDER BY i.position""",
        [chat_id],
    )
    return [row[0] for row in rows]


def sent_on_days(
    db: sqlite_utils.Database, chat_id: int, first_day: str = "0000", last_day: str = "9999"
) -> list[tuple[str, str, int]]:
    """(paper id, local day, position) of every paper sent to this chat in a digest for a
    local day in [first_day, last_day], newest first."""
    rows = db.execute(
        """SELECT i.paper_id, d.local_day, i.position FROM delivery_items i
           JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND d.status = 'sent' AND d.empty_reason IS NULL
           AND d.local_day BETWEEN ? AND ? ORDER BY d.local_day DESC, i.position""",
        [chat_id, first_day, last_day],
    )
    return [(row[0], row[1], row[2]) for row in rows]


def latest_sent_items(db: sqlite_utils.Database, chat_id: int) -> tuple[str, list[StoredItem]]:
    """The day and papers (with the reasons they were picked) of this chat's latest sent
    digest; ("", []) before the first."""
    row = db.execute(
        """SELECT id, local_day FROM deliveries WHERE chat_id = ? AND status = 'sent'
           AND kind = 'digest' AND empty_reason IS NULL ORDER BY local_day DESC, id DESC
           LIMIT 1""",
        [chat_id],
    ).fetchone()
    return (row[1], delivery_items(db, row[0])) if row else ("", [])


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    local_day: str
    status: str
    attempts: int
    error: str | None
    empty_reason: str | None = None
    opening: str | None = None
    listing_day: str | None = None  # the day its papers were listed (None: older rows)
    sources: tuple[str, ...] | None = None  # that day's sources (None: older rows)
    total_papers: int | None = None  # how many papers that day had (None: older rows)
    kind: str = "digest"  # or "weekly": the recap

    @classmethod
    def of_row(cls, row: Sequence[object]) -> Delivery:
        # The columns' order, below.
        id_, chat, day, status, attempts, error, empty, opening, listing, total, sources, kind = row
        return cls(
            int(str(id_)),
            int(str(chat)),
            str(day),
            str(status),
            int(str(attempts)),
            None if error is None else str(error),
            None if empty is None else str(empty),
            None if opening is None else str(opening),
            None if listing is None else str(listing),
            None if sources is None else tuple(json.loads(str(sources))),
            None if total is None else int(str(total)),
            str(kind),
        )


_DELIVERY_COLUMNS = (
    "id, chat_id, local_day, status, attempts, error, empty_reason, opening, listing_day, "
    "total_papers, sources, kind"
)


@dataclass(frozen=True)
class StoredItem:
    position: int
    paper_id: str
    score: float
    reason: str
    message_index: int
    telegram_message_id: int | None
    why: str | None = None


def delivery_for_day(db: sqlite_utils.Database, chat_id: int, local_day: str) -> Delivery | None:
    row = db.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
        "WHERE chat_id = ? AND local_day = ? AND kind = 'digest'",
        [chat_id, local_day],
    ).fetchone()
    return Delivery.of_row(row) if row else None


def delivery_by_id(db: sqlite_utils.Database, delivery_id: int) -> Delivery | None:
    row = db.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", [delivery_id]
    ).fetchone()
    return Delivery.of_row(row) if row else None


def last_listing_day(db: sqlite_utils.Database, chat_id: int) -> str | None:
    """The listing day this chat's latest digest was chosen from (None: never recorded)."""
    row = db.execute(
        """SELECT listing_day FROM deliveries WHERE chat_id = ? AND listing_day IS NOT NULL
           AND kind = 'digest'
           ORDER BY local_day DESC LIMIT 1""",
        [chat_id],
    ).fetchone()
    return row[0] if row else None


def pending_deliveries(
    db: sqlite_utils.Database, now_utc: str, kinds: Sequence[str] = KINDS
) -> list[Delivery]:
    """Entries of these kinds waiting to go out (new, interrupted by a crash, or due for a
    retry) that no sender holds a claim on."""
    marks = ",".join("?" * len(kinds))
    rows = db.execute(
        f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending'
            AND kind IN ({marks})
            AND (next_attempt_utc IS NULL OR next_attempt_utc <= ?)
            AND (claimed_until_utc IS NULL OR claimed_until_utc <= ?) ORDER BY id""",
        [*kinds, now_utc, now_utc],
    )
    return [Delivery.of_row(row) for row in rows]


def write_entry(db: sqlite_utils.Database, kind: str, chat_id: int, local_day: str) -> bool:
    """A pending entry whose parts are composed when sent (a weekly recap); False if this
    chat already has one of this kind for `local_day`."""
    cursor = db.execute(
        "INSERT INTO deliveries (kind, chat_id, local_day, status, created_utc) "
        "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
        [kind, chat_id, local_day, utc_now()],
    )
    return cursor.rowcount > 0


def claim_delivery(
    db: sqlite_utils.Database, delivery_id: int, now_utc: str, until_utc: str
) -> bool:
    """Take the right to send a pending digest until `until_utc`; False when another sender
    holds it (or it is no longer pending). One UPDATE, so two senders cannot both win."""
    cursor = db.execute(
        """UPDATE deliveries SET claimed_until_utc = ? WHERE id = ? AND status = 'pending'
           AND (claimed_until_utc IS NULL OR claimed_until_utc <= ?)""",
        [until_utc, delivery_id, now_utc],
    )
    return cursor.rowcount == 1


def release_claims(db: sqlite_utils.Database) -> int:
    """Free every claim: at service start, whoever held one died with the last process
    (one service per database), and its unsent messages should go out now."""
    return db.execute(
        "UPDATE deliveries SET claimed_until_utc = NULL WHERE claimed_until_utc IS NOT NULL"
    ).rowcount


def record_failure(
    db: sqlite_utils.Database, delivery_id: int, error: str, *, retry_at_utc: str | None
) -> None:
    """Count a failed attempt: retry at `retry_at_utc`, or give up (status failed) if None."""
    db.execute(
        """UPDATE deliveries SET attempts = attempts + 1, error = ?, next_attempt_utc = ?,
               claimed_until_utc = NULL,
               status = CASE WHEN ? IS NULL THEN 'failed' ELSE status END WHERE id = ?""",
        [error, retry_at_utc, retry_at_utc, delivery_id],
    )


def chats_with_delivery(
    db: sqlite_utils.Database, local_days: Sequence[str]
) -> set[tuple[int, str]]:
    """(chat, local day) pairs that already have a digest, for the days given."""
    marks = ",".join("?" * len(local_days))
    rows = db.execute(
        f"SELECT chat_id, local_day FROM deliveries WHERE kind = 'digest' "
        f"AND local_day IN ({marks})",
        list(local_days),
    )
    return {(chat, day) for chat, day in rows}


def list_deliveries(
    db: sqlite_utils.Database,
    *,
    day: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[tuple[Delivery, int]]:
    """Outbox entries (newest first) with their item counts, optionally filtered."""
    where, params = [], []
    if day:
        where.append("d.local_day = ?")
        params.append(day)
    if status:
        where.append("d.status = ?")
        params.append(status)
    if kind:
        where.append("d.kind = ?")
        params.append(kind)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    columns = ", ".join(f"d.{c.strip()}" for c in _DELIVERY_COLUMNS.split(","))
    rows = db.execute(
        f"""SELECT {columns}, (SELECT count(*) FROM delivery_items i WHERE i.delivery_id = d.id)
            FROM deliveries d {clause} ORDER BY d.id DESC LIMIT ?""",
        [*params, limit],
    )
    return [(Delivery.of_row(row[:-1]), row[-1]) for row in rows]


def delivery_items(db: sqlite_utils.Database, delivery_id: int) -> list[StoredItem]:
    rows = db.execute(
        """SELECT position, paper_id, score, reason, message_index, telegram_message_id, why
           FROM delivery_items WHERE delivery_id = ? ORDER BY position""",
        [delivery_id],
    )
    return [StoredItem(*row) for row in rows]


def set_message_id(
    db: sqlite_utils.Database, delivery_id: int, paper_ids: Sequence[str], message_id: int
) -> None:
    """Remember which Telegram message carried these papers of a digest (right after it is
    sent, so a crash a moment later neither loses nor repeats it)."""
    marks = ",".join("?" * len(paper_ids))
    db.execute(
        f"UPDATE delivery_items SET telegram_message_id = ? "
        f"WHERE delivery_id = ? AND paper_id IN ({marks})",
        [message_id, delivery_id, *paper_ids],
    )


def set_status(
    db: sqlite_utils.Database, delivery_id: int, status: str, error: str | None = None
) -> None:
    sent = utc_now() if status == "sent" else None
    db.execute(
        "UPDATE deliveries SET status = ?, error = ?, sent_utc = coalesce(?, sent_utc), "
        "claimed_until_utc = NULL WHERE id = ?",
        [status, error, sent, delivery_id],
    )


def status_counts(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """{kind: {status: count}} over the whole outbox."""
    counts: dict[str, dict[str, int]] = {}
    for kind, status, count in db.execute(
        "SELECT kind, status, count(*) FROM deliveries GROUP BY kind, status ORDER BY kind"
    ):
        counts.setdefault(kind, {})[status] = count
    return counts


def recent_errors(db: sqlite_utils.Database, limit: int = 3) -> list[tuple[int, str, str, str]]:
    """(entry id, kind, status, error) of the latest entries that failed or are retrying."""
    rows = db.execute(
        "SELECT id, kind, status, error FROM deliveries WHERE error IS NOT NULL "
        "AND status != 'sent' ORDER BY id DESC LIMIT ?",
        [limit],
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def part_sent(
    db: sqlite_utils.Database,
    delivery_id: int,
    part: str,
    message_id: int,
    paper_ids: Sequence[str] = (),
) -> None:
    """Part `part` of an entry was accepted by Telegram as `message_id` (and carried these
    papers of a digest): stored at once, so a crash a moment later neither loses nor
    repeats it."""
    with write_transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO outbox_parts (delivery_id, part, message_id) VALUES (?, ?, ?)",
            [delivery_id, part, message_id],
        )
        if paper_ids:
            set_message_id(db, delivery_id, paper_ids, message_id)


def sent_parts(db: sqlite_utils.Database, delivery_id: int) -> dict[str, int]:
    """{part: Telegram message id} of the entry's parts already accepted."""
    rows = db.execute(
        "SELECT part, message_id FROM outbox_parts WHERE delivery_id = ?", [delivery_id]
    )
    return dict(rows.fetchall())


def sent_between(
    db: sqlite_utils.Database, chat_id: int, first_day: str, last_day: str
) -> list[str]:
    """Papers of the digests sent to this chat for local days in [first_day, last_day],
    newest digest first."""
    rows = db.execute(
        """SELECT i.paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id
           WHERE d.chat_id = ? AND d.status = 'sent' AND d.empty_reason IS NULL
           AND d.local_day BETWEEN ? AND ? ORDER BY d.local_day DESC, i.position""",
        [chat_id, first_day, last_day],
    )
    return list(dict.fromkeys(row[0] for row in rows))
