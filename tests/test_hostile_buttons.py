"""Forged and odd button presses get an answer and no traceback (through the fake Telegram)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlite_utils

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
