"""GET from a paper source, retrying only what is worth retrying (429, 5xx, timeouts,
dropped connections), waiting what the server asks (Retry-After) through the shared wait."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from bot.retrying import WaitAsAsked, parse_retry_after

log = logging.getLogger(__name__)


# A day of Daily Papers is ~100 KB, an arXiv announcement of 2,500 papers ~5 MB, an API
# answer of 100 entries ~0.5 MB; anything past this is not a paper list.
MAX_BODY_BYTES = 50_000_000


class FetchError(RuntimeError):
    """The source could not be fetched; the message says why and what to check."""


class RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: 429 / 5xx, timeouts, dropped connections."""
    return isinstance(exc, RetryableStatus | httpx.TimeoutException | httpx.TransportError)


def asked_wait(exc: BaseException) -> float | None:
    """What the server asked us to wait (Retry-After), if it did."""
    return exc.retry_after if isinstance(exc, RetryableStatus) else None


def http_retrying(
    attempts: int,
    backoff_s: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    what: str = "papers source",
) -> AsyncRetrying:
    """The one retry loop for plain HTTP GETs (sources and full text): transient errors
    only, the server's Retry-After when it gives one, else capped exponential backoff."""
    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts),
        wait=WaitAsAsked(asked_wait, backoff_s=backoff_s),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda s: log.warning(
            "%s: attempt %d failed (%s); retrying",
            what,
            s.attempt_number,
            s.outcome.exception() if s.outcome else "?",
        ),
    )


async def get_with_retries(
    client: httpx.AsyncClient,
    url: str,
    params: Mapping[str, str],
    *,
    setting: str,
    attempts: int = 5,
    backoff_s: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    before_each: Callable[[], Awaitable[None]] | None = None,
) -> bytes:
    """GET `url?params` and return the body; raise FetchError naming `setting` (the
    environment variable holding the URL) when it cannot be had. `before_each` runs before
    every attempt (e.g. a politeness limiter)."""
    retrying = http_retrying(attempts, backoff_s, sleep=sleep)
    try:
        async for attempt in retrying:
            with attempt:
                if before_each is not None:
                    await before_each()
                return await _get_once(client, url, params, setting)
    except RetryableStatus as exc:
        raise FetchError(
            f"{url} kept failing ({exc}) after {attempts} attempts; try again later"
        ) from None
    except httpx.HTTPError as exc:
        raise FetchError(
            f"could not reach {url} after {attempts} attempts ({type(exc).__name__}); "
            f"check the network or {setting}"
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")


async def fetch_day(
    client: httpx.AsyncClient,
    base_url: str,
    day: str,
    *,
    attempts: int = 5,
    backoff_s: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes:
    """One day of the Daily Papers API: GET `{base_url}?date=day`."""
    return await get_with_retries(
        client,
        base_url,
        {"date": day},
        setting="PAPERBOY_PAPERS_URL",
        attempts=attempts,
        backoff_s=backoff_s,
        sleep=sleep,
    )


async def _get_once(
    client: httpx.AsyncClient, url: str, params: Mapping[str, str], setting: str
) -> bytes:
    async with client.stream("GET", url, params=params) as response:
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableStatus(status, parse_retry_after(response.headers.get("retry-after")))
        if status >= 400:
            asked = " ".join(f"{k}={v}" for k, v in params.items())
            raise FetchError(
                f"{url} answered HTTP {status} for {asked}; check {setting} (not retried)"
            )
        return await _capped(response, url)


async def _capped(response: httpx.Response, url: str) -> bytes:
    """The body, decompressed, refused past MAX_BODY_BYTES (a gzip bomb or an endless
    answer must not take the process's memory)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise FetchError(
                f"{url} sent more than {MAX_BODY_BYTES // 1_000_000} MB; refusing it "
                "(a day's list is a few MB)"
            )
        chunks.append(chunk)
    return b"".join(chunks)
