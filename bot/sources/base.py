"""What a source is: the Source protocol every source module implements, the day it loads,
the options it is given and the errors it raises. The registry is in bot.sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import httpx

from bot.sources.arxiv import ArxivOptions
from bot.sources.hf_json import ParsedDay, parse_daily_papers
from bot.sources.jsonl import looks_like_jsonl, parse_paper_lines
from storage.papers import Paper

ConfigT = TypeVar("ConfigT")


class SourceError(RuntimeError):
    """The day could not be loaded; nothing was stored. The message says what to do."""


class SpecError(ValueError):
    """What follows `name:` in a source spec is wrong; the message says what to type."""


@dataclass(frozen=True)
class SourceDay:
    source: str  # the source's name: 'hf', 'arxiv', 'sample', 'file', …
    day: str
    parsed: ParsedDay
    replaced: tuple[Paper, ...] = ()  # new versions of papers listed before (arXiv)
    announced: bool = True  # False: the source published nothing that day (arXiv weekend)


@dataclass(frozen=True)
class LoadOptions:
    """How to reach the remote sources (what `load_day` is called with)."""

    papers_url: str = ""  # the Daily Papers API
    client: httpx.AsyncClient | None = None  # None: each load opens and closes its own
    timeout_s: float = 20.0
    attempts: int = 5
    backoff_s: float = 1.0
    arxiv: ArxivOptions | None = None  # None: arXiv's defaults with `timeout_s`


class Source(Protocol[ConfigT]):
    """One place papers come from. A spec names it: `name` alone, or `name:ARGUMENT` when
    its `usage` has a colon (`arxiv:CATS`); registered in bot.sources' registry."""

    @property
    def name(self) -> str:
        """What a spec starts with, and the listing's source in storage ('arxiv')."""
        ...

    @property
    def usage(self) -> str:
        """How a spec is written: 'hf', 'arxiv:CATS', 'file:PATH'."""
        ...

    @property
    def example(self) -> str:
        """A spec to copy, when the usage alone does not show it ('arxiv:cs.CL+cs.LG'), or ''."""
        ...

    @property
    def about(self) -> str:
        """What it is, in a few words, for the docs ("arXiv's daily announcement")."""
        ...

    def parse_spec(self, argument: str) -> ConfigT:
        """What follows `name:` ('' for a source without argument) -> this source's config.
        Raises SpecError saying what to type. Called for every spec at start-up, so it does
        no I/O."""
        ...

    async def load(self, config: ConfigT, day: str | None, options: LoadOptions) -> SourceDay:
        """The day's papers (`day` None: the latest). Raises SourceError, or FetchError and
        MalformedResponse, which the registry reports as SourceError."""
        ...


def parse_listing(payload: bytes) -> ParsedDay:
    """A day from a file or an API answer: JSON Lines, else the Daily Papers JSON shape.
    Raises MalformedResponse."""
    parse = parse_paper_lines if looks_like_jsonl(payload) else parse_daily_papers
    return parse(payload)


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()
