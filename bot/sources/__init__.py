"""Where papers come from: the HF Daily Papers API, arXiv's daily announcement (RSS, with
the API for what the feed lacks), a local file, or the bundled sample day.

Each source is a module implementing bot.sources.base.Source and one entry of the registry
below; specs ('hf', 'arxiv:cs.CL') are parsed and days loaded through it. All normalise into
storage.papers.Paper, keyed by the version-less arXiv id, so one paper listed by several
sources is one record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot.sources.arxiv import ArxivOptions
from bot.sources.arxiv_source import Announcement
from bot.sources.base import LoadOptions, Source, SourceDay, SourceError, SpecError
from bot.sources.hf import DailyPapers
from bot.sources.hf_json import MalformedResponse
from bot.sources.http import FetchError
from bot.sources.local import SAMPLE_DAY, PapersFile, SampleDay, sample_bytes

__all__ = [
    "SAMPLE_DAY",
    "SETTING_CHECKS",
    "ChosenSource",
    "LoadOptions",
    "Source",
    "SourceDay",
    "SourceError",
    "SpecError",
    "check_sources",
    "load_day",
    "parse_source_spec",
    "register",
    "registered",
    "sample_bytes",
    "spec_help",
    "split_sources",
    "unregister",
]

# The registry: one entry per source, by the name its specs start with.
_SOURCES: dict[str, Source[Any]] = {
    source.name: source for source in (DailyPapers(), Announcement(), SampleDay(), PapersFile())
}


def register(source: Source[Any]) -> None:
    """Make `source` usable in specs (PAPERBOY_SOURCE, --source) from now on."""
    if not source.name or ":" in source.name or "," in source.name:
        raise ValueError(f"a source name has no ':' or ',': {source.name!r}")
    if source.name in _SOURCES:
        raise ValueError(f"a source named {source.name!r} is already registered")
    _SOURCES[source.name] = source


def unregister(name: str) -> None:
    """Forget the source named `name` (a source registered for a test, say)."""
    del _SOURCES[name]


def registered() -> list[Source[Any]]:
    """The sources specs may name, in the order they are offered."""
    return list(_SOURCES.values())


def spec_help() -> str:
    """'use hf, arxiv:CATS (e.g. arxiv:cs.CL+cs.LG), sample or file:PATH'."""
    forms = [f"{s.usage} (e.g. {s.example})" if s.example else s.usage for s in registered()]
    return f"use {', '.join(forms[:-1])} or {forms[-1]}" if len(forms) > 1 else f"use {forms[0]}"


@dataclass(frozen=True)
class ChosenSource:
    """A spec parsed: the registered source it names and that source's config."""

    spec: str
    source: Source[Any]
    config: Any


def parse_source_spec(spec: str) -> ChosenSource:
    """'hf' | 'sample' | 'file:PATH' | 'arxiv:CATS' | a registered source's spec. Raises
    SourceError saying what to type."""
    name, colon, argument = spec.partition(":")
    source = _SOURCES.get(name)
    if source is None or bool(colon) != (":" in source.usage):
        raise SourceError(f"unknown source {spec!r}: {spec_help()}")
    try:
        return ChosenSource(spec, source, source.parse_spec(argument))
    except SpecError as exc:
        raise SourceError(f"source {spec!r}: {exc}") from None


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
        raise SourceError(f"no source given: {spec_help()}")
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
    chosen = parse_source_spec(spec)
    options = LoadOptions(
        papers_url=papers_url,
        client=client,
        timeout_s=timeout_s,
        attempts=attempts,
        backoff_s=backoff_s,
        arxiv=arxiv,
    )
    try:
        return await chosen.source.load(chosen.config, day, options)
    except FetchError as exc:
        raise SourceError(str(exc)) from None
    except MalformedResponse as exc:
        raise SourceError(f"{spec}: {exc}; nothing was stored") from None
