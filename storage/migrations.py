"""Versioned, append-only schema migrations (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one. Each runs in its own transaction.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("paperboy")

_INITIAL = [
    """CREATE TABLE papers (
        id TEXT PRIMARY KEY,           -- arXiv id without version, or 'pbs-…' for our own ids
        version TEXT,                  -- arXiv version suffix ('v2'), kept apart from the key
        title TEXT NOT NULL,
        abstract TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',      -- JSON list of names
        keywords TEXT NOT NULL DEFAULT '[]',     -- JSON list
        published_utc TEXT,
        upvotes INTEGER NOT NULL DEFAULT 0,
        arxiv_url TEXT, pdf_url TEXT, hf_url TEXT, code_url TEXT,
        ai_summary TEXT,               -- the source's own summary, used as an LLM fallback
        first_seen_utc TEXT NOT NULL,
        updated_utc TEXT NOT NULL
    )""",
    """CREATE TABLE listings (
        day TEXT NOT NULL,             -- YYYY-MM-DD the source listed the paper for
        source TEXT NOT NULL,
        paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        seen_utc TEXT NOT NULL,
        PRIMARY KEY (day, source, paper_id)
    )""",
    "CREATE INDEX listings_paper ON listings(paper_id)",
    """CREATE TABLE users (
        chat_id INTEGER PRIMARY KEY,
        first_name TEXT,
        timezone TEXT NOT NULL DEFAULT 'UTC',
        digest_time TEXT NOT NULL DEFAULT '08:00',
        papers_per_digest INTEGER NOT NULL DEFAULT 5,
        threshold REAL,
        language TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        created_utc TEXT NOT NULL
    )""",
    """CREATE TABLE interests (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('topic', 'author', 'exclude', 'category')),
        text TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        UNIQUE (chat_id, kind, text)
    )""",
    """CREATE TABLE summaries (
        paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT 'en',
        kind TEXT NOT NULL CHECK (kind IN ('llm', 'source', 'extractive')),
        text TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        PRIMARY KEY (paper_id, model, prompt_version, language)
    )""",
    """CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
        local_day TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_utc TEXT NOT NULL,
        sent_utc TEXT,
        UNIQUE (chat_id, local_day)
    )""",
    """CREATE TABLE delivery_items (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        paper_id TEXT NOT NULL REFERENCES papers(id),
        score REAL NOT NULL,
        reason TEXT NOT NULL,
        message_index INTEGER NOT NULL DEFAULT 0,
        telegram_message_id INTEGER,
        PRIMARY KEY (delivery_id, paper_id)
    )""",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        telegram_message_id INTEGER,
        reply_to_message_id INTEGER,
        cited TEXT NOT NULL DEFAULT '[]',        -- JSON list of paper ids
        created_utc TEXT NOT NULL
    )""",
    "CREATE INDEX messages_chat ON messages(chat_id, id)",
    """CREATE TABLE feedback (
        chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
        paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created_utc TEXT NOT NULL,
        PRIMARY KEY (chat_id, paper_id)
    )""",
    """CREATE TABLE saved (
        chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
        paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        created_utc TEXT NOT NULL,
        PRIMARY KEY (chat_id, paper_id)
    )""",
    """CREATE TABLE llm_calls (
        id INTEGER PRIMARY KEY,
        purpose TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_version TEXT,
        tokens_in INTEGER NOT NULL DEFAULT 0,
        tokens_out INTEGER NOT NULL DEFAULT 0,
        latency_ms INTEGER NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL,
        error TEXT,
        created_utc TEXT NOT NULL
    )""",
    "CREATE INDEX llm_calls_created ON llm_calls(created_utc)",
]


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    for statement in _INITIAL:
        db.execute(statement)


@migrations()
def m002_papers_fts(db: sqlite_utils.Database) -> None:
    # Separate from m001 so databases created before search existed gain a populated index.
    db.table("papers").enable_fts(
        ["title", "abstract", "authors", "keywords"],
        fts_version="FTS5",
        tokenize="porter unicode61 remove_diacritics 2",
        create_triggers=True,
        replace=True,
    )


@migrations()
def m003_embeddings(db: sqlite_utils.Database) -> None:
    # Vectors as float32 blobs: no SQLite extension needed, brute-force cosine in numpy.
    db.execute(
        """CREATE TABLE embeddings (
            model TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('paper', 'text')),
            key TEXT NOT NULL,             -- paper id, or the embedded text itself
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            created_utc TEXT NOT NULL,
            PRIMARY KEY (model, kind, key)
        )"""
    )


@migrations()
def m004_delivery_retries(db: sqlite_utils.Database) -> None:
    # Failed sends wait before their next attempt; an empty digest remembers why it is empty.
    db.execute("ALTER TABLE deliveries ADD COLUMN next_attempt_utc TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN empty_reason TEXT")
    db.execute("CREATE INDEX deliveries_status ON deliveries(status, next_attempt_utc)")


@migrations()
def m005_embeddings_by_text_hash(db: sqlite_utils.Database) -> None:
    # Vectors are now keyed by sha1 of the exact text embedded (kind 'text'), so a new
    # version of an abstract gets a new vector. The old rows are a cache: drop them.
    db.execute("DELETE FROM embeddings")


@migrations()
def m006_interest_expansions(db: sqlite_utils.Database) -> None:
    # What the LLM added to an interest text (synonyms, acronyms, method names): written
    # once per (text, model, prompt version), shared by everyone who typed that text.
    db.execute(
        """CREATE TABLE interest_expansions (
            text TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            expansion TEXT NOT NULL,       -- '' when the model had nothing to add
            created_utc TEXT NOT NULL,
            PRIMARY KEY (text, model, prompt_version)
        )"""
    )


@migrations()
def m007_service_state(db: sqlite_utils.Database) -> None:
    # What the running service last did (last delivery sweep, last backup): for
    # `paperboy status` and the health check.
    db.execute(
        """CREATE TABLE service_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_utc TEXT NOT NULL
        )"""
    )


@migrations()
def m008_inbox(db: sqlite_utils.Database) -> None:
    # Telegram updates, written before Telegram is told they arrived: what a crash
    # interrupted is handled at the next start instead of being lost.
    db.execute(
        """CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            payload TEXT NOT NULL,         -- the update as Telegram sent it (JSON)
            received_utc TEXT NOT NULL,
            handled_utc TEXT
        )"""
    )
    db.execute("CREATE INDEX inbox_unhandled ON inbox(update_id) WHERE handled_utc IS NULL")


@migrations()
def m009_arxiv_fields(db: sqlite_utils.Database) -> None:
    # arXiv's side of a paper: its categories (primary first) and the authors' comments.
    # A paper listed by several sources is one row; each source fills what it knows.
    db.execute("ALTER TABLE papers ADD COLUMN categories TEXT NOT NULL DEFAULT '[]'")
    db.execute("ALTER TABLE papers ADD COLUMN comments TEXT")


@migrations()
def m010_delivery_listing_day(db: sqlite_utils.Database) -> None:
    # The listing day a digest was built from: when no source has published since a
    # user's last digest (arXiv's weekends), the next one says so instead of re-ranking
    # old papers as if they were new.
    db.execute("ALTER TABLE deliveries ADD COLUMN listing_day TEXT")


@migrations()
def m011_full_text(db: sqlite_utils.Database) -> None:
    # Papers' full text, read on demand when a question needs it and kept: a paper is read
    # once (per version) and serves every user.
    db.execute(
        """CREATE TABLE fulltexts (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            source TEXT NOT NULL CHECK (source IN ('html', 'pdf', 'none')),
            url TEXT,
            passages INTEGER NOT NULL DEFAULT 0,
            error TEXT,                    -- why it could not be read ('none')
            read_by INTEGER,               -- the chat whose question caused the read
            read_utc TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX fulltexts_read_by ON fulltexts(read_by, read_utc)")
    db.execute(
        """CREATE TABLE passages (
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            section TEXT NOT NULL DEFAULT '',   -- '4.2 Datasets'; '' when the layout has none
            anchor TEXT,                        -- HTML id of the section ('S4.SS2')
            page INTEGER,                       -- PDF page, from 1
            text TEXT NOT NULL,
            paper_key TEXT NOT NULL,            -- the paper id as one search token
            PRIMARY KEY (paper_id, n)
        )"""
    )
    # paper_key is indexed so a search within one paper is an AND with a short doclist,
    # whatever the size of the library.
    db.table("passages").enable_fts(
        ["paper_key", "section", "text"],
        fts_version="FTS5",
        tokenize="porter unicode61 remove_diacritics 2",
        create_triggers=True,
    )


@migrations()
def m012_personal_notes(db: sqlite_utils.Database) -> None:
    # What the LLM wrote for one reader's digest: an opening for the digest and a "why this
    # matters to you" line per paper, kept with the outbox so a re-send shows the same text.
    db.execute("ALTER TABLE deliveries ADD COLUMN opening TEXT")
    db.execute("ALTER TABLE delivery_items ADD COLUMN why TEXT")
    # Validated personal notes, shared by every reader whose interests and candidates are
    # the same (the key hashes both with model, prompt version and language; no user id).
    db.execute(
        """CREATE TABLE personal_notes (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            language TEXT NOT NULL,
            note TEXT NOT NULL,            -- JSON: {"opening": …, "picks": [{id, why, interest}]}
            created_utc TEXT NOT NULL
        )"""
    )


@migrations()
def m013_outbox_snapshot_and_claim(db: sqlite_utils.Database) -> None:
    # What a faithful re-render of a digest needs, kept with it: a digest re-sent after the
    # next ingest shows its own day's sources and count, not the newer day's.
    db.execute("ALTER TABLE deliveries ADD COLUMN sources TEXT")  # JSON list of source names
    db.execute("ALTER TABLE deliveries ADD COLUMN total_papers INTEGER")
    # A sender claims a pending digest before sending it, until this time: /digest and the
    # sweep never both send one; a sender that died frees it when the claim runs out.
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_until_utc TEXT")


@migrations()
def m014_library(db: sqlite_utils.Database) -> None:
    # Papers a reader brought (BibTeX, RIS, CSL-JSON, arXiv ids): their library, which
    # teaches the ranking like 👍 does. Kept whole here (title, abstract), since most of
    # them are not among the papers Paperboy ingested.
    db.execute(
        """CREATE TABLE library (
            chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
            key TEXT NOT NULL,              -- arXiv id without version, 'doi:…', or 'title:…'
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',   -- JSON list
            year TEXT,
            added_utc TEXT NOT NULL,
            PRIMARY KEY (chat_id, key)
        )"""
    )


@migrations()
def m015_inbox_chat(db: sqlite_utils.Database) -> None:
    # Whose update each inbox row is, so /forget can delete a reader's raw messages too.
    db.execute("ALTER TABLE inbox ADD COLUMN chat_id INTEGER")
    db.execute(
        """UPDATE inbox SET chat_id = coalesce(
               json_extract(payload, '$.message.chat.id'),
               json_extract(payload, '$.edited_message.chat.id'),
               json_extract(payload, '$.callback_query.message.chat.id'),
               json_extract(payload, '$.callback_query.from.id'),
               json_extract(payload, '$.my_chat_member.chat.id'))"""
    )
    db.execute("CREATE INDEX inbox_chat ON inbox(chat_id)")


@migrations()
def m016_weekly_recaps(db: sqlite_utils.Database) -> None:
    # The opt-in weekly picture: on which local weekday (0 Monday … 6 Sunday; NULL: off),
    # at the reader's digest time.
    db.execute("ALTER TABLE users ADD COLUMN weekly_day INTEGER")
    # Its outbox, like the digests': one row per reader and local day, written before
    # sending; each part's Telegram id stored the moment it is sent, so a crash re-sends
    # only what did not go out, and a claim keeps two senders off one row.
    db.execute(
        """CREATE TABLE weekly_recaps (
            chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
            local_day TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | failed
            photo_message_id INTEGER,
            text_message_id INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            claimed_until_utc TEXT,
            created_utc TEXT NOT NULL,
            sent_utc TEXT,
            PRIMARY KEY (chat_id, local_day)
        )"""
    )


@migrations()
def m017_inbox_replays(db: sqlite_utils.Database) -> None:
    # How many starts found an update unfinished: one replay is a crash's due, a second means
    # the update itself stops the bot, and it is given up instead of replayed again.
    db.execute("ALTER TABLE inbox ADD COLUMN replays INTEGER NOT NULL DEFAULT 0")


@migrations()
def m018_groups(db: sqlite_utils.Database) -> None:
    # A Telegram group (or forum supergroup) is a reader of its own: a users row keyed by its
    # (negative) chat id, so its interests, time, settings and outbox are the readers' own
    # tables; `kind` tells it apart from a private reader.
    db.execute(
        "ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'private' "
        "CHECK (kind IN ('private', 'group'))"
    )
    # What only a group has: the forum topic its digests go to, and whether the bot is in it.
    db.execute(
        """CREATE TABLE group_chats (
            chat_id INTEGER PRIMARY KEY REFERENCES users(chat_id) ON DELETE CASCADE,
            type TEXT NOT NULL DEFAULT 'group',   -- 'group' or 'supergroup'
            forum INTEGER NOT NULL DEFAULT 0,     -- a supergroup with topics
            thread_id INTEGER,                    -- the topic digests go to (NULL: General)
            placed_utc TEXT,                      -- when an admin chose it (NULL: not yet)
            added_utc TEXT NOT NULL,
            removed_utc TEXT                      -- the bot was removed; data kept 30 days
        )"""
    )
    # Members' 👍/👎 under a group's digests: one per member and paper. A member who leaves
    # keeps their vote counted and loses their identity (member_id NULL). The net sign per
    # paper is the group's own feedback row; a member's private feedback never sees these.
    db.execute(
        """CREATE TABLE group_votes (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            member_id INTEGER,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            created_utc TEXT NOT NULL,
            UNIQUE (chat_id, paper_id, member_id)
        )"""
    )
    db.execute("CREATE INDEX group_votes_member ON group_votes(chat_id, member_id)")


@migrations()
def m019_reader_models(db: sqlite_utils.Database) -> None:
    # Each reader's fitted model (bot/ranking/reader_model.py) as JSON: facets, how their 👎
    # judged each, their own cut-off; `key` says what it was fitted from, so a rating or an
    # import makes it stale and it is refitted.
    db.execute(
        """CREATE TABLE reader_models (
            chat_id INTEGER PRIMARY KEY REFERENCES users(chat_id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            model TEXT NOT NULL,
            fitted_utc TEXT NOT NULL
        )"""
    )


_OUTBOX_COLUMNS = (
    "id, chat_id, local_day, status, attempts, error, created_utc, sent_utc, next_attempt_utc, "
    "empty_reason, listing_day, opening, sources, total_papers, claimed_until_utc"
)


@migrations()
def m020_one_outbox(db: sqlite_utils.Database) -> None:
    # One outbox for every message that must arrive: `deliveries` gains a kind (a digest, a
    # weekly recap) and is unique per chat, day and kind; each part's Telegram id, once
    # accepted, is a row of outbox_parts. The weekly recaps' own table moves in. SQLite
    # cannot change a table's UNIQUE in place, and dropping the old table cascades to its
    # items (foreign keys are on inside a migration), so the items are kept aside and put back.
    db.execute("CREATE TEMP TABLE kept_items AS SELECT * FROM delivery_items")
    db.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES users(chat_id) ON DELETE CASCADE,
            local_day TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_utc TEXT NOT NULL,
            sent_utc TEXT,
            next_attempt_utc TEXT,
            empty_reason TEXT,
            listing_day TEXT,
            opening TEXT,
            sources TEXT,
            total_papers INTEGER,
            claimed_until_utc TEXT,
            kind TEXT NOT NULL DEFAULT 'digest' CHECK (kind IN ('digest', 'weekly')),
            UNIQUE (chat_id, local_day, kind)
        )"""
    )
    db.execute(f"INSERT INTO outbox ({_OUTBOX_COLUMNS}) SELECT {_OUTBOX_COLUMNS} FROM deliveries")
    db.execute("DROP TABLE deliveries")
    db.execute("ALTER TABLE outbox RENAME TO deliveries")
    db.execute("INSERT INTO delivery_items SELECT * FROM kept_items")
    db.execute("DROP TABLE kept_items")
    db.execute("CREATE INDEX deliveries_status ON deliveries(status, next_attempt_utc)")
    db.execute(
        """CREATE TABLE outbox_parts (
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
            part TEXT NOT NULL,              -- which message of the entry ('photo', 'text', …)
            message_id INTEGER NOT NULL,     -- Telegram's id, stored the moment it is accepted
            PRIMARY KEY (delivery_id, part)
        )"""
    )
    # A recap in flight keeps its claim, attempts and the parts already out.
    rows = db.execute(
        """SELECT chat_id, local_day, status, attempts, error, claimed_until_utc, created_utc,
                  sent_utc, photo_message_id, text_message_id FROM weekly_recaps"""
    ).fetchall()
    for *fields, photo, text in rows:
        cursor = db.execute(
            """INSERT INTO deliveries (kind, chat_id, local_day, status, attempts, error,
                   claimed_until_utc, created_utc, sent_utc)
               VALUES ('weekly', ?, ?, ?, ?, ?, ?, ?, ?)""",
            fields,
        )
        for part, message_id in (("photo", photo), ("text", text)):
            if message_id is not None:
                db.execute(
                    "INSERT INTO outbox_parts VALUES (?, ?, ?)",
                    [cursor.lastrowid, part, message_id],
                )
    db.execute("DROP TABLE weekly_recaps")


@migrations()
def m021_pause_until(db: sqlite_utils.Database) -> None:
    # "pause for a week": the reader's local date their digests come back on (NULL: paused
    # until /resume).
    db.execute("ALTER TABLE users ADD COLUMN paused_until TEXT")
