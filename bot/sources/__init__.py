"""Where papers come from: the HF Daily Papers API, a local file, or the bundled sample day.

Files are in the Daily Papers JSON shape or JSON Lines; all normalise into storage.papers.Paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx

from bot.sources.hf_api import FetchError, fetch_day
from bot.sources.hf_json import MalformedResponse, ParsedDay, parse_daily_papers
from bot.sources.jsonl import looks_like_jsonl, parse_paper_lines

SAMPLE_DAY = "2025-02-18"
USER_AGENT = "paperboy-bot (+https://github.com/paperboy-bot)"


class SourceError(RuntimeError):
    """The day could not be loaded; nothing was stored. The message says what to do."""


@dataclass(frozen=True)
class SourceDay:
    source: str  # 'hf', 'sample' or 'file'
    day: str
    parsed: ParsedDay


def sample_bytes() -> bytes:
    return resources.files("bot.sources").joinpath("data/sample-day.json").read_bytes()


def parse_source_spec(spec: str) -> tuple[str, Path | None]:
    """'hf' | 'sample' | 'file:PATH' -> (kind, path)."""
    if spec in ("hf", "sample"):
        return spec, None
    if spec.startswith("file:") and len(spec) > 5:
        return "file", Path(spec[5:])
    raise SourceError(f"unknown source {spec!r}: use hf, sample or file:PATH")


async def load_day(
    spec: str,
    day: str | None,
    *,
    papers_url: str,
    client: httpx.AsyncClient | None = None,
    timeout_s: float = 20.0,
    attempts: int = 5,
    backoff_s: float = 1.0,
) -> SourceDay:
    """Load and parse one day from the source named by `spec`. Raises SourceError."""
    kind, path = parse_source_spec(spec)
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
