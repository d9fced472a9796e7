"""arXiv as a source: the day's announcement from the RSS feed, and from the API only what
the feed lacks. Polite as arXiv asks (https://info.arxiv.org/help/api/tou.html): one
request every 3 seconds at most, a User-Agent naming the deployment and a contact."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import httpx
from aiolimiter import AsyncLimiter

from bot.config import ARXIV_API_URL, ARXIV_MIN_INTERVAL_S, ARXIV_RSS_URL, Settings
from bot.sources.arxiv_categories import canonical_category, closest_category
from bot.sources.arxiv_xml import Announcement, parse_api, parse_rss
from bot.sources.hf_json import MalformedResponse
from bot.sources.http import get_with_retries
from storage.papers import Paper

log = logging.getLogger(__name__)


def arxiv_options(settings: Settings) -> ArxivOptions:
    """How to reach arXiv, from the settings."""
    return ArxivOptions(
        rss_url=settings.arxiv_rss_url,
        api_url=settings.arxiv_api_url,
        contact=settings.contact,
        min_interval_s=settings.arxiv_min_interval,
        timeout_s=settings.http_timeout,
    )


DEFAULT_RSS_URL = ARXIV_RSS_URL
DEFAULT_API_URL = ARXIV_API_URL
API_BATCH = 100  # ids per API request, as arXiv recommends
MIN_INTERVAL_S = ARXIV_MIN_INTERVAL_S


class CategorySpecError(ValueError):
    """`arxiv:CATS` names no category, or one arXiv does not have (with the closest)."""


@dataclass(frozen=True)
class ArxivOptions:
    rss_url: str = DEFAULT_RSS_URL
    api_url: str = DEFAULT_API_URL
    contact: str | None = None  # an e-mail or URL arXiv can reach the operator at
    min_interval_s: float = MIN_INTERVAL_S
    timeout_s: float = 20.0
    attempts: int = 5
    backoff_s: float = 1.0

    def user_agent(self) -> str:
        contact = self.contact or "no contact configured: set PAPERBOY_CONTACT"
        return f"paperboy-bot/0.1 (self-hosted paper digest; {contact})"


def parse_categories(spec: str) -> tuple[str, ...]:
    """'cs.CL+cs.lg' -> ('cs.CL', 'cs.LG'): arXiv's spelling, or CategorySpecError."""
    names = [part.strip() for part in spec.replace(",", "+").split("+") if part.strip()]
    if not names:
        raise CategorySpecError("arxiv: needs categories, e.g. arxiv:cs.CL+cs.LG")
    out = []
    for name in names:
        canonical = canonical_category(name)
        if canonical is None:
            meant = closest_category(name)
            hint = f" (did you mean {meant}?)" if meant else ""
            raise CategorySpecError(f"{name!r} is not an arXiv category{hint}")
        out.append(canonical)
    return tuple(dict.fromkeys(out))


class _Polite:
    """Spaces requests to arXiv `interval` seconds apart, whoever makes them."""

    def __init__(self, interval: float) -> None:
        self._limiter = AsyncLimiter(1, interval) if interval > 0 else None

    async def wait(self) -> None:
        if self._limiter is not None:
            await self._limiter.acquire()


async def load_announcement(
    categories: tuple[str, ...],
    options: ArxivOptions,
    client: httpx.AsyncClient | None = None,
) -> Announcement:
    """Today's announcement for `categories`: new and cross-listed papers, replacements,
    entries the feed left incomplete filled in from the API. Raises FetchError or
    MalformedResponse (from the feed; an unreadable API answer only leaves gaps)."""
    if not options.contact:
        log.warning("arXiv asks automated clients for a contact: set PAPERBOY_CONTACT")
    own = client is None
    http = client or httpx.AsyncClient(
        timeout=options.timeout_s, headers={"user-agent": options.user_agent()}
    )
    polite = _Polite(options.min_interval_s)
    try:
        feed_url = f"{options.rss_url.rstrip('/')}/{'+'.join(categories)}"
        body = await _get(http, feed_url, {}, options, polite, "PAPERBOY_ARXIV_RSS_URL")
        announcement = parse_rss(body)
        if announcement.incomplete:
            announcement = await _fill_in(http, announcement, options, polite)
        return announcement
    finally:
        if own:
            await http.aclose()


async def _get(
    http: httpx.AsyncClient,
    url: str,
    params: dict[str, str],
    options: ArxivOptions,
    polite: _Polite,
    setting: str,
) -> bytes:
    return await get_with_retries(
        http,
        url,
        params,
        setting=setting,
        attempts=options.attempts,
        backoff_s=options.backoff_s,
        before_each=polite.wait,
    )


async def fetch_papers(
    ids: list[str], options: ArxivOptions, client: httpx.AsyncClient | None = None
) -> dict[str, Paper]:
    """Papers by version-less arXiv id from the API (batches of 100, as politely as
    ingest); ids the API does not know are absent. Raises FetchError."""
    own = client is None
    http = client or httpx.AsyncClient(
        timeout=options.timeout_s, headers={"user-agent": options.user_agent()}
    )
    try:
        return await _by_ids(http, ids, options, _Polite(options.min_interval_s))
    finally:
        if own:
            await http.aclose()


async def _fill_in(
    http: httpx.AsyncClient, announcement: Announcement, options: ArxivOptions, polite: _Polite
) -> Announcement:
    """Ask the API for the entries the feed left incomplete."""
    wanted = announcement.incomplete
    found = await _by_ids(http, wanted, options, polite)

    def filled(papers: list[Paper]) -> list[Paper]:
        return [_completed(p, found.get(p.id)) for p in papers]

    still = [pid for pid in wanted if pid not in found]
    return replace(
        announcement,
        listed=filled(announcement.listed),
        replaced=filled(announcement.replaced),
        incomplete=still,
    )


async def _by_ids(
    http: httpx.AsyncClient, wanted: list[str], options: ArxivOptions, polite: _Polite
) -> dict[str, Paper]:
    found: dict[str, Paper] = {}
    for start in range(0, len(wanted), API_BATCH):
        batch = wanted[start : start + API_BATCH]
        params = {"id_list": ",".join(batch), "max_results": str(len(batch))}
        body = await _get(http, options.api_url, params, options, polite, "PAPERBOY_ARXIV_API_URL")
        try:
            papers, skipped = parse_api(body)
        except MalformedResponse as exc:
            log.warning("arXiv API answer unreadable (%s); %d stay incomplete", exc, len(batch))
            continue
        for reason in skipped:
            log.warning("arXiv API: %s", reason)
        found.update({p.id: p for p in papers})
    return found


def _completed(paper: Paper, full: Paper | None) -> Paper:
    """The feed's entry with what the API knows; the feed's categories and version stay
    when the API has none."""
    if full is None:
        return paper
    return replace(
        full,
        version=full.version or paper.version,
        categories=full.categories or paper.categories,
    )
