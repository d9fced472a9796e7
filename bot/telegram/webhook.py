"""The webhook endpoint: Telegram's POSTs in, updates into the application's queue (which
stores each one before it is confirmed, bot/telegram/inbox.py).

Served here rather than by python-telegram-bot's tornado server, which reads a body of up
to 100 MB before it checks the secret and answers malformed JSON with a 500 and a
traceback. Here the secret is checked on the headers, before any of the body is read; a
body must declare its length and fit MAX_BODY (an update is a few KB: files come by id);
the whole request has one deadline; anything wrong gets a 4xx and one log line."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Update

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
MAX_HEADER_LINES = 100
DEADLINE_S = 10.0
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
}


class Refused(Exception):
    def __init__(self, code: int, why: str) -> None:
        super().__init__(why)
        self.code = code


async def serve_webhook(
    bot: Bot,
    put: Callable[[Update], Awaitable[None]],
    *,
    host: str,
    port: int,
    path: str,
    secret: str,
) -> asyncio.Server:
    """Listen on host:port for POST `path` with the secret; `put` each update."""
    wanted = "/" + path.lstrip("/")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(DEADLINE_S):
                code = await _handle(reader, bot, put, wanted, secret)
        except Refused as exc:
            code = exc.code
            log.info("webhook request refused (%d): %s", code, exc)
        except TimeoutError:
            code = 408
            log.info("webhook request refused (408): not sent within %.0f s", DEADLINE_S)
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            return
        body = b"{}" if code == 200 else json.dumps({"error": REASONS[code]}).encode()
        writer.write(
            f"HTTP/1.1 {code} {REASONS[code]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        try:
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=16_384)


async def _handle(
    reader: asyncio.StreamReader,
    bot: Bot,
    put: Callable[[Update], Awaitable[None]],
    wanted: str,
    secret: str,
) -> int:
    method, target = await _request_line(reader)
    headers = await _headers(reader)
    if target.split("?", 1)[0] != wanted:
        raise Refused(404, f"no such path {target[:80]!r}")
    if method != "POST":
        raise Refused(405, f"{method[:10]} instead of POST")
    given = headers.get("x-telegram-bot-api-secret-token", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Refused(403, "missing or wrong secret token")
    length = headers.get("content-length", "")
    if not length.isdigit():
        raise Refused(411, "no Content-Length")
    if int(length) > MAX_BODY:
        raise Refused(413, f"a body of {length} bytes (at most {MAX_BODY})")
    raw = await reader.readexactly(int(length))
    try:
        update = Update.de_json(json.loads(raw), bot)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Refused(400, f"not an update ({type(exc).__name__})") from None
    if update is None:
        raise Refused(400, "an empty update")
    await put(update)
    return 200


async def _request_line(reader: asyncio.StreamReader) -> tuple[str, str]:
    try:
        line = await reader.readline()
    except ValueError:  # longer than the stream's limit
        raise Refused(400, "a request line past 16 KB") from None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise Refused(400, "not an HTTP request line")
    return parts[0], parts[1]


async def _headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        try:
            line = await reader.readline()
        except ValueError:
            raise Refused(400, "a header line past 16 KB") from None
        text = line.decode("latin-1").strip()
        if not text:
            return headers
        name, _, value = text.partition(":")
        headers[name.strip().lower()] = value.strip()
    raise Refused(400, f"more than {MAX_HEADER_LINES} header lines")
