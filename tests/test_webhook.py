"""Webhook mode: the real bot serving Telegram's calls locally, registering itself with the
fake Bot API; only requests with the secret are processed, and each is stored first."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import httpx
import pytest
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


async def _raw(port: int, request: bytes) -> bytes:
    """Send `request` as is and read the answer (the server closes after answering)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


async def test_hostile_webhook_requests_get_a_4xx_and_one_log_line(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The secret is checked before any of the body is read (a huge body is never taken
    in), an oversized or unsized body is refused, malformed JSON is a 400, not a 500."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    overrides = {
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    head = "POST /telegram/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    secret = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
    async with running_bot(db, **overrides) as bot:
        # 90 MB announced, none of it sent: the answer comes from the headers alone.
        no_secret = await _raw(port, f"{head}Content-Length: 90000000\r\n\r\n".encode())
        too_big = await _raw(port, f"{head}{secret}Content-Length: 90000000\r\n\r\n".encode())
        unsized = await _raw(port, f"{head}{secret}\r\n".encode())
        garbage = b"{not json"
        malformed = await _raw(
            port, f"{head}{secret}Content-Length: {len(garbage)}\r\n\r\n".encode() + garbage
        )
        not_update = b'{"hello": "world"}'
        wrong_shape = await _raw(
            port, f"{head}{secret}Content-Length: {len(not_update)}\r\n\r\n".encode() + not_update
        )
        elsewhere = await _raw(port, b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        async with httpx.AsyncClient() as http:  # still serving after all that
            ok = await http.post(
                url,
                json=message_update(12, 6, "/time 08:05"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        await bot.tg.until(lambda: bot.tg.messages_to(6))
    assert no_secret.startswith(b"HTTP/1.1 403 ")
    assert too_big.startswith(b"HTTP/1.1 413 ")
    assert unsized.startswith(b"HTTP/1.1 411 ")
    assert malformed.startswith(b"HTTP/1.1 400 ") and wrong_shape.startswith(b"HTTP/1.1 400 ")
    assert elsewhere.startswith(b"HTTP/1.1 404 ")
    assert ok.status_code == 200
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    stored = [row[0] for row in db.execute("SELECT update_id FROM inbox")]
    assert stored == [12]
