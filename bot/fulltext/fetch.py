"""GET a paper's HTML or PDF from arXiv, and nothing else: only the configured hosts (a
redirect elsewhere is refused), a size cap checked before and while reading, the expected
content type, and the shared retry wait for 429 / 5xx / timeouts."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from bot.retrying import parse_retry_after
from bot.sources.http import RetryableStatus, http_retrying

MAX_REDIRECTS = 3


class Unreadable(RuntimeError):
    """This copy of the paper cannot be had (404, too big, wrong type, refused redirect…)."""


class NotFound(Unreadable):
    pass


async def fetch_capped(
    client: httpx.AsyncClient,
    url: str,
    *,
    allowed_hosts: frozenset[str],
    max_bytes: int,
    content_types: tuple[str, ...],
    attempts: int = 3,
    backoff_s: float = 1.0,
) -> bytes:
    retrying = http_retrying(attempts, backoff_s, what="full text")
    try:
        async for attempt in retrying:
            with attempt:
                return await _get(client, url, allowed_hosts, max_bytes, content_types)
    except RetryableStatus as exc:
        raise Unreadable(f"{url} kept failing ({exc})") from None
    except httpx.HTTPError as exc:
        raise Unreadable(f"could not reach {url} ({type(exc).__name__})") from None
    raise AssertionError("unreachable: tenacity either returns or raises")


async def _get(
    client: httpx.AsyncClient,
    url: str,
    allowed_hosts: frozenset[str],
    max_bytes: int,
    content_types: tuple[str, ...],
) -> bytes:
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(url).netloc not in allowed_hosts:
            raise Unreadable(f"refusing to fetch {url}: not an arXiv host configured here")
        async with client.stream("GET", url, follow_redirects=False) as response:
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                url = urljoin(url, response.headers.get("location", ""))
                continue
            if status == 404:
                raise NotFound(f"{url}: not found")
            if status == 429 or status >= 500:
                raise RetryableStatus(
                    status, parse_retry_after(response.headers.get("retry-after"))
                )
            if status >= 400:
                raise Unreadable(f"{url}: HTTP {status}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in content_types:
                raise Unreadable(f"{url}: {kind or 'no content type'}, not {content_types[0]}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise Unreadable(f"{url}: {declared:,} bytes, over the {max_bytes:,} limit")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise Unreadable(f"{url}: more than {max_bytes:,} bytes; not read further")
            return bytes(body)
    raise Unreadable(f"{url}: more than {MAX_REDIRECTS} redirects")
