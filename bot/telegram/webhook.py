"""The webhook endpoint: Telegram's POSTs in, updates into the application's queue (which
stores each one before it is confirmed, bot/telegram/inbox.py).

Served here rather than by python-telegram-bot's tornado server, which reads a body of up
to 100 MB before it checks the secret and answers malformed JSON with a 500 and a
traceback. Here the secret is checked on the headers, before any of the body is read; a
body must declare its length in ASCII digits, once, without Transfer-Encoding, and fit
MAX_BODY (an update is a few KB: files come by id); the whole request has one deadline; at
most MAX_CONNECTIONS are served at once; anything wrong gets a 4xx and one log line."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, Update

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
MAX_HEADER_LINES = 100
DEADLINE_S = 10.0
# Telegram opens at most 40 (setWebhook's max_connections); beyond this many, connections
# held open by someone else get a 503 at once instead of a file descriptor each.
MAX_CONNECTIONS = 100
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
# str.isdigit() and int() accept '²' and Arabic-Indic digits; HTTP means ASCII.
_LENGTH = re.compile(r"[0-9]+")
_ONCE = ("content-length", "transfer-encoding")


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
    gate = _Gate(MAX_CONNECTIONS)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not gate.enter():
            await _answer(writer, 503)  # at once: nothing of the request is read
            return
        try:
            code = await _served(reader, bot, put, wanted, secret)
            if code is None:
                writer.close()
            else:
                await _answer(writer, code)
        finally:
            gate.leave()

    return await asyncio.start_server(handle, host, port, limit=16_384)


async def _served(
    reader: asyncio.StreamReader,
    bot: Bot,
    put: Callable[[Update], Awaitable[None]],
    wanted: str,
    secret: str,
) -> int | None:
    """The status code to answer with (None: the client is gone), and one log line when
    the request is refused."""
    try:
        async with asyncio.timeout(DEADLINE_S):
            return await _handle(reader, bot, put, wanted, secret)
    except Refused as exc:
        log.info("webhook request refused (%d): %s", exc.code, exc)
        return exc.code
    except TimeoutError:
        log.info("webhook request refused (408): not sent within %.0f s", DEADLINE_S)
        return 408
    except (ConnectionError, asyncio.IncompleteReadError):
        return None
    except Exception:  # our bug, not the client's: answered, so Telegram sends it again
        log.exception("webhook request failed")
        return 500


async def _answer(writer: asyncio.StreamWriter, code: int) -> None:
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


class _Gate:
    """Counts the connections being served and says when one more is too many; refusals
    are logged at most once a minute, not once per connection."""

    def __init__(self, limit: int) -> None:
        self.limit, self.open, self.refused = limit, 0, 0
        self.warned_at = -math.inf

    def enter(self) -> bool:
        if self.open < self.limit:
            self.open += 1
            return True
        self.refused += 1
        if time.monotonic() - self.warned_at >= 60:
            log.warning(
                "webhook: %d connections open; %d more answered 503 since the last such line",
                self.limit,
                self.refused,
            )
            self.warned_at, self.refused = time.monotonic(), 0
        return False

    def leave(self) -> None:
        self.open -= 1


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
    length = _body_length(headers)
    raw = await reader.readexactly(length)
    try:
        update = Update.de_json(json.loads(raw), bot)
    except RecursionError:
        raise Refused(400, "not an update (JSON nested too deeply)") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Refused(400, f"not an update ({type(exc).__name__})") from None
    if update is None:
        raise Refused(400, "an empty update")
    await put(update)
    return 200


def _body_length(headers: dict[str, str]) -> int:
    """The declared body length. Only Content-Length frames a body here: with
    Transfer-Encoding as well, a proxy in front might read the body differently (request
    smuggling), so that is refused rather than guessed."""
    length = headers.get("content-length")
    if "transfer-encoding" in headers:
        if length is not None:
            raise Refused(400, "both Content-Length and Transfer-Encoding")
        raise Refused(411, "Transfer-Encoding instead of Content-Length")
    if length is None:
        raise Refused(411, "no Content-Length")
    if not _LENGTH.fullmatch(length):
        raise Refused(400, f"Content-Length {length[:20]!r} is not a number")
    digits = length.lstrip("0") or "0"  # int() of thousands of digits is slow, then refused
    if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:
        raise Refused(413, f"a body of {digits[:20]} bytes (at most {MAX_BODY})")
    return int(digits)


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
        name = name.strip().lower()
        if name in _ONCE and name in headers:
            raise Refused(400, f"{name} given twice")
        headers[name] = value.strip()
    raise Refused(400, f"more than {MAX_HEADER_LINES} header lines")
