"""The bot end to end: digests, buttons, questions, export, forget, garbage, privacy."""

from __future__ import annotations

import logging
import re
import sys

import pytest
import sqlite_utils

from bot.answers import papers_for_reply
from bot.cli.app import configure_logging
from bot.config import Settings
from bot.ranking import make_ranker
from bot.ranking.profiles import load_profile
from storage.deliveries import delivery_items
from storage.papers import papers_for_day
from storage.users import get_user
from storage.weekly import write_recap
from tests.fakes.http_server import Reply
from tests.fakes.openai_server import FakeLLM
from tests.fakes.telegram_api import TOKEN
from tests.telegram_harness import Harness, running_bot

ADA, BEN = 1001, 2002
USER_TABLES = [
    "users",
    "interests",
    "deliveries",
    "messages",
    "feedback",
    "saved",
]


async def onboard(bot: Harness, chat: int, *interests: str) -> None:
    await bot.say(chat, "/start")
    await bot.say(chat, "\n".join(interests))


async def digest_messages(bot: Harness, chat: int) -> list:  # type: ignore[type-arg]
    return [m for m in await bot.say(chat, "/digest") if m.buttons()]


async def test_digest_on_the_sample_day(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        (nothing,) = await bot.say(ADA, "/digest")
        assert "Tell me what you're interested in first" in nothing.text
        await onboard(bot, ADA, "mixture of experts inference")
        messages = await digest_messages(bot, ADA)
        message = messages[0]
        assert "Your papers for" in message.text and "Mixture-of-Experts" in message.text
        assert "🎯 your interest ‘mixture of experts inference’" in message.text
        assert "extract from the abstract" in message.text  # no LLM configured here
        buttons = [b for m in messages for b in m.buttons()]
        assert len(buttons) == 20 and buttons[0][1].startswith("up|pbs-")
        assert all(len(m.text) <= 4096 for m in messages)
        delivery = db.execute(
            "SELECT id, status FROM deliveries WHERE chat_id = ?", [ADA]
        ).fetchone()
        assert delivery[1] == "sent"
        items = delivery_items(db, delivery[0])
        assert {i.telegram_message_id for i in items} == {m.message_id for m in messages}
        again = await bot.say(ADA, "/digest", expect=2)
        assert again[0].text == "Here is today's digest again:"
        assert [b for m in again[1:] for b in m.buttons()] == buttons


async def test_thumbs_up_changes_tomorrows_ranking(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        await onboard(bot, ADA, "inference")
        message, *_ = await digest_messages(bot, ADA)
        papers = papers_for_day(db, "2025-02-18")
        ranker = make_ranker(papers)
        before = {m.paper.id: m.score for m in ranker.rank(load_profile(db, ADA))}
        liked = next(data for _, data in message.buttons() if data.startswith("up|"))
        (ack,) = await bot.press(ADA, liked, message.message_id or 1)
        assert ack.params["text"].startswith("👍")
        edited = await bot.tg.until(lambda: bot.tg.calls("editMessageReplyMarkup", ADA))
        ticked = [
            b["text"]
            for row in edited[0].params["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"].startswith("✅")
        ]
        assert ticked == ["✅1 👍"]
        after = {m.paper.id: m.score for m in ranker.rank(load_profile(db, ADA))}
        risen = [pid for pid in after if after[pid] > before.get(pid, 0) + 1e-6]
        assert risen, "liking a paper must lift similar papers"


async def test_save_export_and_stale_buttons(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        await onboard(bot, ADA, "LLMs for HPC code")
        message, *_ = await digest_messages(bot, ADA)
        save = next(data for _, data in message.buttons() if data.startswith("save|"))
        (ack,) = await bot.press(ADA, save)
        assert ack.params["text"].startswith("⭐ Saved")
        (again,) = await bot.press(ADA, save)
        assert again.params["text"] == "Already saved."
        (saved,) = await bot.say(ADA, "/saved")
        assert "Saved papers</b> (1;" in saved.text
        bot.tg.user_says(ADA, "/export")
        (doc,) = await bot.tg.until(lambda: bot.tg.calls("sendDocument", ADA))
        content = doc.params["document"]["content"].decode()
        assert doc.params["document"]["filename"] == "paperboy-papers.bib"
        assert content.startswith("@misc{") and "title = {" in content
        for data, expected in [
            ("up|pbs-0000000000", "no longer have"),
            ("garbage", "expired"),
            ("rm|999999", "Already removed"),
        ]:
            (answered,) = await bot.press(ADA, data)
            assert expected in answered.params["text"]


async def test_question_answered_with_citations(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with running_bot(db, openai_base_url=fake.base_url) as bot:
            await onboard(bot, ADA, "mixture of experts inference")
            message, *_ = await digest_messages(bot, ADA)
            answered = await bot.say(ADA, "How does ExpertFlow reduce expert transfers?")
            assert bot.tg.calls("sendChatAction", ADA)[-1].params["action"] == "typing"
            text = answered[-1].text
            assert "[1]" in text and "<b>Sources</b>" in text and "ExpertFlow" in text
            # A reply to the digest asks about that digest's papers, in digest order.
            await bot.say(ADA, "which of these is the fastest?", reply_to=message.message_id)
            context = fake.payloads[-1]["messages"][-1]["content"]
            first_title = re.search(r"<b>1\. <a [^>]+>([^<]+)</a>", message.text)
            assert first_title is not None
            assert context.index('<paper n="1">') < context.index(first_title.group(1)[:30])


async def test_ask_button_then_reply_is_about_that_paper(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with running_bot(db, openai_base_url=fake.base_url) as bot:
            await onboard(bot, ADA, "LLMs for HPC code")
            message, *_ = await digest_messages(bot, ADA)
            ask = next(data for _, data in message.buttons() if data.startswith("ask|"))
            await bot.press(ADA, ask)
            prompt = (
                await bot.tg.until(
                    lambda: [m for m in bot.tg.messages_to(ADA) if m.text.startswith("❓")]
                )
            )[0]
            await bot.say(ADA, "what data did they train on?", reply_to=prompt.message_id)
            title = prompt.text.split("“", 1)[1].split("”", 1)[0]
            context = fake.payloads[-1]["messages"][-1]["content"]
            assert context.index(title[:30]) < context.index("</paper>")


async def test_long_answers_are_split(db: sqlite_utils.Database) -> None:
    # Backed by what it cites (answers are checked): mixture-of-experts inference papers.
    long_answer = (
        "Mixture of experts inference activates few experts per token [1]. " * 200
    ).strip()
    with FakeLLM(lambda _p: long_answer) as fake:
        async with running_bot(db, openai_base_url=fake.base_url) as bot:
            await onboard(bot, ADA, "MoE")
            replies = await bot.say(ADA, "explain MoE inference in depth", expect=3)
            assert len(replies) >= 3
            assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in replies)


@pytest.mark.parametrize(
    "garbage",
    [
        "x" * 4000,
        "<script>alert('hi')</script> <b>bold</b> & stuff",
        "🤖🔥📄" * 50,
        "ما هو أفضل بحث اليوم؟",
        "'; DROP TABLE users; --",
        "/add",
        "/search",
        "/ask",
        "/time",
        "/remove",
    ],
)
async def test_garbage_gets_a_clear_answer(db: sqlite_utils.Database, garbage: str) -> None:
    async with running_bot(db) as bot:
        await onboard(bot, ADA, "MoE")
        replies = await bot.say(ADA, garbage)
        for reply in replies:
            assert "<script>" not in reply.text
            assert "went wrong" not in reply.text
            assert reply.text.strip()
        assert db.table("users").count == 1 and db.table("papers").count == 99


async def test_forget_removes_every_row_of_that_user_only(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        for chat in (ADA, BEN):
            await onboard(bot, chat, "mixture of experts")
            message, *_ = await digest_messages(bot, chat)
            await bot.press(chat, next(d for _, d in message.buttons() if d.startswith("save|")))
            await bot.press(chat, next(d for _, d in message.buttons() if d.startswith("up|")))
            await bot.say(chat, "what is new in MoE?")
            await bot.say(chat, "/weekly on")
            write_recap(db, chat, "2026-12-06")
        (confirm,) = await bot.say(ADA, "/forget")
        assert [text for text, _ in confirm.buttons()] == ["🗑 Yes, delete everything", "Cancel"]
        await bot.press(ADA, "forget|yes", confirm.message_id or 1)
        await bot.tg.until(lambda: bot.tg.calls("editMessageText", ADA))
        for table in USER_TABLES:
            assert (
                db.execute(f"SELECT count(*) FROM {table} WHERE chat_id = ?", [ADA]).fetchone()[0]
                == 0
            ), table
            assert (
                db.execute(f"SELECT count(*) FROM {table} WHERE chat_id = ?", [BEN]).fetchone()[0]
                > 0
            ), table
        assert db.execute(
            "SELECT count(*) FROM delivery_items i JOIN deliveries d "
            "ON d.id = i.delivery_id WHERE d.chat_id = ?",
            [BEN],
        ).fetchone()[0]
        # Every table keyed by a chat, including any added later (inbox: below).
        keyed = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if "chat_id" in {c.name for c in db[name].columns} and name != "inbox"
        ]
        assert {"library", *USER_TABLES} <= set(keyed)
        for table in keyed:
            count = f"SELECT count(*) FROM {table} WHERE chat_id = ?"
            assert db.execute(count, [ADA]).fetchone()[0] == 0, table
        # The raw updates too: nothing left in the inbox that carries Ada's id or name,
        # beyond the /forget press still being handled.
        await bot.settle()
    raw = [p for (p,) in db.execute("SELECT payload FROM inbox")]
    assert not [p for p in raw if f'"id": {ADA}' in p and "forget|yes" not in p]
    assert any(f'"id": {BEN}' in p for p in raw)


async def test_two_users_never_see_each_other(db: sqlite_utils.Database) -> None:
    with FakeLLM() as fake:
        async with running_bot(db, openai_base_url=fake.base_url) as bot:
            await onboard(bot, ADA, "secret zebra topic", "LLMs for HPC code")
            await onboard(bot, BEN, "mixture of experts")
            ada_digest, *_ = await digest_messages(bot, ADA)
            await bot.press(ADA, next(d for _, d in ada_digest.buttons() if d.startswith("save|")))
            await bot.say(ADA, "my private note: project Kangaroo and HPC code?")
            (ben_interests,) = await bot.say(BEN, "/interests")
            assert "zebra" not in ben_interests.text
            (ben_saved,) = await bot.say(BEN, "/saved")
            assert "Nothing saved yet" in ben_saved.text
            await bot.say(BEN, "what did I ask before about Kangaroo?")
            assert "Kangaroo" not in str(fake.payloads[-1]["messages"][:-1])
            # Ada's digest message id means nothing in Ben's chat.
            assert ada_digest.message_id is not None
            assert papers_for_reply(db, ADA, ada_digest.message_id)
            assert papers_for_reply(db, BEN, ada_digest.message_id) == []


async def test_question_rate_limit(db: sqlite_utils.Database) -> None:
    async with running_bot(db, questions_per_hour=2) as bot:
        await onboard(bot, ADA, "MoE")
        await bot.say(ADA, "what is MoE?")
        await bot.say(ADA, "and experts?")
        (limited,) = await bot.say(ADA, "one more?")
        assert "2 questions in the last hour" in limited.text


async def test_blocked_user_is_marked(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        await onboard(bot, ADA, "MoE")
        bot.tg.blocked_chats.add(ADA)
        bot.tg.user_says(ADA, "/help")
        await bot.tg.until(lambda: (u := get_user(db, ADA)) is not None and u.blocked)
        bot.tg.blocked_chats.clear()
        await bot.say(ADA, "/help")  # writing again means they unblocked us
        user = get_user(db, ADA)
        assert user is not None and not user.blocked


async def test_html_refused_by_telegram_is_resent_as_plain_text(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as bot:
        refused = {"done": False}

        def fault(method: str, params: dict) -> Reply | None:  # type: ignore[type-arg]
            if (
                method == "sendMessage"
                and params.get("parse_mode") == "HTML"
                and not refused["done"]
            ):
                refused["done"] = True
                return Reply(
                    400,
                    '{"ok": false, "error_code": 400, "description": '
                    '"Bad Request: can\'t parse entities: unexpected end tag"}',
                )
            return None

        bot.tg.fault = fault
        (plain,) = await bot.say(ADA, "/help")
        assert "parse_mode" not in plain.params and "<b>" not in plain.text
        assert "Paperboy sends you a daily digest" in plain.text


async def test_bot_token_never_reaches_the_logs(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    configure_logging(Settings(telegram_bot_token=TOKEN, log_level="DEBUG"))
    async with running_bot(db) as bot:
        await onboard(bot, ADA, "MoE")
        await bot.say(ADA, "/digest")
        bot.tg.fault = lambda m, p: Reply(500, "{}") if m == "sendMessage" else None
        bot.tg.user_says(ADA, "/help")  # fails: the error path logs a traceback
        await bot.settle()
    assert len(caplog.records) > 20
    assert not [r for r in caplog.records if r.name.startswith("httpx") and r.levelno < 30]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


def test_redaction_filter_masks_secrets_in_messages_and_tracebacks() -> None:
    from bot.logsafety import RedactSecrets

    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, "f", 1, "url %s", (f"/bot{TOKEN}/",), sys.exc_info()
        )
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")
    assert "/bot***/" in record.getMessage()
