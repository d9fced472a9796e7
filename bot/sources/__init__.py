"""Where papers come from: the HF Daily Papers API, arXiv's daily announcement (RSS, with
the API for what the feed lacks), a local file, or the bundled sample day.

Files are in the Daily Papers JSON shape or JSON Lines; all normalise into storage.papers.Paper,
keyed by the version-less arXiv id, so one paper listed by several sources is one record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx

from bot.sources.arxiv import ArxivOptions, CategorySpecError, load_announcement, parse_categories
from bot.sources.hf_json import MalformedResponse, ParsedDay, parse_daily_papers
from bot.sources.http import FetchError, fetch_day
from bot.sources.jsonl import looks_like_jsonl, parse_paper_lines
from storage.papers import Paper

log = logging.getLogger(__name__)

SAMPLE_DAY = "2025-02-18"
USER_AGENT = "paperboy-bot (+https://github.com/paperboy-bot)"


class SourceError(RuntimeError):
    """The day could not be loaded; nothing was stored. The message says what to do."""


@dataclass(frozen=True)
class SourceDay:
    source: str  # 'hf', 'arxiv', 'sample' or 'file'
    day: str
    parsed: ParsedDay
    replaced: tuple[Paper, ...] = ()  # new versions of papers listed before (arXiv)
    announced: bool = True  # False: the source published nothing that day (arXiv weekend)


def sample_bytes() -> bytes:
    return resources.files("bot.sources").joinpath("data/sample-day.json").read_bytes()


SPEC_HELP = "use hf, arxiv:CATS (e.g. arxiv:cs.CL+cs.LG), sample or file:PATH"


def parse_source_spec(spec: str) -> tuple[str, Path | None]:
    """'hf' | 'sample' | 'file:PATH' | 'arxiv:CATS' -> (kind, path)."""
    if spec in ("hf", "sample"):
        return spec, None
    if spec.startswith("file:") and len(spec) > 5:
        return "file", Path(spec[5:])
    if spec.startswith("arxiv:"):
        try:
            parse_categories(spec[6:])
        except CategorySpecError as exc:
            raise SourceError(f"source {spec!r}: {exc}") from None
        return "arxiv", None
    raise SourceError(f"unknown source {spec!r}: {SPEC_HELP}")


def check_sources(raw: str) -> None:
    """PAPERBOY_SOURCE's own check, for Settings.from_env (ValueError saying what to type)."""
    try:
        split_sources(raw)
    except SourceError as exc:
        raise ValueError(f"{exc} (several: comma-separated, e.g. hf,arxiv:cs.CL+cs.LG)") from None


# The checks of the settings whose grammar this stage owns (field -> check).
SETTING_CHECKS = {"source": check_sources}


def split_sources(raw: str) -> list[str]:
    """PAPERBOY_SOURCE 'hf,arxiv:cs.CL+cs.LG' -> ['hf', 'arxiv:cs.CL+cs.LG'], each checked."""
    specs = [part.strip() for part in raw.split(",") if part.strip()]
    if not specs:
        raise SourceError(f"no source given: {SPEC_HELP}")
    for spec in specs:
        parse_source_spec(spec)
    return specs


async def load_day(
    spec: str,
    day: str | None,
    *,
    papers_url: str,
    client: httpx.AsyncClient | None = None,
    timeout_s: float = 20.0,
    attempts: int = 5,
    backoff_s: float = 1.0,
    arxiv: ArxivOptions | None = None,
) -> SourceDay:
    """Load and parse one day from the source named by `spec`. Raises SourceError."""
    kind, path = parse_source_spec(spec)
    if kind == "arxiv":
        return await _load_arxiv(spec, day, arxiv or ArxivOptions(timeout_s=timeout_s))
    if kind == "sample":
        payload, listed_day = sample_bytes(), day or SAMPLE_DAY
    elif kind == "file":
        assert path is not None
        payload, listed_day = _read_file(path), day or today_utc()
    else:
        listed_day = day or today_utc()
        payload = await _fetch(papers_url, listed_day, client, timeout_s, attempts, backoff_s)
    try:
        parse = parse_paper_lines if looks_like_jsonl(payload) else parse_daily_papers
        parsed = parse(payload)
    except MalformedResponse as exc:
        raise SourceError(f"{spec}: {exc}; nothing was stored") from None
    return SourceDay(source=kind, day=listed_day, parsed=parsed)


async def _load_arxiv(spec: str, day: str | None, options: ArxivOptions) -> SourceDay:
    try:
        announcement = await load_announcement(parse_categories(spec[6:]), options)
    except FetchError as exc:
        raise SourceError(str(exc)) from None
    except MalformedResponse as exc:
        raise SourceError(f"{spec}: {exc}; nothing was stored") from None
    if announcement.day is None:
        return SourceDay("arxiv", day or today_utc(), ParsedDay([], []), announced=False)
    if day is not None and day != announcement.day:
        raise SourceError(
            f"arXiv's feed only carries its latest announcement ({announcement.day}); "
            f"{day} cannot be fetched from it. Leave out --date for arXiv sources."
        )
    if announcement.incomplete:
        log.warning(
            "%s: %d entries have no abstract (the API did not provide one): stored with title only",
            spec,
            len(announcement.incomplete),
        )
    parsed = ParsedDay(announcement.listed, announcement.skipped, announcement.clipped)
    return SourceDay("arxiv", announcement.day, parsed, tuple(announcement.replaced))


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from None


async def _fetch(
    url: str,
    day: str,
    client: httpx.AsyncClient | None,
    timeout_s: float,
    attempts: int,
    backoff_s: float,
) -> bytes:
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s, headers={"user-agent": USER_AGENT})
    try:
        return await fetch_day(http, url, day, attempts=attempts, backoff_s=backoff_s)
    except FetchError as exc:
        raise SourceError(str(exc)) from None
    finally:
        if own:
            await http.aclose()
