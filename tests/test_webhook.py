"""Webhook mode: the real bot serving Telegram's calls locally, registering itself with the
fake Bot API; only requests with the secret are processed, and each is stored first."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import httpx
import pytest
import sqlite_utils

from bot.telegram.webhook import DEADLINE_S, MAX_CONNECTIONS
from tests.fakes.telegram_api import message_update
from tests.telegram_harness import running_bot

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _webhook(port: int) -> dict[str, Any]:
    return {
        "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }


async def test_webhook_mode_checks_the_secret_and_stores_updates(
    db: sqlite_utils.Database,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running_bot(db, **_webhook(port)) as bot:
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
    head = "POST /telegram/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    secret = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
    async with running_bot(db, **_webhook(port)) as bot:
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


HEAD = (
    "POST /telegram/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
).encode()


async def test_hostile_framing_with_the_right_secret_gets_a_400_and_one_log_line(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    """With the secret (a leaked one, or a proxy's mistake): a Content-Length in digits
    int() takes but HTTP does not, a body nested 200,000 deep, a Content-Length beside
    Transfer-Encoding (request smuggling), two Content-Lengths: each a 400 and one log
    line, never an exception in the connection's task or a connection closed unanswered."""
    deep = b"[" * 200_000 + b"]" * 200_000
    update = json.dumps(message_update(13, 7, "/time 09:10")).encode()
    port = free_port()
    caplog.set_level(logging.INFO, logger="bot.telegram.webhook")
    async with running_bot(db, **_webhook(port)) as bot:
        answers = {
            "superscript two": await _raw(port, HEAD + "Content-Length: ²\r\n\r\n{}".encode()),
            "latin-1 superscript": await _raw(port, HEAD + b"Content-Length: \xb2\r\n\r\n{}"),
            "arabic-indic digits": await _raw(port, HEAD + "Content-Length: ٢\r\n\r\n{}".encode()),
            "nested 200,000 deep": await _raw(
                port, HEAD + f"Content-Length: {len(deep)}\r\n\r\n".encode() + deep
            ),
            "length and chunked": await _raw(
                port,
                HEAD
                + f"Content-Length: {len(update)}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                + update,
            ),
            "chunked then length": await _raw(
                port,
                HEAD
                + f"Transfer-Encoding: chunked\r\nContent-Length: {len(update)}\r\n\r\n".encode()
                + update,
            ),
            "two lengths": await _raw(
                port,
                HEAD + f"Content-Length: {len(update)}\r\nContent-Length: 0\r\n\r\n".encode(),
            ),
        }
        chunked_only = await _raw(port, HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        huge_number = await _raw(port, HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n")
        fine = await _raw(port, HEAD + f"Content-Length: {len(update)}\r\n\r\n".encode() + update)
        await bot.tg.until(lambda: bot.tg.messages_to(7))
    for what, answer in answers.items():
        assert answer.startswith(b"HTTP/1.1 400 "), (what, answer[:60])
    assert chunked_only.startswith(b"HTTP/1.1 411 ")
    assert huge_number.startswith(b"HTTP/1.1 413 ")
    assert fine.startswith(b"HTTP/1.1 200 ")
    refused = [r for r in caplog.records if r.name == "bot.telegram.webhook"]
    assert len(refused) == len(answers) + 2, [r.getMessage() for r in refused]
    assert all(r.levelno == logging.INFO and not r.exc_info for r in refused)
    assert "nested too deeply" in caplog.text and "Transfer-Encoding" in caplog.text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [row[0] for row in db.execute("SELECT update_id FROM inbox")] == [13]


@pytest.mark.slow
async def test_connections_beyond_the_cap_get_a_503_and_slow_ones_still_time_out(
    db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    """MAX_CONNECTIONS clients that send half a request and wait hold every slot: the next
    connection is answered 503 at once (before: one file descriptor each, until accept()
    failed); the held ones still get their 408 at the deadline, and then the endpoint
    serves again."""
    port = free_port()
    update = json.dumps(message_update(14, 8, "/time 10:20")).encode()
    async with running_bot(db, **_webhook(port)) as bot:
        started = asyncio.get_running_loop().time()
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(MAX_CONNECTIONS)]
        for _, writer in held:
            writer.write(b"POST /telegram/hook HTTP/1.1\r\nHost: x\r\n")  # and nothing more
            await writer.drain()
        await asyncio.sleep(0.5)  # every held connection is being served
        extra = []
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            extra.append(await asyncio.wait_for(reader.read(), timeout=2))
            writer.close()
        timed_out = await asyncio.gather(
            *(asyncio.wait_for(r.read(), timeout=DEADLINE_S + 60) for r, _ in held)
        )
        waited = asyncio.get_running_loop().time() - started
        for _, writer in held:
            writer.close()
        fine = await _raw(port, HEAD + f"Content-Length: {len(update)}\r\n\r\n".encode() + update)
        await bot.tg.until(lambda: bot.tg.messages_to(8))
    assert all(answer.startswith(b"HTTP/1.1 503 ") for answer in extra), extra
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in timed_out)
    assert waited >= DEADLINE_S  # held to the deadline, then closed (a busy machine: later)
    assert fine.startswith(b"HTTP/1.1 200 ")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "503" in warnings[0].getMessage()  # not one per refusal
