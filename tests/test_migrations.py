import sqlite3
from pathlib import Path

import pytest

from storage import open_db
from storage.db import schema_version
from storage.migrations import migrations
from storage.papers import search_papers

TABLES = {
    "papers",
    "papers_fts",
    "listings",
    "users",
    "interests",
    "summaries",
    "deliveries",
    "delivery_items",
    "outbox_parts",
    "messages",
    "feedback",
    "saved",
    "llm_calls",
}


def test_fresh_database_has_every_table_and_pragmas(db_path: Path) -> None:
    db = open_db(db_path)
    assert set(db.table_names()) >= TABLES
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_migrating_twice_is_a_no_op(db_path: Path) -> None:
    first = open_db(db_path)
    first.table("users").insert({"chat_id": 1, "created_utc": "2025-01-01T00:00:00+00:00"})
    applied = schema_version(first)
    first.close()
    second = open_db(db_path)
    assert schema_version(second) == applied
    assert second.table("users").count == 1
    migrations.apply(second)
    assert schema_version(second) == applied


def test_old_schema_upgrades_and_indexes_existing_papers(db_path: Path) -> None:
    old = open_db(db_path, migrate=False)
    migrations.apply(old, stop_before="m002_papers_fts")
    assert "papers_fts" not in old.table_names()
    old.table("papers").insert(
        {
            "id": "2401.00001",
            "title": "Speculative decoding at scale",
            "first_seen_utc": "x",
            "updated_utc": "x",
        }
    )
    old.close()
    upgraded = open_db(db_path)
    assert schema_version(upgraded)[1:3] == ["m002_papers_fts", "m003_embeddings"]
    assert [p.id for p in search_papers(upgraded, "speculative")] == ["2401.00001"]


def test_foreign_keys_are_enforced(db_path: Path) -> None:
    db = open_db(db_path)
    with pytest.raises(sqlite3.IntegrityError):
        db.table("interests").insert(
            {"chat_id": 999, "kind": "topic", "text": "x", "created_utc": "x"}
        )


def test_digests_written_before_m013_still_render_and_send(db_path: Path) -> None:
    from storage.deliveries import create_delivery, pending_deliveries

    old = open_db(db_path, migrate=False)
    migrations.apply(old, stop_before="m013_outbox_snapshot_and_claim")
    old.table("users").insert({"chat_id": 1, "created_utc": "2025-01-01T00:00:00+00:00"})
    old.execute(
        "INSERT INTO deliveries (chat_id, local_day, status, created_utc, listing_day) "
        "VALUES (1, '2025-03-03', 'pending', 'x', '2025-03-03')"
    )
    old.conn.commit()
    old.close()
    upgraded = open_db(db_path)
    (row,) = pending_deliveries(upgraded, "2025-03-03T09:00:00")
    assert row.listing_day == "2025-03-03" and row.sources is None and row.total_papers is None
    create_delivery(upgraded, 1, "2025-03-04", [], sources=("hf",), total_papers=3)
    assert {d.local_day for d in pending_deliveries(upgraded, "2025-03-05T00:00:00")} == {
        "2025-03-03",
        "2025-03-04",
    }


def test_m020_moves_digests_and_weekly_recaps_into_one_outbox(db_path: Path) -> None:
    """A database from before the one outbox: a digest with its item (its message id
    recorded), and a weekly recap whose picture went out before a crash, still claimed.
    After the upgrade both are entries of one outbox and nothing of them is lost."""
    from storage.deliveries import delivery_items, pending_deliveries, sent_parts, write_entry

    old = open_db(db_path, migrate=False)
    migrations.apply(old, stop_before="m020_one_outbox")
    old.table("users").insert({"chat_id": 1, "created_utc": "2025-01-01T00:00:00+00:00"})
    old.table("papers").insert(
        {"id": "2401.00001", "title": "T", "first_seen_utc": "x", "updated_utc": "x"}
    )
    old.execute(
        "INSERT INTO deliveries (chat_id, local_day, status, created_utc) "
        "VALUES (1, '2025-03-03', 'sent', 'x')"
    )
    old.execute(
        "INSERT INTO delivery_items (delivery_id, position, paper_id, score, reason, "
        "telegram_message_id) VALUES (1, 1, '2401.00001', 0.5, 'r', 77)"
    )
    old.execute(
        "INSERT INTO weekly_recaps (chat_id, local_day, photo_message_id, attempts, "
        "claimed_until_utc, created_utc) VALUES (1, '2025-03-03', 78, 1, '2025-03-03T09:10', 'x')"
    )
    old.conn.commit()
    old.close()

    db = open_db(db_path)
    assert "weekly_recaps" not in db.table_names()
    (item,) = delivery_items(db, 1)
    assert item.telegram_message_id == 77
    kinds = dict(db.execute("SELECT kind, status FROM deliveries").fetchall())
    assert kinds == {"digest": "sent", "weekly": "pending"}
    assert pending_deliveries(db, "2025-03-03T09:05") == []  # still held by its claim
    (recap,) = pending_deliveries(db, "2025-03-03T09:11")
    assert (recap.kind, recap.attempts, sent_parts(db, recap.id)) == ("weekly", 1, {"photo": 78})
    # One entry per chat, day and kind.
    assert not write_entry(db, "weekly", 1, "2025-03-03")
    assert write_entry(db, "weekly", 1, "2025-03-10")
