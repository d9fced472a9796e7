"""Lab mode: a Telegram group (or forum supergroup) as a reader of its own, end to end
through the fake Bot API: set-up, admins, its digest in its topic, votes, the reading
list, questions by reply or mention, removal, the upgrade to a supergroup, /stats."""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.delivery.telegram_transport import TelegramTransport
from bot.delivery.throttle import PER_GROUP_INTERVAL_S, Throttle
from bot.digests.sweep import Deliverer
from bot.telegram.app import make_bot
from storage import open_db
from storage.deliveries import delivery_items
from storage.groups import get_group, move_chat, purge_removed, vote_tallies
from storage.interests import add_interest, list_interests
from storage.migrations import migrations
from storage.users import ensure_user, get_user, update_user
from tests.fakes.http_server import Reply
from tests.fakes.openai_server import FakeLLM
from tests.fakes.telegram_api import Sent
from tests.telegram_harness import Harness, running_bot

LAB = -1001234  # a supergroup
FORUM = -1007777  # a forum supergroup (topics)
BASIC = -555  # a basic group, upgraded later
ADMIN, ANN, BOB, CY = 77, 88, 99, 111
SUPER: dict[str, Any] = {"chat_type": "supergroup"}


def fast() -> Throttle:
    # Telegram's 3 s per group would make each test minutes long; the spacing itself is
    # tested below.
    return Throttle(per_chat_interval_s=0.01, per_group_interval_s=0.01)


@asynccontextmanager
async def lab(db: sqlite_utils.Database, **kw: Any) -> AsyncIterator[Harness]:
    async with running_bot(db, throttle=fast(), **kw) as bot:
        bot.tg.admins[LAB] = {ADMIN}
        bot.tg.admins[FORUM] = {ADMIN}
        bot.tg.admins[BASIC] = {ADMIN}
        yield bot


async def set_up(
    bot: Harness, chat: int = LAB, topic: str = "mixture of experts inference"
) -> None:
    (added,) = await bot.say(chat, f"/add {topic}", member=ADMIN, **SUPER)
    assert "Added" in added.text


async def group_digest(bot: Harness, chat: int = LAB, **kw: Any) -> list[Sent]:
    return [m for m in await bot.say(chat, "/digest", member=ANN, **SUPER, **kw) if m.buttons()]


async def test_added_to_a_group_posts_one_setup_message(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        bot.tg.bot_added(LAB, chat_type="supergroup", title="MoE lab")
        (setup,) = await bot.tg.until(lambda: bot.tg.messages_to(LAB))
        assert "An admin sets me up" in setup.text and "/add" in setup.text
        await bot.settle()
        assert len(bot.tg.messages_to(LAB)) == 1
        group = get_group(db, LAB)
        assert group is not None and group.title == "MoE lab" and group.type == "supergroup"
        row = db.execute("SELECT kind FROM users WHERE chat_id = ?", [LAB]).fetchone()
        assert row[0] == "group"
        (start,) = await bot.say(LAB, "/start@paperboy_bot", member=ANN, **SUPER)
        assert "An admin sets me up" in start.text


async def test_only_admins_change_the_groups_settings(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        (refused,) = await bot.say(LAB, "/add@paperboy_bot LoRA", member=ANN, **SUPER)
        assert "Only the group's admins" in refused.text and len(refused.text) < 120
        assert list_interests(db, LAB) == []
        await set_up(bot)
        (timed,) = await bot.say(LAB, "/time@paperboy_bot 9:30", member=ADMIN, **SUPER)
        assert "09:30" in timed.text
        (zone,) = await bot.say(LAB, "/timezone Berlin", member=ADMIN, **SUPER)
        (papers,) = await bot.say(LAB, "/settings papers 3", member=ADMIN, **SUPER)
        (no_time,) = await bot.say(LAB, "/time 6:00", member=BOB, **SUPER)
        assert "Only the group's admins" in no_time.text
        (shown,) = await bot.say(LAB, "/time", member=BOB, **SUPER)  # looking is for everyone
        assert "09:30" in shown.text and "Europe/Berlin" in shown.text
        group = get_user(db, LAB)
        assert group is not None and group.digest_time == "09:30" and group.papers_per_digest == 3
        # Stored apart: the admin's and the members' own settings are untouched (none here).
        assert get_user(db, ADMIN) is None and get_user(db, ANN) is None
        assert [i.text for i in list_interests(db, LAB)] == ["mixture of experts inference"]
        # The reply answers the command that asked, in the group.
        asked = bot.tg.user_says(LAB, "/interests", member=BOB, **SUPER)
        await bot.handled(bot.tg.last_update_id)
        listed = bot.tg.messages_to(LAB)[-1]
        assert "mixture of experts inference" in listed.text
        assert listed.params["reply_parameters"]["message_id"] == asked
        # Another bot's command is not ours; an unknown one addressed to us gets one line.
        before = len(bot.tg.messages_to(LAB))
        await bot.say(LAB, "/add@other_bot LoRA", member=ADMIN, expect=0, **SUPER)
        await bot.say(LAB, "/frobnicate", member=ADMIN, expect=0, **SUPER)
        assert len(bot.tg.messages_to(LAB)) == before
        (unknown,) = await bot.say(LAB, "/frobnicate@paperboy_bot", member=ADMIN, **SUPER)
        assert "I don't know /frobnicate" in unknown.text
        # The admins were asked once, then remembered.
        assert len(bot.tg.calls("getChatAdministrators")) == 1
        assert zone and papers


async def test_the_groups_digest_goes_to_its_topic_at_its_time(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        forum: dict[str, Any] = {"chat_type": "supergroup", "thread_id": 42}
        (added, placed) = await bot.say(FORUM, "/add mixture of experts", member=ADMIN, **forum)
        assert "Added" in added.text and "this topic" in placed.text
        group = get_group(db, FORUM)
        assert group is not None and group.forum and group.thread_id == 42
        (moved,) = await bot.say(FORUM, "/here", member=ADMIN, chat_type="supergroup", thread_id=7)
        assert "this topic" in moved.text and int(moved.params["message_thread_id"]) == 7
        (refused,) = await bot.say(FORUM, "/here", member=BOB, chat_type="supergroup", thread_id=9)
        assert "Only the group's admins" in refused.text
        update_user(db, FORUM, digest_time="00:00")
        before = len(bot.tg.messages_to(FORUM))
        telegram = make_bot(bot.conv.settings)
        async with telegram:
            deliverer = Deliverer(bot.conv.desk, TelegramTransport(telegram, fast(), bot.conv.db))
            report = await deliverer.sweep(datetime.now(UTC))
            again = await deliverer.sweep(datetime.now(UTC))
        assert report.sent == 1 and again.sent == 0
        digest = bot.tg.messages_to(FORUM)[before:]
        assert digest and "Your papers for" in digest[0].text
        assert {int(m.params["message_thread_id"]) for m in digest} == {7}
        row = db.execute("SELECT id, status FROM deliveries WHERE chat_id = ?", [FORUM]).fetchone()
        assert row[1] == "sent"
        assert {i.telegram_message_id for i in delivery_items(db, row[0])} <= {
            m.message_id for m in digest
        }


async def test_a_digest_asked_for_in_general_comes_in_general(db: sqlite_utils.Database) -> None:
    """The scheduled digest goes to the topic the admins chose; /digest asked in General is
    answered in General, where the member is reading, not sent off to that topic."""
    async with lab(db) as bot:
        forum: dict[str, Any] = {"chat_type": "supergroup", "thread_id": 42}
        await bot.say(FORUM, "/add mixture of experts", member=ADMIN, **forum, expect=2)
        general = [m for m in await bot.say(FORUM, "/digest", member=BOB, chat_type="supergroup")]
        assert any("Your papers for" in m.text for m in general)
        assert all("message_thread_id" not in m.params for m in general)


async def test_members_vote_once_each_and_the_group_learns(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        await set_up(bot)
        message = (await group_digest(bot))[0]
        up = next(d for _, d in message.buttons() if d.startswith("up|"))
        down = up.replace("up|", "down|")
        paper = up.split("|", 1)[1]
        mid = message.message_id or 1

        async def vote(member: int, data: str) -> str:
            (ack,) = await bot.press(LAB, data, mid, member=member, **SUPER)
            return str(ack.params["text"])

        assert await vote(ANN, up) == "👍 Your vote counts: 👍 1 · 👎 0"
        assert await vote(BOB, up) == "👍 Your vote counts: 👍 2 · 👎 0"
        assert await vote(CY, down) == "👎 Your vote counts: 👍 2 · 👎 1"
        assert await vote(ANN, up) == "Vote withdrawn: 👍 1 · 👎 1"  # the same press again
        assert await vote(ANN, down) == "👎 Your vote counts: 👍 1 · 👎 2"  # changed
        assert vote_tallies(db, LAB, [paper]) == {paper: (1, 2)}
        # The tally is on the message, the same for everyone.
        edit = bot.tg.calls("editMessageReplyMarkup", LAB)[-1]
        labels = [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
        assert labels[:2] == ["1 👍 1", "1 👎 2"] and labels[4:6] == ["2 👍", "2 👎"]
        # The group's model learns the net sign; no member's private model sees a vote.
        feedback = db.execute("SELECT chat_id, paper_id, value FROM feedback").fetchall()
        assert feedback == [(LAB, paper, -1)]
        assert all(get_user(db, m) is None for m in (ANN, BOB, CY))
        await vote(CY, down)  # withdrawn: 1 up, 1 down, the group's feedback goes
        assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
        # The group's week ends with what its members voted on most.
        week = await bot.say(LAB, "/week", member=BOB, **SUPER)
        assert "most voted" in week[-1].text and "👍 1 · 👎 1" in week[-1].text
        # A forged press: no vote.
        (forged,) = await bot.press(LAB, "up|pbs-0000000000", mid, member=BOB, **SUPER)
        assert "no longer have" in forged.params["text"]


async def test_the_reading_list_and_its_export(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        await set_up(bot)
        message = (await group_digest(bot))[0]
        mid = message.message_id or 1
        save = next(d for _, d in message.buttons() if d.startswith("save|"))
        (ack,) = await bot.press(LAB, save, mid, member=BOB, **SUPER)
        assert "reading list" in ack.params["text"]
        (again,) = await bot.press(LAB, save, mid, member=ANN, **SUPER)
        assert again.params["text"] == "Already on the list."
        await bot.press(LAB, save.replace("save|", "up|"), mid, member=ANN, **SUPER)
        (listed,) = await bot.say(LAB, "/list", member=CY, **SUPER)
        assert "reading list</b> (1;" in listed.text and "👍 1 · 👎 0" in listed.text
        assert get_user(db, BOB) is None  # starred for the group, not for Bob
        bot.tg.user_says(LAB, "/export@paperboy_bot", member=CY, **SUPER)
        (doc,) = await bot.tg.until(lambda: bot.tg.calls("sendDocument", LAB))
        assert doc.params["document"]["content"].decode().startswith("@misc{")
        (no,) = await bot.say(LAB, "/list remove 1", member=CY, **SUPER)
        assert "Only the group's admins" in no.text
        (gone,) = await bot.say(LAB, "/list remove 1", member=ADMIN, **SUPER)
        assert "off the reading list" in gone.text
        (empty,) = await bot.say(LAB, "/list", member=CY, **SUPER)
        assert "empty" in empty.text


async def test_questions_by_reply_or_mention_answer_the_asker(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with lab(db, openai_base_url=fake.base_url) as bot:
            await set_up(bot, FORUM)
            topic: dict[str, Any] = {"chat_type": "supergroup", "thread_id": 5}
            (message,) = [
                m for m in await bot.say(FORUM, "/digest", member=ANN, **topic) if m.buttons()
            ][:1]
            assert int(message.params["message_thread_id"]) == 5  # where it was asked for
            asked = bot.tg.user_says(
                FORUM,
                "which of these is the fastest?",
                reply_to=message.message_id,
                member=BOB,
                **topic,
            )
            await bot.handled(bot.tg.last_update_id)
            answer = bot.tg.messages_to(FORUM)[-1]
            assert answer.params["reply_parameters"]["message_id"] == asked
            assert int(answer.params["message_thread_id"]) == 5
            context = fake.payloads[-1]["messages"][-1]["content"]
            assert '<paper n="1">' in context
            calls = len(fake.payloads)
            mention = bot.tg.user_says(
                FORUM,
                "@paperboy_bot how does ExpertFlow reduce expert transfers?",
                member=CY,
                **topic,
            )
            await bot.handled(bot.tg.last_update_id)
            answer = bot.tg.messages_to(FORUM)[-1]
            assert answer.params["reply_parameters"]["message_id"] == mention
            assert "ExpertFlow" in answer.text and len(fake.payloads) > calls
            assert "@paperboy_bot" not in fake.payloads[-1]["messages"][-1]["content"]
            bot.tg.user_says(FORUM, "@paperboy_bot tl;dr of paper 2", member=CY, **topic)
            await bot.handled(bot.tg.last_update_id)
            gist = bot.tg.messages_to(FORUM)[-1].text
            assert "From paper 2 of the group's latest digest" in html.unescape(gist), gist
            # The members' own conversation (privacy mode off) is not the bot's business.
            before = len(bot.tg.messages_to(FORUM))
            await bot.say(FORUM, "lunch at noon?", member=ANN, expect=0, **topic)
            assert len(bot.tg.messages_to(FORUM)) == before


async def test_removed_group_gets_nothing_more_and_is_forgotten_later(
    db: sqlite_utils.Database,
) -> None:
    async with lab(db) as bot:
        await set_up(bot)
        update_user(db, LAB, digest_time="00:00")
        bot.tg.bot_removed(LAB, chat_type="supergroup")
        await bot.settle()
        group = get_group(db, LAB)
        user = get_user(db, LAB)
        assert group is not None and group.removed and user is not None and user.blocked
        sends = len(bot.tg.messages_to(LAB))
        telegram = make_bot(bot.conv.settings)
        async with telegram:
            deliverer = Deliverer(bot.conv.desk, TelegramTransport(telegram, fast(), bot.conv.db))
            report = await deliverer.sweep(datetime.now(UTC))
            assert report.sent == report.failed == report.blocked == 0
            assert len(bot.tg.messages_to(LAB)) == sends  # nothing to a group that left us
            # Added back within 30 days: everything is still there.
            bot.tg.bot_added(LAB, chat_type="supergroup")
            await bot.settle()
            assert list_interests(db, LAB) and not get_group(db, LAB).removed  # type: ignore[union-attr]
            # Removed while its digest goes out: a 403, marked once, never retried.
            bot.tg.blocked_chats.add(LAB)
            report = await deliverer.sweep(datetime.now(UTC))
            assert report.blocked == 1 and get_group(db, LAB).removed  # type: ignore[union-attr]
            later = await deliverer.sweep(datetime.now(UTC) + timedelta(days=2))
            assert later.blocked == later.failed == 0
            await deliverer.sweep(datetime.now(UTC) + timedelta(days=31))
        assert get_user(db, LAB) is None and list_interests(db, LAB) == []


async def test_an_upgraded_group_moves_and_the_send_is_retried_there(
    db: sqlite_utils.Database,
) -> None:
    new_id = -1000555
    async with lab(db) as bot:
        group: dict[str, Any] = {"chat_type": "group"}
        await bot.say(BASIC, "/add mixture of experts", member=ADMIN, **group)
        message = [m for m in await bot.say(BASIC, "/digest", member=ANN, **group) if m.buttons()]
        up = next(d for _, d in message[0].buttons() if d.startswith("up|"))
        await bot.press(BASIC, up, message[0].message_id or 1, member=ANN, chat_type="group")
        update_user(db, BASIC, digest_time="00:00")
        bot.tg.migrated[BASIC] = new_id
        telegram = make_bot(bot.conv.settings)
        async with telegram:
            deliverer = Deliverer(bot.conv.desk, TelegramTransport(telegram, fast(), bot.conv.db))
            report = await deliverer.sweep(datetime.now(UTC) + timedelta(days=1))
        assert report.sent == 1 and bot.tg.messages_to(new_id)
        assert get_user(db, BASIC) is None and [i.text for i in list_interests(db, new_id)]
        assert sum(vote_tallies(db, new_id, [up.split("|")[1]]).values(), ()) == (1, 0)
        assert (
            db.execute(
                "SELECT count(*) FROM deliveries WHERE chat_id = ? AND status = 'sent'", [new_id]
            ).fetchone()[0]
            == 2
        )
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_the_migration_message_moves_the_group(db: sqlite_utils.Database) -> None:
    new_id = -1000556
    async with lab(db) as bot:
        await bot.say(BASIC, "/add LoRA", member=ADMIN, chat_type="group")
        bot.tg.group_event(BASIC, migrate_to_chat_id=new_id)
        await bot.settle()
        assert get_user(db, BASIC) is None
        assert [i.text for i in list_interests(db, new_id)] == ["LoRA"]
        # The new chat's own announcement finds nothing left to move.
        bot.tg.group_event(new_id, "supergroup", migrate_from_chat_id=BASIC)
        await bot.settle()
        assert [i.text for i in list_interests(db, new_id)] == ["LoRA"]
        (listed,) = await bot.say(new_id, "/interests", member=ANN, **SUPER)
        assert "LoRA" in listed.text


async def test_a_member_who_leaves_keeps_their_vote_not_their_name(
    db: sqlite_utils.Database,
) -> None:
    async with lab(db) as bot:
        await set_up(bot)
        message = (await group_digest(bot))[0]
        up = next(d for _, d in message.buttons() if d.startswith("up|"))
        await bot.press(LAB, up, message.message_id or 1, member=ANN, **SUPER)
        left = {"id": ANN, "is_bot": False, "first_name": "Ann"}
        bot.tg.group_event(LAB, "supergroup", left_chat_member=left)
        await bot.settle()
        assert db.execute("SELECT member_id, value FROM group_votes").fetchall() == [(None, 1)]
        assert vote_tallies(db, LAB, [up.split("|")[1]])[up.split("|")[1]] == (1, 0)
        # A member's /forget in their private chat drops their name from the group's votes.
        await bot.press(LAB, up, message.message_id or 1, member=BOB, **SUPER)
        (confirm,) = await bot.say(BOB, "/forget")
        await bot.press(BOB, "forget|yes", confirm.message_id or 1)
        assert db.execute("SELECT member_id FROM group_votes").fetchall() == [(None,), (None,)]
        assert vote_tallies(db, LAB, [up.split("|")[1]])[up.split("|")[1]] == (2, 0)


async def test_forget_is_for_admins(db: sqlite_utils.Database) -> None:
    async with lab(db) as bot:
        await set_up(bot)
        (refused,) = await bot.say(LAB, "/forget", member=ANN, **SUPER)
        assert "Only the group's admins" in refused.text
        (confirm,) = await bot.say(LAB, "/forget", member=ADMIN, **SUPER)
        (no,) = await bot.press(LAB, "forget|yes", confirm.message_id or 1, member=ANN, **SUPER)
        assert "Only the group's admins" in no.params["text"] and get_user(db, LAB)
        await bot.press(LAB, "forget|yes", confirm.message_id or 1, member=ADMIN, **SUPER)
        assert get_user(db, LAB) is None and list_interests(db, LAB) == []


async def test_stats_count_groups_apart(db: sqlite_utils.Database) -> None:
    async with lab(db, admin_ids=frozenset({7})) as bot:
        await set_up(bot)
        bot.tg.bot_removed(BASIC)  # a group never set up: nothing to mark
        (stats,) = await bot.say(7, "/stats")
        assert "users: 1 (" in stats.text and "groups: 1 (0 paused, 0 removed)" in stats.text
        (private,) = await bot.say(LAB, "/stats", member=7, **SUPER)
        assert "private chat" in private.text


async def test_a_group_message_every_three_seconds() -> None:
    assert Throttle().interval(LAB) == PER_GROUP_INTERVAL_S == 3.0
    assert Throttle().interval(ADMIN) < 1.1
    throttle = Throttle(per_second=1000, per_chat_interval_s=0.01, per_group_interval_s=0.3)
    stamps: dict[int, list[float]] = {LAB: [], ADMIN: []}
    for chat in (LAB, LAB, ADMIN, ADMIN):
        async with throttle.slot(chat):
            stamps[chat].append(time.monotonic())
    assert stamps[LAB][1] - stamps[LAB][0] >= 0.29
    assert stamps[ADMIN][1] - stamps[ADMIN][0] < 0.2
    await asyncio.sleep(0)


def test_move_chat_keeps_every_row_and_foreign_keys(db: sqlite_utils.Database) -> None:
    ensure_user(db, BASIC)
    add_interest(db, BASIC, "topic", "LoRA")
    ensure_user(db, -1000999)  # a row the new chat got before the move was heard of
    add_interest(db, -1000999, "topic", "stray")
    assert move_chat(db, BASIC, -1000999)
    assert [i.text for i in list_interests(db, -1000999)] == ["LoRA"]
    assert get_user(db, BASIC) is None and not move_chat(db, BASIC, -1000999)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert purge_removed(db, "9999") == 0  # never removed: kept


async def test_an_anonymous_admin_counts_and_a_deleted_topic_falls_back_to_general(
    db: sqlite_utils.Database,
) -> None:
    async with lab(db) as bot:
        bot.tg.admins[FORUM] = set()  # Telegram lists no one: only "as the group" is admin
        command = "/add mixture of experts"
        bot.tg.group_event(
            FORUM,
            "supergroup",
            forum=True,
            text=command,
            entities=[{"type": "bot_command", "offset": 0, "length": 4}],
            sender_chat={"id": FORUM, "type": "supergroup", "title": "Lab"},
            message_thread_id=42,
            is_topic_message=True,
        )
        await bot.settle()
        assert [i.text for i in list_interests(db, FORUM)] == ["mixture of experts"]
        group = get_group(db, FORUM)
        assert group is not None and group.thread_id == 42

        def topic_gone(method: str, params: dict[str, Any]) -> Reply | None:
            if method == "sendMessage" and params.get("message_thread_id") == "42":
                body = {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message thread not found",
                }
                return Reply(400, json.dumps(body))
            return None

        bot.tg.fault = topic_gone
        update_user(db, FORUM, digest_time="00:00")
        before = len(bot.tg.messages_to(FORUM))
        telegram = make_bot(bot.conv.settings)
        async with telegram:
            report = await Deliverer(
                bot.conv.desk, TelegramTransport(telegram, fast(), bot.conv.db)
            ).sweep(datetime.now(UTC))
        assert report.sent == 1
        digest = bot.tg.messages_to(FORUM)[before:]
        assert digest and all("message_thread_id" not in m.params for m in digest)
        group = get_group(db, FORUM)
        assert group is not None and group.thread_id is None  # General from now on


async def test_one_members_slow_question_does_not_hold_up_anothers_vote(
    db: sqlite_utils.Database,
) -> None:
    gate, release = threading.Event(), threading.Event()

    def model(_payload: dict[str, Any]) -> None:
        if gate.is_set():  # once the digest is out, every model call hangs until released
            release.wait(timeout=30)

    with FakeLLM(script=model) as fake:
        async with lab(db, openai_base_url=fake.base_url, expand_interests=False) as bot:
            await set_up(bot)
            message = (await group_digest(bot))[0]
            up = next(d for _, d in message.buttons() if d.startswith("up|"))
            gate.set()
            calls = len(fake.payloads)
            bot.tg.user_says(LAB, "@paperboy_bot how are tokens routed?", member=ANN, **SUPER)
            await bot.tg.until(lambda: len(fake.payloads) > calls)
            started = time.monotonic()
            (ack,) = await bot.press(LAB, up, message.message_id or 1, member=BOB, **SUPER)
            took = time.monotonic() - started
            release.set()
            await bot.settle()
    # the question waits 30 s on the model; the vote did not wait for it (room for load)
    assert "vote counts" in ack.params["text"] and took < 15


def test_m018_upgrades_existing_readers_as_private(tmp_path: Path) -> None:
    old = open_db(tmp_path / "old.db", migrate=False)
    migrations.apply(old, stop_before="m018_groups")
    old.table("users").insert({"chat_id": 5, "created_utc": "2025-01-01T00:00:00+00:00"})
    old.close()
    db = open_db(tmp_path / "old.db")
    assert db.execute("SELECT kind FROM users").fetchall() == [("private",)]
    assert {"group_chats", "group_votes"} <= set(db.table_names())
    db.close()
