"""Every reply fits Telegram: long inputs, long results and long echoes, through the real
bot against a fake Bot API that refuses messages over 4,096 characters, as Telegram does."""

from __future__ import annotations

import pytest
import sqlite_utils

from bot.messages.html import echo, telegram_length
from bot.messages.replies import Reply, fitted
from tests.telegram_harness import running_bot

LONG_INPUTS = [
    "/search " + " ".join(["moe"] * 1023),  # 4,096 characters: matches a lot
    "/search " + "zq" * 2044,  # matches nothing: the reply echoes the query
    "/add " + ";".join(["ab"] * 1360),
    "/timezone " + "Europe/" * 580,
    "/time " + "7:30" * 1020,
    "/remove " + "x" * 4000,
    "/" + "a" * 4000,
    "/" + "ö" * 2000 + " 🚀" * 600,
]


@pytest.mark.parametrize("text", LONG_INPUTS, ids=lambda t: t.split()[0][:12])
async def test_no_reply_is_refused_for_length(db: sqlite_utils.Database, text: str) -> None:
    async with running_bot(db) as bot:
        await bot.say(7, "/start")
        await bot.say(7, "mixture of experts")
        replies = await bot.say(7, text)
        assert bot.tg.refused == []
    assert replies and len(replies) <= 5
    assert all(telegram_length(m.text) <= 4096 for m in replies)
    assert "something went wrong" not in replies[0].text.lower()


async def test_a_long_query_is_echoed_clipped(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        (reply,) = await bot.say(7, "/search " + "zq" * 2044)
    assert "No stored paper mentions all of" in reply.text
    assert "zq" * 50 + "…" in reply.text and "zq" * 51 not in reply.text


def test_fitted_splits_and_keeps_buttons_papers_and_turn_where_they_belong() -> None:
    long = "\n".join(f"line {i} " + "x" * 90 for i in range(120))  # ~12k characters
    from bot.messages.replies import Button

    buttons = ((Button("👍", "up|1"),),)
    parts = fitted([Reply(long, buttons, paper_ids=("p",), turn_id=9), Reply("short")])
    assert len(parts) == 4 and parts[-1].html == "short"
    assert all(telegram_length(p.html) <= 4096 for p in parts)
    assert parts[0].turn_id == 9 and parts[1].turn_id is None
    assert parts[2].buttons == buttons and parts[2].paper_ids == ("p",)
    assert parts[0].buttons == () and parts[0].paper_ids == ()
    assert "\n".join(p.html for p in parts[:3]) == long


def test_echo_clips_and_escapes() -> None:
    assert echo("<b>" * 50) == "&lt;b&gt;" * 33 + "&lt;…"
    assert echo("short & sweet") == "short &amp; sweet"
