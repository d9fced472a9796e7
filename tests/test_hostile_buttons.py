"""Forged and odd button presses get an answer and no traceback (through the fake Telegram)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlite_utils

from storage.feedback import record_feedback
from tests.fakes.http_server import Reply
from tests.fakes.telegram_api import _error
from tests.telegram_harness import running_bot

CHAT = 701


async def answers(h: Any, query_id: str) -> list[str]:
    await h.tg.until(
        lambda: [
            s
            for s in h.tg.calls("answerCallbackQuery")
            if s.params["callback_query_id"] == query_id
        ]
    )
    return [
        str(s.params.get("text"))
        for s in h.tg.calls("answerCallbackQuery")
        if s.params["callback_query_id"] == query_id
    ]


async def test_forged_and_inline_presses_are_answered_without_tracebacks(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(db) as h:
        huge = h.tg.user_presses(CHAT, "rm|" + "9" * 40)
        assert await answers(h, huge) == ["Already removed."]
        inline = h.tg.user_presses(CHAT, "up|2599.00001", inline=True)
        assert "expired" in (await answers(h, inline))[0]
        await h.settle()
    assert "Traceback" not in caplog.text and "OverflowError" not in caplog.text


async def test_a_double_tap_is_not_an_error(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(db) as h:
        await h.say(CHAT, "/add mixture of experts")
        (listing,) = await h.say(CHAT, "/interests")
        remove = listing.buttons()[0][1]

        def unchanged(method: str, _params: dict[str, Any]) -> Reply | None:
            if method == "editMessageText":
                return _error(400, "Bad Request: message is not modified")
            return None

        h.tg.fault = unchanged
        first = h.tg.user_presses(CHAT, remove, listing.message_id or 1)
        assert await answers(h, first) == ["Removed."]
        await h.settle()
    assert "error handling an update" not in caplog.text


async def test_presses_for_papers_never_offered_to_the_chat_do_nothing(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        await h.say(CHAT, "/add mixture of experts")
        digest = next(m for m in await h.say(CHAT, "/digest") if m.buttons())
        shown = {d.partition("|")[2] for _t, d in digest.buttons()}
        stranger = next(
            row[0] for row in db.execute("SELECT id FROM papers") if row[0] not in shown
        )
        toasts = []
        for action in ("up", "save", "ask"):
            # on the digest (whose keyboard Telegram sends along) and on a message without one
            for message_id in (digest.message_id or 1, 1):
                query = h.tg.user_presses(CHAT, f"{action}|{stranger}", message_id)
                toasts += await answers(h, query)
        await h.settle()
    assert all("expired" in t for t in toasts), toasts
    stored = db.execute(
        "SELECT (SELECT count(*) FROM feedback) + (SELECT count(*) FROM saved)"
    ).fetchone()[0]
    assert stored == 0


async def test_every_rejected_paper_stays_out_of_later_digests(
    db: sqlite_utils.Database,
) -> None:
    async with running_bot(db) as h:
        await h.say(CHAT, "/add large language models")
        rejected = [row[0] for row in db.execute("SELECT id FROM papers LIMIT 99")]
        # 👎 on every paper of the day (only the latest 50 were kept out before)
        for paper_id in rejected:
            record_feedback(db, CHAT, paper_id, -1)
        replies = await h.say(CHAT, "/digest")
    sent = {
        row[0]
        for row in db.execute(
            "SELECT paper_id FROM delivery_items i JOIN deliveries d ON d.id = i.delivery_id "
            "WHERE d.chat_id = ?",
            [CHAT],
        )
    }
    assert replies and not sent & set(rejected)
