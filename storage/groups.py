"""Groups as readers: a Telegram group's row (a users row of kind 'group' keyed by its
negative chat id, plus where its digests go), its members' votes, and its life (added,
removed, upgraded to a supergroup under a new id, forgotten 30 days after removal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.papers import utc_now
from storage.sql import in_chunks, write_transaction
from storage.users import delete_user


@dataclass(frozen=True)
class Group:
    chat_id: int
    title: str | None
    type: str  # 'group' or 'supergroup'
    forum: bool
    thread_id: int | None  # the forum topic digests go to (None: General, or no topics)
    placed: bool  # an admin chose where digests go
    removed: bool  # the bot is no longer in the group


def ensure_group(
    db: sqlite_utils.Database,
    chat_id: int,
    title: str | None = None,
    type_: str = "group",
    forum: bool = False,
) -> Group:
    """The group for `chat_id`, created on first contact; its title, type and whether it
    has topics are refreshed from what Telegram says now."""
    now = utc_now()
    with write_transaction(db):
        db.execute(
            """INSERT INTO users (chat_id, first_name, kind, created_utc) VALUES (?, ?, 'group', ?)
               ON CONFLICT (chat_id) DO UPDATE SET kind = 'group',
                 first_name = coalesce(excluded.first_name, first_name)""",
            [chat_id, title, now],
        )
        db.execute(
            """INSERT INTO group_chats (chat_id, type, forum, added_utc) VALUES (?, ?, ?, ?)
               ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, forum = excluded.forum""",
            [chat_id, type_, int(forum), now],
        )
    group = get_group(db, chat_id)
    assert group is not None
    return group


def get_group(db: sqlite_utils.Database, chat_id: int) -> Group | None:
    row = db.execute(
        """SELECT g.chat_id, u.first_name, g.type, g.forum, g.thread_id, g.placed_utc,
                  g.removed_utc
           FROM group_chats g JOIN users u ON u.chat_id = g.chat_id WHERE g.chat_id = ?""",
        [chat_id],
    ).fetchone()
    if row is None:
        return None
    chat, title, type_, forum, thread, placed, removed = row
    return Group(chat, title, type_, bool(forum), thread, placed is not None, removed is not None)


def digest_thread(db: sqlite_utils.Database, chat_id: int) -> int | None:
    """The forum topic this chat's digests go to (None: a private chat, a group without
    topics, or the General topic)."""
    row = db.execute("SELECT thread_id FROM group_chats WHERE chat_id = ?", [chat_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def place_digests(db: sqlite_utils.Database, chat_id: int, thread_id: int | None) -> None:
    """An admin chose where the group's digests go: this topic (None: General)."""
    db.execute(
        "UPDATE group_chats SET thread_id = ?, placed_utc = ? WHERE chat_id = ?",
        [thread_id, utc_now(), chat_id],
    )


def bot_added(db: sqlite_utils.Database, chat_id: int) -> None:
    """The bot is (back) in the group: digests may go out again, nothing is due for deletion."""
    with write_transaction(db):
        db.execute("UPDATE users SET blocked = 0 WHERE chat_id = ?", [chat_id])
        db.execute("UPDATE group_chats SET removed_utc = NULL WHERE chat_id = ?", [chat_id])


def bot_removed(db: sqlite_utils.Database, chat_id: int) -> None:
    """The bot left or was removed: no delivery is attempted any more (blocked), and the
    group's data is deleted after 30 days unless the bot is added back before."""
    with write_transaction(db):
        db.execute("UPDATE users SET blocked = 1 WHERE chat_id = ?", [chat_id])
        db.execute(
            "UPDATE group_chats SET removed_utc = coalesce(removed_utc, ?) WHERE chat_id = ?",
            [utc_now(), chat_id],
        )


def purge_removed(db: sqlite_utils.Database, removed_before_utc: str) -> int:
    """Delete every group the bot was removed from before `removed_before_utc`, with all
    its rows (as /forget does); returns how many."""
    rows = db.execute(
        "SELECT chat_id FROM group_chats WHERE removed_utc IS NOT NULL AND removed_utc < ?",
        [removed_before_utc],
    ).fetchall()
    for (chat_id,) in rows:
        delete_user(db, chat_id)
    return len(rows)


def cast_vote(
    db: sqlite_utils.Database, chat_id: int, paper_id: str, member_id: int, value: int
) -> int:
    """A member's 👍 (+1) or 👎 (-1) on a paper of the group's digest: the same press again
    withdraws it, the other one changes it. The group's own feedback row for the paper
    follows the net sign of all its members' votes (none when they cancel out). Returns
    the member's vote now (0: withdrawn)."""
    if value not in (-1, 1):
        raise ValueError("a vote is +1 or -1")
    now = utc_now()
    with write_transaction(db):
        row = db.execute(
            "SELECT value FROM group_votes WHERE chat_id = ? AND paper_id = ? AND member_id = ?",
            [chat_id, paper_id, member_id],
        ).fetchone()
        if row is not None and row[0] == value:
            db.execute(
                "DELETE FROM group_votes WHERE chat_id = ? AND paper_id = ? AND member_id = ?",
                [chat_id, paper_id, member_id],
            )
            now_value = 0
        else:
            db.execute(
                """INSERT INTO group_votes (chat_id, paper_id, member_id, value, created_utc)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, paper_id, member_id)
                   DO UPDATE SET value = excluded.value, created_utc = excluded.created_utc""",
                [chat_id, paper_id, member_id, value, now],
            )
            now_value = value
        _sync_feedback(db, chat_id, paper_id, now)
    return now_value


def _sync_feedback(db: sqlite_utils.Database, chat_id: int, paper_id: str, now: str) -> None:
    net = db.execute(
        "SELECT coalesce(sum(value), 0) FROM group_votes WHERE chat_id = ? AND paper_id = ?",
        [chat_id, paper_id],
    ).fetchone()[0]
    if net == 0:
        db.execute("DELETE FROM feedback WHERE chat_id = ? AND paper_id = ?", [chat_id, paper_id])
        return
    db.execute(
        """INSERT INTO feedback (chat_id, paper_id, value, created_utc) VALUES (?, ?, ?, ?)
           ON CONFLICT (chat_id, paper_id) DO UPDATE SET value = excluded.value,
             created_utc = CASE WHEN feedback.value = excluded.value THEN feedback.created_utc
                                ELSE excluded.created_utc END""",
        [chat_id, paper_id, 1 if net > 0 else -1, now],
    )


def vote_tallies(
    db: sqlite_utils.Database, chat_id: int, paper_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """paper id -> (👍, 👎) in this group, for the papers given (0, 0 when none)."""
    tallies = {pid: (0, 0) for pid in paper_ids}
    for chunk, marks in in_chunks(list(dict.fromkeys(paper_ids))):
        rows = db.execute(
            f"""SELECT paper_id, coalesce(sum(value > 0), 0), coalesce(sum(value < 0), 0)
                FROM group_votes WHERE chat_id = ? AND paper_id IN ({marks})
                GROUP BY paper_id""",
            [chat_id, *chunk],
        )
        for pid, up, down in rows:
            tallies[pid] = (int(up), int(down))
    return tallies


def member_vote(db: sqlite_utils.Database, chat_id: int, paper_id: str, member_id: int) -> int:
    """This member's vote on the paper in this group (0: none)."""
    row = db.execute(
        "SELECT value FROM group_votes WHERE chat_id = ? AND paper_id = ? AND member_id = ?",
        [chat_id, paper_id, member_id],
    ).fetchone()
    return int(row[0]) if row else 0


def most_voted(
    db: sqlite_utils.Database, chat_id: int, since_utc: str, limit: int = 5
) -> list[tuple[str, int, int]]:
    """(paper id, 👍, 👎) of the papers the group's members voted on since `since_utc`,
    most liked first (net, then 👍)."""
    rows = db.execute(
        """SELECT paper_id, sum(value > 0) AS up, sum(value < 0) AS down FROM group_votes
           WHERE chat_id = ? AND created_utc >= ? GROUP BY paper_id
           ORDER BY up - down DESC, up DESC, paper_id LIMIT ?""",
        [chat_id, since_utc, limit],
    )
    return [(pid, int(up), int(down)) for pid, up, down in rows]


def forget_member(db: sqlite_utils.Database, chat_id: int, member_id: int) -> int:
    """A member left the group: their votes stay counted, without their identity."""
    return db.execute(
        "UPDATE group_votes SET member_id = NULL WHERE chat_id = ? AND member_id = ?",
        [chat_id, member_id],
    ).rowcount


def move_chat(
    db: sqlite_utils.Database, old_id: int, new_id: int, type_: str = "supergroup"
) -> bool:
    """A group upgraded to a supergroup under `new_id`: every row of the old id (settings,
    interests, votes, outbox, history, inbox) moves to the new one, in one transaction.
    Whatever the new id already had (a command sent there before the move was heard of)
    gives way. False when there is nothing to move (already moved, or never known)."""
    if old_id == new_id:
        return False
    with write_transaction(db):
        if db.execute("SELECT 1 FROM users WHERE chat_id = ?", [old_id]).fetchone() is None:
            return False
        db.execute("DELETE FROM users WHERE chat_id = ?", [new_id])
        db.execute("DELETE FROM inbox WHERE chat_id = ?", [new_id])
        # Parent and children are renamed one table at a time: foreign keys are checked at
        # commit instead (the pragma ends with this transaction).
        db.execute("PRAGMA defer_foreign_keys = ON")
        for table in _tables_with_chat_id(db):
            db.execute(f"UPDATE [{table}] SET chat_id = ? WHERE chat_id = ?", [new_id, old_id])
        db.execute("UPDATE fulltexts SET read_by = ? WHERE read_by = ?", [new_id, old_id])
        db.execute("UPDATE group_chats SET type = ? WHERE chat_id = ?", [type_, new_id])
    return True


def _tables_with_chat_id(db: sqlite_utils.Database) -> list[str]:
    names = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return [
        name
        for name in names
        if any(column[1] == "chat_id" for column in db.execute(f"PRAGMA table_info([{name}])"))
    ]


def group_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many groups the bot serves: all it knows, removed from, paused."""
    row = db.execute(
        """SELECT count(*), coalesce(sum(g.removed_utc IS NOT NULL), 0),
                  coalesce(sum(u.paused), 0)
           FROM group_chats g JOIN users u ON u.chat_id = g.chat_id"""
    ).fetchone()
    return {"groups": int(row[0]), "removed": int(row[1]), "paused": int(row[2])}
