"""Fetch one day of the Hugging Face Daily Papers API, retrying only what is worth retrying."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from bot.retrying import WaitAsAsked, parse_retry_after

log = logging.getLogger(__name__)


class FetchError(RuntimeError):
    """The source could not be fetched; the message says why and what to check."""


class RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, RetryableStatus | httpx.TimeoutException | httpx.TransportError)


def _asked(exc: BaseException) -> float | None:
    return exc.retry_after if isinstance(exc, RetryableStatus) else None


async def fetch_day(
    client: httpx.AsyncClient,
    base_url: str,
    day: str,
    *,
    attempts: int = 5,
    backoff_s: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes:
    """GET `{base_url}?date=day` and return the body; raise FetchError with a clear reason."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(_is_transient),
        stop=stop_after_attempt(attempts),
        wait=WaitAsAsked(_asked, backoff_s=backoff_s),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda s: log.warning(
            "papers source: attempt %d failed (%s); retrying",
            s.attempt_number,
            s.outcome.exception() if s.outcome else "?",
        ),
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await _get_once(client, base_url, day)
    except RetryableStatus as exc:
        raise FetchError(
            f"{base_url} kept failing ({exc}) after {attempts} attempts; try again later"
        ) from None
    except httpx.HTTPError as exc:
        raise FetchError(
            f"could not reach {base_url} after {attempts} attempts ({type(exc).__name__}); "
            "check the network or PAPERBOY_PAPERS_URL"
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")


async def _get_once(client: httpx.AsyncClient, base_url: str, day: str) -> bytes:
    response = await client.get(base_url, params={"date": day})
    status = response.status_code
    if status == 429 or status >= 500:
        raise RetryableStatus(status, parse_retry_after(response.headers.get("retry-after")))
    if status >= 400:
        raise FetchError(
            f"{base_url} answered HTTP {status} for date {day}; "
            "check PAPERBOY_PAPERS_URL and the date (not retried)"
        )
    return response.content
