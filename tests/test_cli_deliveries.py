"""`paperboy send-due` and `paperboy deliveries` on a real database and the fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.assistant import Chat, Conversation
from bot.cli import cli
from bot.config import Settings
from bot.llm import LLMClient
from storage import open_db
from storage.interests import add_interest
from storage.users import ensure_user, update_user
from tests.fakes.http_server import Reply
from tests.fakes.telegram_api import TOKEN, FakeTelegram


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"PAPERBOY_DB_PATH": str(tmp_path / "cli.db"), "TELEGRAM_BOT_TOKEN": TOKEN}


def run(env: dict[str, str], *args: str, **extra: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={**env, **extra})


@pytest.mark.slow
def test_send_due_then_list_deliveries(env: dict[str, str]) -> None:
    run(env, "ingest", "--source", "sample")
    db = open_db(env["PAPERBOY_DB_PATH"])
    for chat in (1, 2, 3):
        ensure_user(db, chat)
        update_user(db, chat, digest_time="00:00")
        add_interest(db, chat, "topic", "mixture of experts")
    with FakeTelegram() as tg:
        tg.blocked_chats.add(3)
        tg.fault = lambda m, p: (
            Reply(502, '{"ok": false, "error_code": 502, "description": "Bad Gateway"}')
            if m == "sendMessage" and int(p["chat_id"]) == 2
            else None
        )
        result = run(env, "send-due", TELEGRAM_API_URL=tg.api_url)
    assert result.exit_code == 0, result.output
    assert "3 prepared" in result.output and "1 sent" in result.output
    assert "1 failed" in result.output and "1 blocked" in result.output
    listing = run(env, "deliveries")
    assert "by kind and status: digest 1 failed, 1 pending, 1 sent" in listing.output
    assert "blocked by the user" in listing.output and "Bad Gateway" in listing.output
    failed = run(env, "deliveries", "--status", "failed")
    assert failed.output.count("chat ") == 1
    assert "no deliveries match" in run(env, "deliveries", "--day", "1999-01-01").output
    settings = Settings(admin_ids=frozenset({99}))
    conv = Conversation(db, settings, LLMClient(settings, db))
    (stats,) = asyncio.run(conv.command(Chat(99), "stats", ""))
    assert "outbox: digest 1 failed, 1 pending, 1 sent" in stats.html
    assert "blocked by the user" in stats.html and "Bad Gateway" in stats.html


def test_send_due_without_a_token_explains(env: dict[str, str]) -> None:
    result = run(env, "send-due", TELEGRAM_BOT_TOKEN="")
    assert result.exit_code == 1 and "TELEGRAM_BOT_TOKEN" in result.output


def test_bad_token_is_reported_at_start_up(env: dict[str, str]) -> None:
    result = run(env, "send-due", TELEGRAM_BOT_TOKEN="not-a-token")
    assert result.exit_code == 1 and "does not look like a bot token" in result.output


@pytest.mark.slow
def test_send_due_sends_the_weekly_recaps_too(env: dict[str, str]) -> None:
    """A cron deployment (`paperboy send-due`, no `paperboy run`) gets its readers' weekly
    recaps as well, through the same outbox."""
    from datetime import UTC, datetime

    from storage.weekly import set_weekly

    run(env, "ingest", "--source", "sample")
    db = open_db(env["PAPERBOY_DB_PATH"])
    ensure_user(db, 1)
    update_user(db, 1, digest_time="00:00")
    add_interest(db, 1, "topic", "mixture of experts")
    set_weekly(db, 1, datetime.now(UTC).weekday())
    with FakeTelegram() as tg:
        result = run(env, "send-due", TELEGRAM_API_URL=tg.api_url)
        again = run(env, "send-due", TELEGRAM_API_URL=tg.api_url)
    assert result.exit_code == 0, result.output
    assert "weekly recaps: 1 written, 1 sent" in result.output
    assert "weekly recaps" not in again.output  # once a week
    listing = run(env, "deliveries", "--kind", "weekly").output
    assert listing.count("weekly chat 1 ") == 1 and "sent" in listing
