"""arXiv as a source: a day is the latest announcement of the categories a spec names
(`arxiv:cs.CL+cs.LG`); the client itself is bot.sources.arxiv."""

from __future__ import annotations

import logging

from bot.sources.arxiv import ArxivOptions, CategorySpecError, load_announcement, parse_categories
from bot.sources.base import LoadOptions, SourceDay, SourceError, SpecError, today_utc
from bot.sources.hf_json import ParsedDay

log = logging.getLogger(__name__)


class Announcement:
    name = "arxiv"
    usage = "arxiv:CATS"
    example = "arxiv:cs.CL+cs.LG"
    about = "arXiv's daily announcement"

    def parse_spec(self, argument: str) -> tuple[str, ...]:
        try:
            return parse_categories(argument)
        except CategorySpecError as exc:
            raise SpecError(str(exc)) from None

    async def load(
        self, config: tuple[str, ...], day: str | None, options: LoadOptions
    ) -> SourceDay:
        arxiv = options.arxiv or ArxivOptions(timeout_s=options.timeout_s)
        announcement = await load_announcement(config, arxiv)
        if announcement.day is None:
            return SourceDay(self.name, day or today_utc(), ParsedDay([], []), announced=False)
        if day is not None and day != announcement.day:
            raise SourceError(
                f"arXiv's feed only carries its latest announcement ({announcement.day}); "
                f"{day} cannot be fetched from it. Leave out --date for arXiv sources."
            )
        if announcement.incomplete:
            log.warning(
                "arxiv:%s: %d entries have no abstract (the API did not provide one): "
                "stored with title only",
                "+".join(config),
                len(announcement.incomplete),
            )
        parsed = ParsedDay(announcement.listed, announcement.skipped, announcement.clipped)
        return SourceDay(self.name, announcement.day, parsed, tuple(announcement.replaced))
