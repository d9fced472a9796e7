"""Webhook mode: the real bot serving Telegram's calls locally, registering itself with the
fake Bot API; only requests with the secret are processed, and each is stored first."""

from __future__ import annotations

import json
import socket

import httpx
import sqlite_utils

from tests.fakes.telegram_api import message_update
from tests.telegram_harness import running_bot

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_checks_the_secret_and_stores_updates(
    db: sqlite_utils.Database,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    overrides = {
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    async with running_bot(db, **overrides) as bot:
        (registered,) = bot.tg.calls("setWebhook")
        assert registered.params["url"] == url
        assert registered.params["secret_token"] == SECRET
        assert int(registered.params["max_connections"]) == 40
        async with httpx.AsyncClient() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-value"}):
                refused = await http.post(
                    url, json=message_update(10, 5, "/time 07:15"), headers=headers
                )
                assert refused.status_code == 403
            ok = await http.post(
                url,
                content=json.dumps(message_update(11, 5, "/time 07:20")),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            )
            assert ok.status_code == 200
        await bot.tg.until(lambda: bot.tg.messages_to(5))
        (reply,) = bot.tg.messages_to(5)
        assert "07:20" in reply.text
    stored = db.execute("SELECT update_id, handled_utc IS NOT NULL FROM inbox").fetchall()
    assert stored == [(11, 1)]  # the refused requests were never processed nor stored


async def test_polling_mode_removes_a_webhook(db: sqlite_utils.Database) -> None:
    async with running_bot(db) as bot:
        assert bot.tg.calls("deleteWebhook") and not bot.tg.calls("setWebhook")
