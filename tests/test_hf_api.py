"""The Daily Papers client against a real local HTTP server."""

import httpx
import pytest

from bot.retrying import parse_retry_after
from bot.sources import SourceError, load_day
from bot.sources.http import FetchError, fetch_day
from tests.fakes.http_server import FakeServer, Reply, scripted
from tests.fakes.papers_api import api_item, payload

DAY = "2025-03-03"
GOOD = Reply(200, payload(api_item("2503.00001", "Good paper"), api_item("2503.00002", "Two")))


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def fetch(server: FakeServer, sleep: RecordingSleep, attempts: int = 4) -> bytes:
    async with httpx.AsyncClient(timeout=2) as client:
        return await fetch_day(
            client,
            server.url + "/api/daily_papers",
            DAY,
            attempts=attempts,
            backoff_s=0.01,
            sleep=sleep,
        )


async def test_happy_path_sends_date_and_returns_body() -> None:
    with FakeServer(scripted(GOOD)) as server:
        loaded = await load_day(
            "hf", DAY, papers_url=server.url + "/api/daily_papers", backoff_s=0.01
        )
    assert [p.id for p in loaded.parsed.papers] == ["2503.00001", "2503.00002"]
    assert server.requests[0].path == "/api/daily_papers"
    assert server.requests[0].query == {"date": [DAY]}
    assert (loaded.source, loaded.day) == ("hf", DAY)


async def test_429_with_retry_after_is_honoured_then_succeeds() -> None:
    sleep = RecordingSleep()
    with FakeServer(scripted(Reply(429, "slow down", {"retry-after": "7"}), GOOD)) as server:
        body = await fetch(server, sleep)
    assert b"Good paper" in body
    assert sleep.waits == [7.0]
    assert len(server.requests) == 2


async def test_500s_until_retries_run_out_is_a_clear_error() -> None:
    sleep = RecordingSleep()
    with (
        FakeServer(scripted(Reply(503, "down"))) as server,
        pytest.raises(FetchError, match=r"HTTP 503.*after 4 attempts"),
    ):
        await fetch(server, sleep)
    assert len(server.requests) == 4
    assert len(sleep.waits) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_other_4xx_are_not_retried(status: int) -> None:
    sleep = RecordingSleep()
    with (
        FakeServer(scripted(Reply(status, "no"))) as server,
        pytest.raises(FetchError, match=f"HTTP {status}"),
    ):
        await fetch(server, sleep)
    assert len(server.requests) == 1 and sleep.waits == []


async def test_connection_refused_retries_then_explains() -> None:
    sleep = RecordingSleep()
    with FakeServer(scripted(GOOD)) as server:
        url = server.url
    async with httpx.AsyncClient(timeout=1) as client:
        with pytest.raises(FetchError, match="could not reach"):
            await fetch_day(client, url, DAY, attempts=3, backoff_s=0.01, sleep=sleep)
    assert len(sleep.waits) == 2


async def test_timeouts_are_retried() -> None:
    import time

    calls = 0

    def slow_then_fast(_request: object) -> Reply:
        nonlocal calls
        calls += 1
        if calls == 1:
            time.sleep(0.5)
        return GOOD

    with FakeServer(slow_then_fast) as server:
        async with httpx.AsyncClient(timeout=0.2) as client:
            body = await fetch_day(
                client, server.url, DAY, attempts=3, backoff_s=0.01, sleep=RecordingSleep()
            )
    assert b"Good paper" in body and calls == 2


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"error": "x"}', "[1, 2"])
async def test_invalid_or_wrong_shape_json_is_a_source_error(body: str) -> None:
    with (
        FakeServer(scripted(Reply(200, body))) as server,
        pytest.raises(SourceError, match="nothing was stored"),
    ):
        await load_day("hf", DAY, papers_url=server.url, backoff_s=0.01)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("-5", 0.0),
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


async def test_a_gzip_bomb_is_refused_without_reading_it_all() -> None:
    import gzip

    bomb = gzip.compress(b" " * 200_000_000, 9)  # 200 MB of spaces in about 200 KB
    sleep = RecordingSleep()
    with (
        FakeServer(scripted(Reply(200, bomb, {"content-encoding": "gzip"}))) as server,
        pytest.raises(FetchError, match="more than 50 MB"),
    ):
        await fetch(server, sleep)
    assert len(server.requests) == 1  # refused, not retried
