"""Hugging Face Daily Papers as a source: one day's list from its JSON API."""

from __future__ import annotations

import httpx

from bot.sources.base import LoadOptions, SourceDay, parse_listing, today_utc
from bot.sources.http import fetch_day

USER_AGENT = "paperboy-bot (+https://github.com/paperboy-bot)"


class DailyPapers:
    name = "hf"
    usage = "hf"
    example = ""
    about = "Hugging Face Daily Papers"

    def parse_spec(self, argument: str) -> None:
        return None

    async def load(self, config: None, day: str | None, options: LoadOptions) -> SourceDay:
        listed_day = day or today_utc()
        own = options.client is None
        http = options.client or httpx.AsyncClient(
            timeout=options.timeout_s, headers={"user-agent": USER_AGENT}
        )
        try:
            payload = await fetch_day(
                http,
                options.papers_url,
                listed_day,
                attempts=options.attempts,
                backoff_s=options.backoff_s,
            )
        finally:
            if own:
                await http.aclose()
        return SourceDay(self.name, listed_day, parse_listing(payload))
