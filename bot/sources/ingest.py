"""Ingest one day: load it from a source, then store every well-formed paper in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from bot.config import Settings
from bot.sources import SourceDay, load_day
from bot.sources.arxiv import arxiv_options
from storage.papers import UpsertCounts, refresh_papers, upsert_papers


@dataclass(frozen=True)
class IngestReport:
    day: str
    source: str
    counts: UpsertCounts
    skipped: list[str]
    clipped: list[str] = field(default_factory=list)
    announced: bool = True
    replaced: UpsertCounts = field(default_factory=UpsertCounts)
    replaced_unknown: int = 0  # new versions of papers never stored here: not kept

    def summary(self) -> str:
        if not self.announced:
            return f"{self.source}: no announcement today (weekend or holiday); nothing changed"
        c = self.counts
        cut = f", {len(self.clipped)} clipped (title or abstract too long)" if self.clipped else ""
        line = (
            f"{self.day} from {self.source}: {c.new} new, {c.updated} updated, "
            f"{c.unchanged} unchanged, {len(self.skipped)} skipped{cut}"
        )
        r = self.replaced
        if r.total or self.replaced_unknown:
            line += (
                f"; new versions: {r.updated} updated, {r.unchanged} unchanged, "
                f"{self.replaced_unknown} of papers not stored here (ignored)"
            )
        return line


async def load_source(settings: Settings, spec: str, day: str | None) -> SourceDay:
    """One source's day, with the URLs, timeouts and arXiv politeness from `settings`."""
    return await load_day(
        spec,
        day,
        papers_url=settings.papers_url,
        timeout_s=settings.http_timeout,
        arxiv=arxiv_options(settings),
    )


def store_day(
    db: sqlite_utils.Database,
    loaded: SourceDay,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store the day's listing, and apply new versions of papers stored before (which are
    never listed as new). A source that announced nothing changes nothing."""
    parsed = loaded.parsed
    if not loaded.announced:
        return IngestReport(loaded.day, loaded.source, UpsertCounts(), [], announced=False)
    counts = upsert_papers(
        db, parsed.papers, day=loaded.day, source=loaded.source, progress=progress
    )
    replaced = refresh_papers(db, loaded.replaced)
    return IngestReport(
        loaded.day,
        loaded.source,
        counts,
        parsed.skipped,
        parsed.clipped,
        replaced=replaced,
        replaced_unknown=len(loaded.replaced) - replaced.total,
    )
